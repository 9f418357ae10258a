"""One error hierarchy for every service, mapped to HTTP and the response envelope in one place."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from redis.exceptions import ClusterDownError
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from tracking_system.common.responses import JsonResponse

log = structlog.get_logger(__name__)


class AppError(Exception):
    """Base of every error a client can cause or be told about."""

    status_code = 400

    def __init__(
        self,
        message: str = "",
        *,
        errors: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.errors: dict[str, Any] = dict(errors) if errors else {"message": message}
        self.headers = dict(headers or {})


class InvalidInput(AppError):
    status_code = 400


class NotAuthenticated(AppError):
    status_code = 401


class Forbidden(AppError):
    status_code = 403


class NotFound(AppError):
    status_code = 404


class Conflict(AppError):
    status_code = 409


class PayloadTooLarge(AppError):
    status_code = 413


class RateLimited(AppError):
    status_code = 429

    def __init__(self, message: str, *, retry_after: int) -> None:
        super().__init__(message, headers={"Retry-After": str(max(1, retry_after))})


class ServiceUnavailable(AppError):
    status_code = 503

    def __init__(self, message: str, *, retry_after: int = 5) -> None:
        super().__init__(message, headers={"Retry-After": str(max(1, retry_after))})


def envelope(data: Any) -> dict[str, Any]:
    """Wrap a successful payload in the API envelope."""
    return {"data": data, "errors": None}


def error_response(
    status_code: int, errors: Mapping[str, Any], headers: Mapping[str, str] | None = None
) -> JsonResponse:
    """Build the failure envelope."""
    return JsonResponse(
        {"data": None, "errors": dict(errors)}, status_code=status_code, headers=headers
    )


def app_error_response(exc: AppError) -> JsonResponse:
    """The answer to an error of the hierarchy (routes served without the framework use it too)."""
    return error_response(exc.status_code, exc.errors, exc.headers)


# Redis unreachable, or a cluster that has not yet found a restarted shard: 503, retry.
REDIS_ERRORS = (RedisConnectionError, RedisTimeoutError, ClusterDownError)


def redis_unavailable_response(path: str, exc: Exception) -> JsonResponse:
    """503 while Redis cannot be reached (logged without the request)."""
    log.warning("redis_unavailable", path=path, error=str(exc))
    return error_response(503, {"message": "Storage temporarily unavailable"}, {"Retry-After": "2"})


def field_errors(exc: RequestValidationError) -> dict[str, str]:
    """Turn pydantic's error list into the contract's `{field: message}` map."""
    out: dict[str, str] = {}
    for err in exc.errors():
        loc = [str(p) for p in err.get("loc", ()) if p not in ("body", "query", "path", "header")]
        field = ".".join(loc) or "body"
        msg = str(err.get("msg", "Invalid value"))
        msg = msg.removeprefix("Value error, ")
        out.setdefault(field, msg)
    return out


def install_error_handlers(app: FastAPI) -> None:
    """Map the error hierarchy, validation errors and stray exceptions to the envelope."""

    @app.exception_handler(AppError)
    async def _app_error(_: Request, exc: AppError) -> JsonResponse:
        return app_error_response(exc)

    @app.exception_handler(RequestValidationError)
    async def _validation_error(_: Request, exc: RequestValidationError) -> JsonResponse:
        return error_response(400, field_errors(exc))

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(_: Request, exc: StarletteHTTPException) -> JsonResponse:
        message = exc.detail if isinstance(exc.detail, str) else "Request failed"
        return error_response(exc.status_code, {"message": message}, exc.headers)

    @app.exception_handler(RedisConnectionError)
    @app.exception_handler(RedisTimeoutError)
    async def _redis_down(request: Request, exc: Exception) -> JsonResponse:
        return redis_unavailable_response(request.url.path, exc)

    app.add_middleware(UnhandledErrorMiddleware)


class UnhandledErrorMiddleware:
    """Answers any unexpected exception with the 500 envelope, and keeps the connection.

    Starlette's own last-resort handler re-raises after answering, which makes the server close
    the keep-alive connection: the gateway's next pooled request to the service would then fail
    for an unrelated client."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Run the app; an exception before the answer started becomes a logged 500."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def send_tracked(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, send_tracked)
        except Exception as exc:
            if started:
                raise
            # One line with a plain traceback, no locals (see common/logging.py): rendering is
            # cheap, and the request's headers and body never reach the log.
            log.error("unhandled_error", path=scope.get("path", ""),
                      error_type=type(exc).__name__, exc_info=exc)  # fmt: skip
            response = error_response(500, {"message": "Internal error"})
            await response(scope, receive, send)
