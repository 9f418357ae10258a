"""POST /api/v1/events: the public ingestion endpoint."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from tracking_system.common.errors import InvalidInput, envelope
from tracking_system.common.http import read_body
from tracking_system.common.internal import CLIENT_IP_HEADER
from tracking_system.common.responses import JsonResponse
from tracking_system.tracking import metrics
from tracking_system.tracking.ingest.pipeline import IngestRequest, ingest
from tracking_system.tracking.ingest.schema import ingest_request_body

router = APIRouter(tags=["ingestion"])

ACCEPTED_TYPES = ("application/json", "text/plain", "")


@router.post(
    "/api/v1/events",
    status_code=202,
    summary="Ingest one event or a batch",
    openapi_extra={
        "requestBody": ingest_request_body(),
        "security": [],
        "parameters": [
            {"name": "X-Api-Key", "in": "header", "required": False, "schema": {"type": "string"}}
        ],
    },
)
async def ingest_events(request: Request) -> Response:
    """Accept one event or a batch; 202 only once the stream holds them."""
    # The hottest route: it reads the app state itself rather than through dependencies, whose
    # resolution costs a fifth of the request.
    state = request.app.state
    redis, resolver, policy = state.redis, state.resolver, state.ingest_policy
    ip = request.headers.get(CLIENT_IP_HEADER, "")
    with metrics.INGEST_SECONDS.time():
        media_type = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
        if media_type not in ACCEPTED_TYPES:
            raise InvalidInput(
                errors={"body": "Content-Type must be application/json or text/plain"}
            )
        if request.headers.get("content-encoding", "identity").lower() != "identity":
            raise InvalidInput(
                errors={"body": "A compressed body is not accepted: send it uncompressed"}
            )
        body = await read_body(request, policy.limits.max_body_bytes)
        result = await ingest(
            redis=redis,
            resolver=resolver,
            policy=policy,
            request=IngestRequest(
                body=body,
                header_api_key=request.headers.get("x-api-key"),
                origin=request.headers.get("origin"),
                user_agent=request.headers.get("user-agent", ""),
                client_ip=ip,
            ),
        )
        return JsonResponse(
            envelope(
                {
                    "accepted": result.accepted,
                    "rejected": result.rejected,
                    "excluded": result.excluded,
                }
            ),
            status_code=202,
        )
