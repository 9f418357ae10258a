"""GET /api/v1/openapi.json and the browsable /api/v1/docs."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import HTMLResponse, Response

from tracking_system.common.errors import ServiceUnavailable
from tracking_system.common.responses import JsonResponse
from tracking_system.gateway.openapi import PublicOpenApi, render_html

router = APIRouter()


async def _document(request: Request) -> dict[str, object]:
    openapi: PublicOpenApi = request.app.state.openapi
    try:
        return await openapi.document()
    except Exception as exc:  # a service is down: say so rather than answer 500
        raise ServiceUnavailable("The API description is unavailable right now") from exc


@router.get("/api/v1/openapi.json", include_in_schema=False)
async def openapi_json(request: Request) -> Response:
    """The public OpenAPI 3.1 document."""
    return JsonResponse(await _document(request))


@router.get("/api/v1/docs", include_in_schema=False)
async def docs(request: Request) -> Response:
    """A plain page listing every public operation."""
    return HTMLResponse(render_html(await _document(request)))
