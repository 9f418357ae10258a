"""Drop-in ingestion: the trackers sites already run (the seed's inline SDK, Plausible's, Umami's)
post here unchanged. Each route is a thin parser in front of the one pipeline (validation, key
resolution, origin check, rate limit, backlog, XADD, refusal counters, bot exclusion), and answers
as the tracker's own server does."""

from __future__ import annotations

import time
from dataclasses import replace

from fastapi import APIRouter, Request
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


async def _body(request: Request) -> bytes:
    if request.headers.get("content-encoding", "identity").lower() != "identity":
        raise InvalidInput(
            errors={"body": "A compressed body is not accepted: send it uncompressed"}
        )
    return await read_body(request, request.app.state.ingest_policy.limits.max_body_bytes)


def _request(request: Request, site_ref: str | None) -> IngestRequest:
    return IngestRequest(
        body=b"",
        header_api_key=site_ref,
        origin=request.headers.get("origin"),
        user_agent=request.headers.get("user-agent", ""),
        client_ip=request.headers.get(CLIENT_IP_HEADER, ""),
    )


async def _ingest(request: Request, site_ref: str | None, parsed: ParsedBody) -> IngestResult:
    state = request.app.state
    return await ingest_parsed(
        redis=state.redis,
        resolver=state.resolver,
        request=_request(request, site_ref),
        policy=state.ingest_policy,
        parsed=parsed,
    )


def _one(event: dict[str, object]) -> ParsedBody:
    return ParsedBody(api_key=None, events=[event], is_batch=False)


@router.post(SEED_PATH, status_code=201, include_in_schema=False)
async def seed_event(request: Request) -> Response:
    """The seed's inline SDK: one event, 201 with an empty payload."""
    body = await _body(request)
    try:
        parsed = seed.parse(body, request.app.state.ingest_policy.limits)
    except BodyError as exc:
        raise (PayloadTooLarge if exc.status == 413 else InvalidInput)(errors=exc.errors) from exc
    await _ingest(request, request.headers.get("x-api-key"), parsed)
    return JsonResponse(envelope({}), status_code=201)


def _plausible_error(errors: dict[str, list[str]]) -> Response:
    return JsonResponse({"errors": errors}, status_code=400)


@router.post(PLAUSIBLE_PATH, status_code=202, include_in_schema=False)
async def plausible_event(request: Request) -> Response:
    """Plausible's tracker: 202 `ok`; `x-plausible-dropped: <n>` for the sites an event did not
    reach or will not be counted in (unknown domain, bot, origin not allowed)."""
    state = request.app.state
    visitors: Visitors = state.visitors
    try:
        event = plausible.parse(await _body(request))
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
                ip=request.headers.get(CLIENT_IP_HEADER, ""),
                user_agent=request.headers.get("user-agent", ""),
            )
            try:
                result = await _ingest(
                    request, ref, _one(plausible.to_event(event, visit=visit, now_ms=now_ms))
                )
            except InvalidInput as exc:
                return _plausible_error(plausible.field_errors(exc.errors))
            except (NotAuthenticated, Forbidden):
                dropped += 1
                continue
            dropped += 1 if result.excluded else 0
    headers = {PLAUSIBLE_DROPPED_HEADER: str(dropped)} if dropped else None
    return PlainTextResponse("ok", status_code=202, headers=headers)


def _umami_error(message: str) -> Response:
    return PlainTextResponse(message, status_code=400)


async def _umami_visit(request: Request, site_id: str, user_id: str | None) -> Visit:
    """The visitor the cache token names (when it is ours, valid and of this site), else the
    one hashed from the request; `user_id` (identify) is remembered for the visit."""
    state = request.app.state
    visitors: Visitors = state.visitors
    known = state.cache_tokens.read(request.headers.get(UMAMI_CACHE_HEADER), site_id)
    if known is None:
        return await visitors.hashed(
            site_id=site_id,
            ip=request.headers.get(CLIENT_IP_HEADER, ""),
            user_agent=request.headers.get("user-agent", ""),
            user_id=user_id,
        )
    visitor, token_user = known
    visit = await visitors.known(site_id=site_id, visitor=visitor, user_id=user_id)
    return visit if visit.user_id or not token_user else replace(visit, user_id=token_user)


@router.post(UMAMI_PATH, include_in_schema=False)
async def umami_send(request: Request) -> Response:
    """Umami's tracker and clients: `{cache, sessionId, visitId}`; `{beep: "boop"}` for a bot;
    400 `Website not found.` for an unknown website id."""
    state = request.app.state
    try:
        sent = umami.parse(await _body(request))
    except umami.UmamiError as exc:
        return _umami_error(str(exc))
    ref = SITE_REF + sent.website
    owner = await state.resolver.resolve(ref)
    if owner is None:
        return _umami_error(umami.WEBSITE_NOT_FOUND)
    identified = sent.user_id if sent.type == umami.IDENTIFY else None
    visit = await _umami_visit(request, owner.site_id, identified)
    if sent.type == umami.EVENT:
        event = umami.to_event(
            sent, visit=visit, now_ms=int(time.time() * 1000), origin=request.headers.get("origin")
        )
        try:
            result = await _ingest(request, ref, _one(event))
        except InvalidInput as exc:
            fields = "; ".join(f"{k}: {v}" for k, v in exc.errors.items())
            return _umami_error(f"Invalid payload: {fields}")
        except NotAuthenticated:
            return _umami_error(umami.WEBSITE_NOT_FOUND)
        if result.excluded:
            return JsonResponse({"beep": "boop"})
    token = state.cache_tokens.issue(owner.site_id, visit)
    return JsonResponse({"cache": token, "sessionId": visit.visitor, "visitId": visit.session_id})
