"""Public ingestion POSTs forwarded at the HTTP protocol (common/fastpath.py) over the lean
upstream client (upstream.py): the same forwarding, headers and answers as the ASGI path, at a
fraction of its cost per event (`benchmarks.ingest`)."""

from __future__ import annotations

import secrets

from starlette.responses import Response

from tracking_system.common.errors import (
    AppError,
    PayloadTooLarge,
    ServiceUnavailable,
    app_error_response,
)
from tracking_system.common.fastpath import FastRequest, Handler
from tracking_system.common.internal import (
    CLIENT_IP_HEADER,
    INTERNAL_TOKEN_HEADER,
    REQUEST_ID_HEADER,
    is_reserved_header,
)
from tracking_system.gateway.middleware import PUBLIC_CORS_HEADERS, SECURITY_HEADERS
from tracking_system.gateway.paths import is_safe_path
from tracking_system.gateway.proxy import DROPPED_RESPONSE_HEADERS, HOP_BY_HOP
from tracking_system.gateway.routes.api import client_address
from tracking_system.gateway.routing import public_ingest_route
from tracking_system.gateway.settings import GatewaySettings
from tracking_system.gateway.upstream import UpstreamError, UpstreamPool

_REQUEST_ID = REQUEST_ID_HEADER.encode()
_ORIGIN = b"origin"
_FORWARDED_FOR = b"x-forwarded-for"
_SECURITY = [(name.encode(), value.encode()) for name, value in SECURITY_HEADERS.items()]
_CORS = [(name.encode(), value.encode()) for name, value in PUBLIC_CORS_HEADERS.items()]
_NO_STORE = (b"cache-control", b"no-store")
# The service's own values of the headers the gateway sets are dropped.
_DROPPED = DROPPED_RESPONSE_HEADERS | {"cache-control"}
_DROPPED_WITH_CORS = _DROPPED | PUBLIC_CORS_HEADERS.keys()


def _forwarded(name: bytes) -> bool:
    text = name.decode("latin-1")
    # The whole body is here already: the service is not asked to say 100 Continue.
    return text not in HOP_BY_HOP and text != "expect" and not is_reserved_header(text)


class IngestFastRoutes:
    """The fast routes of the gateway: public ingestion POSTs, on to the tracking service."""

    def __init__(self, settings: GatewaySettings, upstream: UpstreamPool) -> None:
        self.max_body_bytes = settings.max_body_bytes
        self._settings = settings
        self._upstream = upstream
        self._secret = settings.internal_secret.encode()

    def match(self, method: str, path: str, raw_path: bytes) -> Handler | None:
        """A public ingestion POST whose path is exactly as sent, else None."""
        route = public_ingest_route(method, path)
        if route is None or not is_safe_path(path):
            return None
        return self.forward

    async def forward(self, request: FastRequest) -> Response:
        """The tracking service's answer, with the headers every gateway answer carries."""
        try:
            if request.oversize:
                raise PayloadTooLarge(f"Body larger than {self.max_body_bytes:,} bytes")
            status, headers, body = await self._send(request)
        except AppError as exc:
            error = app_error_response(exc)
            status, headers, body = error.status_code, error.raw_headers, bytes(error.body)
        cors = request.header(_ORIGIN) is not None
        dropped = _DROPPED_WITH_CORS if cors else _DROPPED
        out = [(name, value) for name, value in headers if name.decode("latin-1") not in dropped]
        present = {name for name, _ in out}
        out += [header for header in _SECURITY if header[0] not in present]
        out.append(_NO_STORE)
        if cors:
            out += _CORS
        out.append((b"content-length", str(len(body)).encode("ascii")))
        response = Response(status_code=status)
        response.body = body
        response.raw_headers = out
        return response

    async def _send(self, request: FastRequest) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
        peer = request.client[0] if request.client else ""
        forwarded_for = (request.header(_FORWARDED_FOR) or b"").decode("latin-1")
        headers = [(name, value) for name, value in request.headers if _forwarded(name)]
        headers += [
            (INTERNAL_TOKEN_HEADER.encode(), self._secret),
            (_REQUEST_ID, request.header(_REQUEST_ID) or secrets.token_hex(8).encode()),
            (CLIENT_IP_HEADER.encode(),
             client_address(peer, forwarded_for, self._settings.trusted_proxies).encode()),
        ]  # fmt: skip
        target = request.raw_path
        if request.query_string:
            target += b"?" + request.query_string
        try:
            answer = await self._upstream.request(request.method, target, headers, request.body)
        except UpstreamError as exc:
            raise ServiceUnavailable("The tracking service is unavailable") from exc
        return answer.status, answer.headers, answer.body
