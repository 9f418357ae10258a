"""The ingestion pipeline, top to bottom: parse -> validate -> resolve key -> check origin ->
rate limit, backlog and XADD in one atomic script -> answer. Events refused once the site is
known are counted per site (refusals.py)."""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass, field
from typing import Any

import orjson
import redis.asyncio as aioredis
from redis.exceptions import NoScriptError

from tracking_system.common import keys
from tracking_system.common.agents import is_bot
from tracking_system.common.errors import (
    Forbidden,
    InvalidInput,
    NotAuthenticated,
    PayloadTooLarge,
    RateLimited,
    ServiceUnavailable,
)
from tracking_system.common.geo import country_of
from tracking_system.common.stream import EVENT_FIELD, SITE_FIELD
from tracking_system.tracking import metrics
from tracking_system.tracking.ingest import refusals
from tracking_system.tracking.ingest.apikeys import ApiKeyResolver
from tracking_system.tracking.ingest.validation import (
    BodyError,
    Limits,
    ParsedBody,
    parse_body,
    validate_event,
)

# KEYS[1] stream, KEYS[2] per-second counter of the key, KEYS[3] the site's refused-events
# bucket of this hour. ARGV[1] count, ARGV[2] limit per second, ARGV[3] largest backlog, ARGV[4]
# site id, ARGV[5] consumer group, ARGV[6] refused field suffix (`:MM`), ARGV[7] events refused
# by validation, ARGV[8] bucket TTL, ARGV[9..] events.
# One script: the batch is refused or added whole, never half. The backlog is what the workers
# still owe (entries not yet delivered, or delivered and not acknowledged), not the stream's
# length: acknowledged entries waiting to be trimmed are no reason to refuse events. Refusals
# are counted here too (refusals.py), so they cost no extra round trip; a batch accepted whole
# writes no counter.
_FIRST_EVENT = 9
_ADD = f"""
local function refuse(reason, n)
  if n > 0 then
    redis.call('HINCRBY', KEYS[3], reason .. ARGV[6], n)
    redis.call('EXPIRE', KEYS[3], ARGV[8])
  end
end
local count = #ARGV - {_FIRST_EVENT - 1}
local backlog = 0
local ok, groups = pcall(redis.call, 'XINFO', 'GROUPS', KEYS[1])
if ok then
  backlog = nil
  for _, g in ipairs(groups) do
    local f = {{}}
    for i = 1, #g, 2 do f[g[i]] = g[i + 1] end
    if f['name'] == ARGV[5] and f['lag'] then backlog = f['lag'] + f['pending'] end
  end
  -- No group yet, or a lag Redis cannot tell: the stream's length is the safe bound.
  backlog = backlog or redis.call('XLEN', KEYS[1])
end
refuse('{refusals.INVALID}', tonumber(ARGV[7]))
if backlog >= tonumber(ARGV[3]) then
  refuse('{refusals.BACKLOG}', count)
  return -1
end
local used = redis.call('INCRBY', KEYS[2], ARGV[1])
if used == tonumber(ARGV[1]) then redis.call('EXPIRE', KEYS[2], 2) end
if used > tonumber(ARGV[2]) then
  refuse('{refusals.RATE_LIMITED}', count)
  return -2
end
for i = {_FIRST_EVENT}, #ARGV do
  redis.call('XADD', KEYS[1], '*', '{SITE_FIELD}', ARGV[4], '{EVENT_FIELD}', ARGV[i])
end
return count
"""


_ADD_SHA = hashlib.sha1(_ADD.encode(), usedforsecurity=False).hexdigest()


async def _add(redis: aioredis.Redis, script_keys: list[str], args: list[Any]) -> Any:
    """The ingest script by its digest (EVAL of the source only when Redis lacks it)."""
    try:
        return await redis.evalsha(_ADD_SHA, len(script_keys), *script_keys, *args)
    except NoScriptError:
        return await redis.eval(_ADD, len(script_keys), *script_keys, *args)


@dataclass(frozen=True)
class IngestRequest:
    body: bytes
    header_api_key: str | None
    origin: str | None
    user_agent: str
    client_ip: str


@dataclass
class IngestResult:
    accepted: int
    rejected: list[dict[str, Any]] = field(default_factory=list)
    # Accepted and stored, but left out of every number, by reason: {"bot": n}.
    excluded: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class IngestPolicy:
    limits: Limits
    rate_limit_per_second: int
    max_backlog: int


def origin_allowed(origin: str | None, allowed: frozenset[str]) -> bool:
    """An empty list allows any origin; requests without Origin come from servers, not pages."""
    if not allowed or origin is None:
        return True
    return origin.lower().rstrip("/") in allowed


def _reject(reason: str, count: int = 1) -> None:
    metrics.EVENTS_REJECTED.labels(reason=reason).inc(count)


async def ingest(
    *,
    redis: aioredis.Redis,
    resolver: ApiKeyResolver,
    request: IngestRequest,
    policy: IngestPolicy,
) -> IngestResult:
    """Accept what is valid into the events stream, or raise the error the contract names."""
    if len(request.body) > policy.limits.max_body_bytes:
        _reject("too_large")
        raise PayloadTooLarge(f"Body larger than {policy.limits.max_body_bytes // 1024} KB")
    try:
        parsed = parse_body(request.body, policy.limits)
    except BodyError as exc:
        _reject("too_large" if exc.status == 413 else "malformed")
        error = PayloadTooLarge if exc.status == 413 else InvalidInput
        raise error(errors=exc.errors) from exc
    return await ingest_parsed(
        redis=redis, resolver=resolver, request=request, policy=policy, parsed=parsed
    )


async def ingest_parsed(
    *,
    redis: aioredis.Redis,
    resolver: ApiKeyResolver,
    request: IngestRequest,
    policy: IngestPolicy,
    parsed: ParsedBody,
) -> IngestResult:
    """The pipeline from the key on, for events a drop-in route has already parsed into the event
    model (its site named by `header_api_key`, a key or a reference, see apikeys.py)."""
    api_key = request.header_api_key or parsed.api_key
    if api_key is None and not parsed.is_batch and isinstance(parsed.events[0], dict):
        own = parsed.events[0].get("apiKey")
        api_key = own if isinstance(own, str) else None
    if not api_key:
        _reject("no_api_key", len(parsed.events))
        raise NotAuthenticated(errors={"apiKey": "API key required (body apiKey or X-Api-Key)"})
    owner = await resolver.resolve(api_key)
    if owner is None:
        _reject("unknown_api_key", len(parsed.events))
        retired = await resolver.retired_site(api_key)
        if retired is not None:
            await refusals.count(redis, site_id=retired, reason=refusals.RETIRED_KEY,
                                 n=len(parsed.events), now_s=time.time())  # fmt: skip
        raise NotAuthenticated(errors={"apiKey": "Unknown API key"})
    if not origin_allowed(request.origin, owner.allowed_origins):
        _reject("origin_not_allowed", len(parsed.events))
        await refusals.count(redis, site_id=owner.site_id, reason=refusals.ORIGIN,
                             n=len(parsed.events), now_s=time.time())  # fmt: skip
        raise Forbidden("This site's origin is not allowed to send events with this key")

    now_s = time.time()
    now_ms = int(now_s * 1000)
    accepted: list[str] = []
    bots = 0
    header_agent = request.user_agent[:1024]
    # The stream (and so the AOF) never holds the client's address, only its country.
    country = country_of(request.client_ip)
    result = IngestResult(accepted=0)
    for index, raw in enumerate(parsed.events):
        event, errors = validate_event(raw, now_ms=now_ms, api_key=api_key, limits=policy.limits)
        if event is None:
            result.rejected.append({"index": index, "errors": errors})
            continue
        event["receivedAt"] = now_ms
        if event["userAgent"] is None:  # the event's own (forwarded) agent comes first
            event["userAgent"] = header_agent
        if is_bot(event["userAgent"]):  # the worker's very test: it flags them the same
            bots += 1
        event["country"] = country
        accepted.append(orjson.dumps(event).decode())
    if result.rejected:
        _reject("invalid", len(result.rejected))
    if not accepted:
        await refusals.count(redis, site_id=owner.site_id, reason=refusals.INVALID,
                             n=len(result.rejected), now_s=now_s)  # fmt: skip
        if parsed.is_batch:
            raise InvalidInput(errors={"events": result.rejected})
        raise InvalidInput(errors=result.rejected[0]["errors"])

    hour, minute = refusals.bucket(now_s)
    outcome = await _add(
        redis,
        [keys.EVENTS_STREAM, keys.ingest_rate(owner.site_id, int(now_ms // 1000)),
         keys.refused(owner.site_id, hour)],
        [len(accepted), policy.rate_limit_per_second, policy.max_backlog, owner.site_id,
         keys.EVENTS_GROUP, minute, len(result.rejected), keys.REFUSED_TTL_SECONDS, *accepted],
    )  # fmt: skip
    if outcome == -1:
        _reject("backlog", len(accepted))
        raise ServiceUnavailable("Too many events waiting to be processed", retry_after=5)
    if outcome == -2:
        _reject("rate_limited", len(accepted))
        raise RateLimited("Too many events for this API key", retry_after=1)
    metrics.EVENTS_ACCEPTED.inc(len(accepted))
    result.accepted = len(accepted)
    if bots:
        result.excluded["bot"] = bots
    return result
