"""Every public /api/v1 route of the services, forwarded with the gateway's own headers."""

from __future__ import annotations

import secrets

import aiohttp
from fastapi import APIRouter, Request
from starlette.responses import Response, StreamingResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from tracking_system.common.errors import AppError, NotFound, ServiceUnavailable, app_error_response
from tracking_system.common.http import read_body
from tracking_system.common.internal import (
    ACCOUNT_ID_HEADER,
    CLIENT_IP_HEADER,
    INTERNAL_TOKEN_HEADER,
    REQUEST_ID_HEADER,
)
from tracking_system.gateway import proxy
from tracking_system.gateway.auth import Authenticator
from tracking_system.gateway.routing import USERS, Route, public_ingest_route, resolve
from tracking_system.gateway.settings import GatewaySettings

router = APIRouter()

METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "HEAD"]
LIVE_PATH = "/api/v1/events/live"


def client_ip(request: Request, trusted_proxies: tuple[str, ...]) -> str:
    """The caller's address; behind a trusted proxy, the nearest untrusted X-Forwarded-For hop."""
    peer = request.client.host if request.client else ""
    return client_address(peer, request.headers.get("x-forwarded-for", ""), trusted_proxies)


def client_address(peer: str, forwarded_for: str, trusted_proxies: tuple[str, ...]) -> str:
    """The peer, or behind a trusted proxy the nearest untrusted hop of X-Forwarded-For."""
    if peer not in trusted_proxies:
        return peer
    hops = [h.strip() for h in forwarded_for.split(",") if h.strip()]
    for hop in reversed(hops):
        if hop not in trusted_proxies:
            return hop
    return peer


@router.api_route("/api/v1/{path:path}", methods=METHODS, include_in_schema=False)
async def forward_api(request: Request) -> Response:
    """Authenticate when the route needs it, then forward to the owning service."""
    route = resolve(request.method, request.url.path)
    if route is None:
        raise NotFound("No such API route")
    return await forward_request(request, route)


async def forward_request(request: Request, route: Route) -> Response:
    """The request sent on to the route's service with the gateway's own headers."""
    # Every API request passes here: app state is read directly, not through dependencies.
    state = request.app.state
    settings: GatewaySettings = state.settings
    http: aiohttp.ClientSession = state.http
    auth: Authenticator = state.auth
    trusted = {
        INTERNAL_TOKEN_HEADER: settings.internal_secret,
        REQUEST_ID_HEADER: request.headers.get(REQUEST_ID_HEADER) or secrets.token_hex(8),
        CLIENT_IP_HEADER: client_ip(request, settings.trusted_proxies),
    }
    if route.auth:
        trusted[ACCOUNT_ID_HEADER] = await auth.account_id(request.headers.get("authorization"))
    body = await read_body(request, settings.max_body_bytes)
    base_url = settings.users_url if route.service == USERS else settings.tracking_url
    try:
        response = await proxy.forward(
            http, request=request, base_url=base_url, body=body, trusted_headers=trusted
        )
    except (aiohttp.ClientError, TimeoutError) as exc:
        raise ServiceUnavailable(f"The {route.service} service is unavailable") from exc
    if route.auth and isinstance(response, StreamingResponse) and request.url.path == LIVE_PATH:
        # A live feed outlives any one check of its token: verify it again on a rhythm, so a
        # logout or a password change ends it.
        authorization = request.headers.get("authorization")
        response.body_iterator = proxy.revalidated(
            response.body_iterator,
            still_valid=lambda: auth.still_valid(authorization),
            every=settings.live_recheck_seconds,
        )
    return response


class IngestFastPath:
    """Public ingestion POSTs forwarded without the framework's routing (the drop-in paths lie
    outside /api/v1), when the protocol's fast route (ingest.py) has not taken them. Mounted
    inside the CORS, path and security-header middleware, so the answers carry the same headers."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        route = _public_ingest_route(scope)
        if route is None:
            await self.app(scope, receive, send)
            return
        try:
            response = await forward_request(Request(scope, receive), route)
        except AppError as exc:
            response = app_error_response(exc)
        await response(scope, receive, send)


def _public_ingest_route(scope: Scope) -> Route | None:
    """The route of a public ingestion POST whose path is exactly as sent, else None."""
    if scope["type"] != "http":
        return None
    path: str = scope["path"]
    route = public_ingest_route(scope["method"], path)
    return route if route is not None and scope.get("raw_path", b"") == path.encode() else None
