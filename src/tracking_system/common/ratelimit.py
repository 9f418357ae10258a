"""Fixed-window rate limits kept in Redis, shared by every copy of a service."""

from __future__ import annotations

from dataclasses import dataclass

import redis.asyncio as aioredis

from tracking_system.common import keys


@dataclass(frozen=True)
class Limit:
    """At most `count` hits per `window_seconds`."""

    scope: str
    count: int
    window_seconds: int


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    retry_after: int


async def peek(redis: aioredis.Redis, limit: Limit, subject: str) -> Verdict:
    """Whether one more hit is allowed, without counting one."""
    key = keys.rate_limit(limit.scope, subject)
    async with redis.pipeline(transaction=False) as pipe:
        pipe.get(key)
        pipe.ttl(key)
        used, ttl = await pipe.execute()
    if used is not None and int(used) >= limit.count:
        return Verdict(allowed=False, retry_after=max(1, int(ttl)))
    return Verdict(allowed=True, retry_after=0)


async def hit(redis: aioredis.Redis, limit: Limit, subject: str) -> Verdict:
    """Count one hit; not allowed once the window's count is exceeded."""
    key = keys.rate_limit(limit.scope, subject)
    async with redis.pipeline(transaction=True) as pipe:
        pipe.incr(key)
        pipe.expire(key, limit.window_seconds, nx=True)
        pipe.ttl(key)
        used, _, ttl = await pipe.execute()
    if int(used) > limit.count:
        return Verdict(allowed=False, retry_after=max(1, int(ttl)))
    return Verdict(allowed=True, retry_after=0)
