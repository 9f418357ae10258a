"""POST /api/v1/events: the public ingestion endpoint; POST /api/v1/events/test: the dashboard's
test event, for the signed-in owner's site, whatever its allowed origins."""

from __future__ import annotations

import hmac
import time
import uuid
from collections.abc import Awaitable, Mapping
from functools import partial
from typing import Any, Protocol

import orjson
from fastapi import APIRouter, Request
from starlette.datastructures import State
from starlette.responses import Response

from tracking_system.common.errors import (
    REDIS_ERRORS,
    AppError,
    InvalidInput,
    PayloadTooLarge,
    app_error_response,
    envelope,
    redis_unavailable_response,
)
from tracking_system.common.fastpath import FastRequest, Handler
from tracking_system.common.http import read_body
from tracking_system.common.internal import (
    CLIENT_IP_HEADER,
    INTERNAL_TOKEN_HEADER,
    credential_refused,
)
from tracking_system.common.responses import Envelope, JsonResponse
from tracking_system.tracking import metrics, schemas
from tracking_system.tracking.deps import CurrentSite, RedisDep
from tracking_system.tracking.ingest.pipeline import IngestRequest, IngestResult, ingest
from tracking_system.tracking.ingest.schema import ingest_request_body
from tracking_system.tracking.routes import dropin

router = APIRouter(tags=["ingestion"])

ACCEPTED_TYPES = ("application/json", "text/plain", "")
INGEST_PATH = "/api/v1/events"
INTERNAL_TOKEN = INTERNAL_TOKEN_HEADER.encode()


@router.post(
    INGEST_PATH,
    status_code=202,
    response_model=Envelope[schemas.IngestResult],  # documents the answer; not re-validated
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
    # One pass over the raw headers (each Headers.get would scan them all again); the first of
    # a repeated header counts, as with Headers.get.
    headers: dict[str, str] = {}
    for name, value in request.headers.items():
        headers.setdefault(name, value)
    body = await read_body(request, request.app.state.ingest_policy.limits.max_body_bytes)
    return await ingest_answer(request.app.state, headers=headers, body=body)


async def ingest_answer(state: State, *, headers: Mapping[str, str], body: bytes) -> Response:
    """The answer to an ingestion request, whichever path it came by."""
    # The hottest route: it reads the app state itself rather than through dependencies, whose
    # resolution costs a fifth of the request.
    with metrics.INGEST_SECONDS.time():
        media_type = headers.get("content-type", "").split(";", 1)[0].strip().lower()
        if media_type not in ACCEPTED_TYPES:
            raise InvalidInput(
                errors={"body": "Content-Type must be application/json or text/plain"}
            )
        if headers.get("content-encoding", "identity").lower() != "identity":
            raise InvalidInput(
                errors={"body": "A compressed body is not accepted: send it uncompressed"}
            )
        result = await ingest(
            redis=state.redis,
            resolver=state.resolver,
            policy=state.ingest_policy,
            appender=state.appender,
            request=IngestRequest(
                body=body,
                header_api_key=headers.get("x-api-key"),
                origin=headers.get("origin"),
                user_agent=headers.get("user-agent", ""),
                client_ip=headers.get(CLIENT_IP_HEADER, ""),
            ),
        )
        return _answer(result)


class Answer(Protocol):
    """An ingestion route's answer to a request's headers and body."""

    def __call__(
        self, state: State, *, headers: Mapping[str, str], body: bytes
    ) -> Awaitable[Response]: ...


class IngestFastRoutes:
    """The ingestion POSTs (ours and the drop-in ones) served at the HTTP protocol
    (common/fastpath.py), past the ASGI app and its middleware, which cost this service half its
    time per event (py-spy, `benchmarks.ingest`); the routes serve them when the protocol is
    not ours."""

    def __init__(self, state: State, *, secret: str) -> None:
        self.state = state
        self.max_body_bytes: int = state.ingest_policy.limits.max_body_bytes
        self._secret = secret.encode()
        answers: dict[str, Answer] = {INGEST_PATH: ingest_answer, **dropin.ANSWERS}
        self._handlers: dict[str, Handler] = {
            path: partial(self._serve, path, answer) for path, answer in answers.items()
        }

    def match(self, method: str, path: str, raw_path: bytes) -> Handler | None:
        """An ingestion POST's handler; nothing else."""
        return self._handlers.get(path) if method == "POST" else None

    async def _serve(self, path: str, answer: Answer, request: FastRequest) -> Response:
        """The credential check, then the route's answer, errors mapped as the app maps them."""
        if not hmac.compare_digest(request.header(INTERNAL_TOKEN) or b"", self._secret):
            return credential_refused()
        headers: dict[str, str] = {}
        for name, value in request.headers:
            headers.setdefault(name.decode("latin-1"), value.decode("latin-1"))
        try:
            if request.oversize:
                raise PayloadTooLarge(f"Body larger than {self.max_body_bytes:,} bytes")
            return await answer(self.state, headers=headers, body=request.body)
        except AppError as exc:
            return app_error_response(exc)
        except REDIS_ERRORS as exc:
            return redis_unavailable_response(path, exc)


def _answer(result: IngestResult) -> Response:
    return JsonResponse(
        envelope(
            {"accepted": result.accepted, "rejected": result.rejected, "excluded": result.excluded}
        ),
        status_code=202,
    )


TEST_EVENT_NAME = "TEST_EVENT"
_TEST_BODY_BYTES = 16 * 1024


@router.post(
    "/api/v1/events/test",
    status_code=202,
    response_model=Envelope[schemas.IngestResult],  # documents the answer; not re-validated
    summary="Send one test event for the caller's site (no Origin check)",
    openapi_extra={
        "requestBody": {
            "required": False,
            "content": {"application/json": {"schema": {"type": "object"}}},
        }
    },
)
async def send_test_event(request: Request, site: CurrentSite, redis: RedisDep) -> Response:
    """One event for the signed-in owner's site, through the same pipeline as public ingestion
    (validation, enrichment, rate limit, stream, deduplication by eventId) but without the
    Origin check, which is about visitors' pages, not the owner. The body, optional, is an event
    whose fields replace the defaults (a TEST_EVENT now, with fresh session and event ids)."""
    state = request.app.state
    raw = await read_body(request, _TEST_BODY_BYTES)
    given: Any = {}
    if raw.strip():
        try:
            given = orjson.loads(raw)
        except orjson.JSONDecodeError as exc:
            raise InvalidInput(errors={"body": "The body must be a JSON object"}) from exc
    if not isinstance(given, dict):
        raise InvalidInput(errors={"body": "The body must be a JSON object"})
    event = {
        "sessionId": uuid.uuid4().hex,
        "eventId": uuid.uuid4().hex,
        "eventTime": int(time.time() * 1000),
        "eventName": TEST_EVENT_NAME,
        "page": request.headers.get("referer") or "https://example.com/",
        **{k: v for k, v in given.items() if k != "apiKey"},
        "apiKey": site.api_key,
    }
    result = await ingest(
        redis=redis,
        resolver=state.resolver,
        policy=state.ingest_policy,
        request=IngestRequest(
            body=orjson.dumps(event),
            header_api_key=None,
            origin=None,  # no Origin: the check passes, as for a server sending events
            user_agent=request.headers.get("user-agent", ""),
            client_ip=request.headers.get(CLIENT_IP_HEADER, ""),
        ),
    )
    return _answer(result)
