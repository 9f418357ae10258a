"""Headers the gateway sets for the services, and the services' check of its credential."""

from __future__ import annotations

import hmac

from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from tracking_system.common.errors import error_response

INTERNAL_TOKEN_HEADER = "x-internal-token"  # noqa: S105 (a header name)
ACCOUNT_ID_HEADER = "x-account-id"
CLIENT_IP_HEADER = "x-client-ip"
REQUEST_ID_HEADER = "x-request-id"

# A client may never send these: the gateway strips every header with one of these prefixes and
# then sets its own, so a service can trust what it receives.
RESERVED_HEADER_PREFIXES = ("x-internal-", "x-account-", "x-client-", "x-forwarded-")

# Paths a service answers without the credential (liveness only, no data).
PUBLIC_SERVICE_PATHS = frozenset({"/health", "/metrics"})


def credential_refused() -> Response:
    """The answer to a request without the gateway's credential."""
    return error_response(401, {"message": "Missing or invalid internal credential"})


def is_reserved_header(name: str) -> bool:
    """True for a header only the gateway may set."""
    lowered = name.lower()
    return lowered.startswith(RESERVED_HEADER_PREFIXES) or lowered == "x-real-ip"


class InternalCredentialMiddleware:
    """Refuse every request that lacks the internal credential the gateway adds."""

    def __init__(self, app: ASGIApp, *, secret: str) -> None:
        self.app = app
        self._secret = secret.encode()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in PUBLIC_SERVICE_PATHS:
            await self.app(scope, receive, send)
            return
        presented = b""
        for name, value in scope["headers"]:
            if name == INTERNAL_TOKEN_HEADER.encode():
                presented = value
                break
        if not hmac.compare_digest(presented, self._secret):
            await credential_refused()(scope, receive, send)
            return
        await self.app(scope, receive, send)
