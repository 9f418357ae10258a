"""Security headers on everything the gateway serves, its path check, and its CORS policy."""

from __future__ import annotations

from starlette.datastructures import Headers, MutableHeaders
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from tracking_system.common.errors import error_response
from tracking_system.gateway.paths import is_safe_path
from tracking_system.gateway.routing import is_public_ingest

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; font-src 'self' data:; connect-src 'self'; object-src 'none'; "
    "base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)
SECURITY_HEADERS = {
    "content-security-policy": CSP,
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "strict-origin-when-cross-origin",
    "cross-origin-opener-policy": "same-origin",
}
# On answers to public ingestion POSTs that carry an Origin: any site may send events, and the SDK
# reads how long to back off after a 429 or 503.
PUBLIC_CORS_HEADERS = {
    "access-control-allow-origin": "*",
    "access-control-expose-headers": "Retry-After",
}
DASHBOARD_ALLOWED_HEADERS = "authorization, content-type, x-api-key"
# x-umami-cache: the token Umami's tracker sends back (drop-in route /api/send).
INGEST_ALLOWED_HEADERS = "content-type, x-api-key, x-umami-cache"
DASHBOARD_METHODS = "GET, POST, PATCH, PUT, DELETE"
PREFLIGHT_MAX_AGE = "86400"


class SecurityHeadersMiddleware:
    """Adds CSP, nosniff, frame denial; `no-store` on every API answer."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        is_api = scope["path"].startswith("/api/")

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in SECURITY_HEADERS.items():
                    headers.setdefault(name, value)
                if is_api:
                    headers["cache-control"] = "no-store"
            await send(message)

        await self.app(scope, receive, send_with_headers)


class PathGuardMiddleware:
    """404 for a path that could be read two ways, before any routing or forwarding."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            raw: bytes | None = scope.get("raw_path")
            path = raw.decode("latin-1") if raw is not None else scope["path"]
            if not is_safe_path(path):
                await error_response(404, {"message": "Not found"})(scope, receive, send)
                return
        await self.app(scope, receive, send)


class CorsMiddleware:
    """Ingestion POSTs accept any origin (no credentials); everything else only configured ones."""

    def __init__(self, app: ASGIApp, *, dashboard_origins: tuple[str, ...]) -> None:
        self.app = app
        self.dashboard_origins = frozenset(dashboard_origins)

    def _allowed_origin(self, method: str, path: str, origin: str) -> str | None:
        if is_public_ingest(method, path):
            return "*"
        if path.startswith("/api/") and origin in self.dashboard_origins:
            return origin
        return None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_headers = Headers(scope=scope)
        origin = request_headers.get("origin")
        if origin is None:
            await self.app(scope, receive, send)
            return
        requested = request_headers.get("access-control-request-method")
        if scope["method"] == "OPTIONS" and requested is not None:
            allowed = self._allowed_origin(requested.upper(), scope["path"], origin)
            await self._preflight(allowed)(scope, receive, send)
            return
        allowed = self._allowed_origin(scope["method"], scope["path"], origin)
        if allowed is None:
            await self.app(scope, receive, send)
            return

        async def send_with_cors(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                if allowed == "*":
                    headers.update(PUBLIC_CORS_HEADERS)
                else:
                    headers["access-control-allow-origin"] = allowed
                    headers.add_vary_header("Origin")
                    headers["access-control-allow-credentials"] = "true"
            await send(message)

        await self.app(scope, receive, send_with_cors)

    @staticmethod
    def _preflight(allowed: str | None) -> Response:
        if allowed is None:
            return Response("Origin not allowed", status_code=403, media_type="text/plain")
        public = allowed == "*"
        headers = {
            "access-control-allow-origin": allowed,
            "access-control-allow-methods": "POST" if public else DASHBOARD_METHODS,
            "access-control-allow-headers": INGEST_ALLOWED_HEADERS
            if public
            else DASHBOARD_ALLOWED_HEADERS,
            "access-control-max-age": PREFLIGHT_MAX_AGE,
            "vary": "Origin",
        }
        return Response(status_code=204, headers=headers)
