"""Drop-in ingestion: the trackers sites already run (the seed's inline SDK, Plausible's, Umami's)
post here unchanged. Each route is a thin parser in front of the one pipeline (validation, key
resolution, origin check, rate limit, backlog, XADD, refusal counters, bot exclusion), and answers
as the tracker's own server does."""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import replace

from fastapi import APIRouter, Request
from starlette.datastructures import State
from starlette.responses import PlainTextResponse, Response

from tracking_system.common.errors import (
    Forbidden,
    InvalidInput,
    NotAuthenticated,
    PayloadTooLarge,
    envelope,
)
from tracking_system.common.http import read_body
from tracking_system.common.internal import CLIENT_IP_HEADER
from tracking_system.common.responses import JsonResponse
from tracking_system.tracking.ingest import plausible, seed, umami
from tracking_system.tracking.ingest.apikeys import DOMAIN_REF, SITE_REF
from tracking_system.tracking.ingest.pipeline import IngestRequest, IngestResult, ingest_parsed
from tracking_system.tracking.ingest.validation import BodyError, ParsedBody
from tracking_system.tracking.ingest.visitors import Visit, Visitors

router = APIRouter(tags=["ingestion"])

SEED_PATH = "/api/tracking-service/v1/public/events/"
PLAUSIBLE_PATH = "/api/event"
UMAMI_PATH = "/api/send"
UMAMI_CACHE_HEADER = "x-umami-cache"
PLAUSIBLE_DROPPED_HEADER = "x-plausible-dropped"


Headers = Mapping[str, str]


def _check_encoding(headers: Headers) -> None:
    if headers.get("content-encoding", "identity").lower() != "identity":
        raise InvalidInput(
            errors={"body": "A compressed body is not accepted: send it uncompressed"}
        )


async def _inbound(request: Request) -> tuple[State, Headers, bytes]:
    """What an answer needs of an ASGI request: the app state, headers (the first of a repeated
    one counts) and body."""
    state = request.app.state
    headers: dict[str, str] = {}
    for name, value in request.headers.items():
        headers.setdefault(name, value)
    _check_encoding(headers)
    return state, headers, await read_body(request, state.ingest_policy.limits.max_body_bytes)


def _request(headers: Headers, site_ref: str | None) -> IngestRequest:
    return IngestRequest(
        body=b"",
        header_api_key=site_ref,
        origin=headers.get("origin"),
        user_agent=headers.get("user-agent", ""),
        client_ip=headers.get(CLIENT_IP_HEADER, ""),
    )


async def _ingest(
    state: State, headers: Headers, site_ref: str | None, parsed: ParsedBody
) -> IngestResult:
    return await ingest_parsed(
        redis=state.redis,
        resolver=state.resolver,
        request=_request(headers, site_ref),
        policy=state.ingest_policy,
        parsed=parsed,
        appender=state.appender,
    )


def _one(event: dict[str, object]) -> ParsedBody:
    return ParsedBody(api_key=None, events=[event], is_batch=False)


@router.post(SEED_PATH, status_code=201, include_in_schema=False)
async def seed_event(request: Request) -> Response:
    """The seed's inline SDK: one event, 201 with an empty payload."""
    state, headers, body = await _inbound(request)
    return await seed_answer(state, headers=headers, body=body)


async def seed_answer(state: State, *, headers: Headers, body: bytes) -> Response:
    """The seed SDK's answer, whichever path the request came by."""
    _check_encoding(headers)
    try:
        parsed = seed.parse(body, state.ingest_policy.limits)
    except BodyError as exc:
        raise (PayloadTooLarge if exc.status == 413 else InvalidInput)(errors=exc.errors) from exc
    await _ingest(state, headers, headers.get("x-api-key"), parsed)
    return JsonResponse(envelope({}), status_code=201)


def _plausible_error(errors: dict[str, list[str]]) -> Response:
    return JsonResponse({"errors": errors}, status_code=400)


@router.post(PLAUSIBLE_PATH, status_code=202, include_in_schema=False)
async def plausible_event(request: Request) -> Response:
    """Plausible's tracker: 202 `ok`; `x-plausible-dropped: <n>` for the sites an event did not
    reach or will not be counted in (unknown domain, bot, origin not allowed)."""
    state, headers, body = await _inbound(request)
    return await plausible_answer(state, headers=headers, body=body)


async def plausible_answer(state: State, *, headers: Headers, body: bytes) -> Response:
    """Plausible's answer, whichever path the request came by."""
    _check_encoding(headers)
    visitors: Visitors = state.visitors
    try:
        event = plausible.parse(body)
    except plausible.PlausibleError as exc:
        return _plausible_error(exc.errors)
    dropped = 0
    if not event.ignored:
        now_ms = int(time.time() * 1000)
        for domain in event.domains:
            ref = DOMAIN_REF + domain
            owner = await state.resolver.resolve(ref)
            if owner is None:
                dropped += 1
                continue
            visit = await visitors.hashed(
                site_id=owner.site_id,
                ip=headers.get(CLIENT_IP_HEADER, ""),
                user_agent=headers.get("user-agent", ""),
            )
            try:
                result = await _ingest(
                    state, headers, ref,
                    _one(plausible.to_event(event, visit=visit, now_ms=now_ms)),
                )  # fmt: skip
            except InvalidInput as exc:
                return _plausible_error(plausible.field_errors(exc.errors))
            except (NotAuthenticated, Forbidden):
                dropped += 1
                continue
            dropped += 1 if result.excluded else 0
    signal = {PLAUSIBLE_DROPPED_HEADER: str(dropped)} if dropped else None
    return PlainTextResponse("ok", status_code=202, headers=signal)


def _umami_error(message: str) -> Response:
    return PlainTextResponse(message, status_code=400)


async def _umami_visit(state: State, headers: Headers, site_id: str, user_id: str | None) -> Visit:
    """The visitor the cache token names (when it is ours, valid and of this site), else the
    one hashed from the request; `user_id` (identify) is remembered for the visit."""
    visitors: Visitors = state.visitors
    known = state.cache_tokens.read(headers.get(UMAMI_CACHE_HEADER), site_id)
    if known is None:
        return await visitors.hashed(
            site_id=site_id,
            ip=headers.get(CLIENT_IP_HEADER, ""),
            user_agent=headers.get("user-agent", ""),
            user_id=user_id,
        )
    visitor, token_user = known
    visit = await visitors.known(site_id=site_id, visitor=visitor, user_id=user_id)
    return visit if visit.user_id or not token_user else replace(visit, user_id=token_user)


@router.post(UMAMI_PATH, include_in_schema=False)
async def umami_send(request: Request) -> Response:
    """Umami's tracker and clients: `{cache, sessionId, visitId}`; `{beep: "boop"}` for a bot;
    400 `Website not found.` for an unknown website id."""
    state, headers, body = await _inbound(request)
    return await umami_answer(state, headers=headers, body=body)


async def umami_answer(state: State, *, headers: Headers, body: bytes) -> Response:
    """Umami's answer, whichever path the request came by."""
    _check_encoding(headers)
    try:
        sent = umami.parse(body)
    except umami.UmamiError as exc:
        return _umami_error(str(exc))
    ref = SITE_REF + sent.website
    owner = await state.resolver.resolve(ref)
    if owner is None:
        return _umami_error(umami.WEBSITE_NOT_FOUND)
    identified = sent.user_id if sent.type == umami.IDENTIFY else None
    visit = await _umami_visit(state, headers, owner.site_id, identified)
    if sent.type == umami.EVENT:
        event = umami.to_event(
            sent, visit=visit, now_ms=int(time.time() * 1000), origin=headers.get("origin")
        )
        try:
            result = await _ingest(state, headers, ref, _one(event))
        except InvalidInput as exc:
            fields = "; ".join(f"{k}: {v}" for k, v in exc.errors.items())
            return _umami_error(f"Invalid payload: {fields}")
        except NotAuthenticated:
            return _umami_error(umami.WEBSITE_NOT_FOUND)
        if result.excluded:
            return JsonResponse({"beep": "boop"})
    token = state.cache_tokens.issue(owner.site_id, visit)
    return JsonResponse({"cache": token, "sessionId": visit.visitor, "visitId": visit.session_id})


# The drop-in answers by path, for the protocol-level routes (routes/ingest.py).
ANSWERS = {SEED_PATH: seed_answer, PLAUSIBLE_PATH: plausible_answer, UMAMI_PATH: umami_answer}
