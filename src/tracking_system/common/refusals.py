"""Per-site counters of events refused, so the owner sees what only the visitor's console would
otherwise know (a retired key, an origin not allowed, a rate limit...): at ingestion, and by the
worker for events older than the site keeps.

One HASH per site and UTC hour (`keys.refused`), fields `<reason>:<MM>` (MM the minute of the
hour), expiring 25 h after its last write: "the last 60 minutes" and "the last 24 hours" are
sliding windows read from at most 25 buckets. Only refusals write: never the success path."""

from __future__ import annotations

from typing import Final

import redis.asyncio as aioredis

from tracking_system.common import keys

RETIRED_KEY: Final = "retired_key"  # a rotated-out key, or a deleted site's
ORIGIN: Final = "origin"  # the request's Origin is not in the site's allowedOrigins
RATE_LIMITED: Final = "rate_limited"  # 429: over the per-key limit
INVALID: Final = "invalid"  # refused by validation (in a 400, or the `rejected` of a 202)
BACKLOG: Final = "backlog"  # 503: too many events waiting for the workers
EXPIRED: Final = "expired"  # older than the site keeps (at ingestion, or by the worker)
REASONS: Final = (RETIRED_KEY, ORIGIN, RATE_LIMITED, INVALID, BACKLOG, EXPIRED)

_WINDOW_HOUR = 60
_WINDOW_DAY = 24 * 60


def bucket(now_s: float) -> tuple[int, str]:
    """(hour since the epoch, field suffix `:MM`) of a moment."""
    seconds = int(now_s)
    return seconds // 3600, f":{seconds % 3600 // 60:02d}"


async def count(redis: aioredis.Redis, *, site_id: str, reason: str, n: int, now_s: float) -> None:
    """Add `n` refusals of `reason` to the site's counters (one pipelined round trip)."""
    if n <= 0:
        return
    hour, suffix = bucket(now_s)
    key = keys.refused(site_id, hour)
    async with redis.pipeline(transaction=False) as pipe:
        pipe.hincrby(key, reason + suffix, n)
        pipe.expire(key, keys.REFUSED_TTL_SECONDS)
        await pipe.execute()


async def read(redis: aioredis.Redis, *, site_id: str, now_s: float) -> dict[str, dict[str, int]]:
    """`{lastHour: {reason: n}, last24h: {reason: n}}` over the last 60 minutes and 24 hours
    (to the minute), every reason present (0 when none)."""
    hour, suffix = bucket(now_s)
    minute = int(suffix[1:])
    last_hour = dict.fromkeys(REASONS, 0)
    last_day = dict.fromkeys(REASONS, 0)
    async with redis.pipeline(transaction=False) as pipe:
        for ago in range(25):
            pipe.hgetall(keys.refused(site_id, hour - ago))
        buckets = await pipe.execute()
    for ago, fields in enumerate(buckets):
        for name, value in (fields or {}).items():
            reason, _, mm = str(name).rpartition(":")
            if reason not in last_day or not mm.isdigit():
                continue
            age = ago * 60 + minute - int(mm)  # minutes ago; 0 is the current minute
            if 0 <= age < _WINDOW_DAY:
                last_day[reason] += int(value)
                if age < _WINDOW_HOUR:
                    last_hour[reason] += int(value)
    return {"lastHour": last_hour, "last24h": last_day}
