"""The ingestion pipeline, top to bottom: parse -> validate -> resolve key -> check origin ->
rate limit, backlog check and XADD on the site's stream shard (one script on one node; one
script per slot in a Redis Cluster) -> answer. Events refused once the site is known are counted
per site (common/refusals.py)."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import orjson
import redis.asyncio as aioredis

from tracking_system.common import columnar, keys, refusals
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
from tracking_system.common.redis import is_cluster
from tracking_system.common.scripts import Script, ScriptClient
from tracking_system.common.stream import EVENT_FIELD, SITE_FIELD
from tracking_system.tracking import metrics
from tracking_system.tracking.ingest.apikeys import ApiKeyResolver
from tracking_system.tracking.ingest.validation import (
    BodyError,
    Limits,
    ParsedBody,
    parse_body,
    validate_event,
)

# A batch is refused or added whole, never half: the backlog check and every XADD run in one
# script. The backlog is what the workers still owe on the site's stream shard (entries not yet
# delivered, or delivered and not acknowledged), not the stream's length: acknowledged entries
# waiting to be trimmed are no reason to refuse events. Refusals are counted in the same scripts
# (refusals.py), so they cost no extra round trip; a batch accepted whole writes no counter.
#
# In a Redis Cluster a script touches one slot, and the site's keys (its per-second counter, its
# refused-events bucket) and its stream shard live in different slots, so a batch takes
# single-slot steps (_in_slots): _ADMIT in the site's slot (validation refusals counted, the
# batch taken from the second's budget or refused), then _APPEND on the shard (backlog check +
# XADDs), then, only when the backlog is full, _REFUSE_BACKLOG in the site's slot (the refusal
# counted, the budget given back, so the counters end as if the batch had never taken any). On
# one node every key is at hand: _ONE_NODE does all of it in one round trip.
#
# Site arguments: ARGV[1] count, ARGV[2] limit per second, ARGV[3] refused field suffix `:MM`,
# ARGV[4] events refused by validation, ARGV[5] bucket TTL (KEYS: the counter, the bucket).
# Stream arguments, after them in _ONE_NODE, alone in _APPEND (KEYS: the shard): largest
# backlog, consumer group, site id, the events.
_RATE_LIMITED, _BACKLOG_FULL = -2, -1
_FUNCTIONS = f"""
local function refuse(bucket, reason, n)
  if n > 0 then
    redis.call('HINCRBY', bucket, reason .. ARGV[3], n)
    redis.call('EXPIRE', bucket, ARGV[5])
  end
end
local function owed(stream, group)
  local ok, groups = pcall(redis.call, 'XINFO', 'GROUPS', stream)
  if not ok then return 0 end
  for _, g in ipairs(groups) do
    local f = {{}}
    for i = 1, #g, 2 do f[g[i]] = g[i + 1] end
    if f['name'] == group and f['lag'] then return f['lag'] + f['pending'] end
  end
  -- No group yet, or a lag Redis cannot tell: the stream's length is the safe bound.
  return redis.call('XLEN', stream)
end
local function over_rate(counter, count, limit)
  local used = redis.call('INCRBY', counter, count)
  if used == count then redis.call('EXPIRE', counter, 2) end
  return used > limit
end
local function append(stream, site, first)
  for i = first, #ARGV do
    redis.call('XADD', stream, '*', '{SITE_FIELD}', site, '{EVENT_FIELD}', ARGV[i])
  end
  return #ARGV - first + 1
end
"""


_ADMIT = Script(
    _FUNCTIONS
    + f"""
local count = tonumber(ARGV[1])
refuse(KEYS[2], '{refusals.INVALID}', tonumber(ARGV[4]))
if over_rate(KEYS[1], count, tonumber(ARGV[2])) then
  refuse(KEYS[2], '{refusals.RATE_LIMITED}', count)
  return {_RATE_LIMITED}
end
return count
"""
)
_APPEND = Script(
    _FUNCTIONS
    + f"""
if owed(KEYS[1], ARGV[2]) >= tonumber(ARGV[1]) then return {_BACKLOG_FULL} end
return append(KEYS[1], ARGV[3], 4)
"""
)
_REFUSE_BACKLOG = Script(
    _FUNCTIONS
    + f"""
local count = tonumber(ARGV[1])
-- The counter expires 2 s after its second began: a counter gone is a budget already renewed.
if redis.call('EXISTS', KEYS[1]) == 1 then redis.call('DECRBY', KEYS[1], count) end
refuse(KEYS[2], '{refusals.BACKLOG}', count)
"""
)
_ONE_NODE = Script(
    _FUNCTIONS
    + f"""
local count = tonumber(ARGV[1])
refuse(KEYS[2], '{refusals.INVALID}', tonumber(ARGV[4]))
if owed(KEYS[3], ARGV[7]) >= tonumber(ARGV[6]) then
  refuse(KEYS[2], '{refusals.BACKLOG}', count)
  return {_BACKLOG_FULL}
end
if over_rate(KEYS[1], count, tonumber(ARGV[2])) then
  refuse(KEYS[2], '{refusals.RATE_LIMITED}', count)
  return {_RATE_LIMITED}
end
return append(KEYS[3], ARGV[8], 9)
"""
)


async def _in_slots(
    redis: aioredis.Redis, site: tuple[list[str], list[Any]], stream: tuple[str, list[Any]]
) -> int:
    """The batch's steps one slot at a time (Redis Cluster): its outcome."""
    site_keys, site_args = site
    if await _ADMIT.run(redis, site_keys, site_args) == _RATE_LIMITED:
        return _RATE_LIMITED
    added = int(await _APPEND.run(redis, [stream[0]], stream[1]))
    if added == _BACKLOG_FULL:
        await _REFUSE_BACKLOG.run(redis, site_keys, site_args)
    return added


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
    max_backlog: int  # per stream shard
    streams: int  # shards of the ingestion stream (INGEST_STREAMS)


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
    appender: ScriptClient | None = None,
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
        redis=redis, resolver=resolver, request=request, policy=policy, parsed=parsed,
        appender=appender,
    )  # fmt: skip


async def ingest_parsed(
    *,
    redis: aioredis.Redis,
    resolver: ApiKeyResolver,
    request: IngestRequest,
    policy: IngestPolicy,
    parsed: ParsedBody,
    appender: ScriptClient | None = None,
) -> IngestResult:
    """The pipeline from the key on, for events a drop-in route has already parsed into the event
    model (its site named by `header_api_key`, a key or a reference, see apikeys.py). The
    events are appended through `appender` when given (on one Redis server), else `redis`."""
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
    # Older events would be deleted (worker/hot.py): refused here, where the sender sees it.
    keep_from = (columnar.midnight_days_ago(now_ms, owner.retention_days)
                 if owner.retention_days else None)  # fmt: skip
    expired = 0
    for index, raw in enumerate(parsed.events):
        event, errors = validate_event(raw, now_ms=now_ms, api_key=api_key, limits=policy.limits)
        if event is not None and keep_from is not None and event["eventTime"] < keep_from:
            days = owner.retention_days
            event = None
            errors = {"eventTime": f"Older than this site keeps its events (retentionDays: {days})"}
            expired += 1
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
    invalid = len(result.rejected) - expired
    if invalid:
        _reject("invalid", invalid)
    if expired:
        _reject("expired", expired)
        await refusals.count(redis, site_id=owner.site_id, reason=refusals.EXPIRED, n=expired,
                             now_s=now_s)  # fmt: skip
    if not accepted:
        await refusals.count(redis, site_id=owner.site_id, reason=refusals.INVALID,
                             n=invalid, now_s=now_s)  # fmt: skip
        if parsed.is_batch:
            raise InvalidInput(errors={"events": result.rejected})
        raise InvalidInput(errors=result.rejected[0]["errors"])

    count = len(accepted)
    hour, minute = refusals.bucket(now_s)
    site_keys = [keys.ingest_rate(owner.site_id, now_ms // 1000), keys.refused(owner.site_id, hour)]
    site_args = [count, policy.rate_limit_per_second, minute, invalid,
                 keys.REFUSED_TTL_SECONDS]  # fmt: skip
    stream = keys.site_stream(owner.site_id, policy.streams)
    stream_args = [policy.max_backlog, keys.EVENTS_GROUP, owner.site_id, *accepted]
    if is_cluster(redis):
        outcome = await _in_slots(redis, (site_keys, site_args), (stream, stream_args))
    else:
        outcome = await _ONE_NODE.run(
            appender or redis, [*site_keys, stream], [*site_args, *stream_args]
        )
    if outcome == _BACKLOG_FULL:
        _reject("backlog", count)
        raise ServiceUnavailable("Too many events waiting to be processed", retry_after=5)
    if outcome == _RATE_LIMITED:
        _reject("rate_limited", count)
        raise RateLimited("Too many events for this API key", retry_after=1)
    metrics.EVENTS_ACCEPTED.inc(count)
    result.accepted = count
    if bots:
        result.excluded["bot"] = bots
    return result
