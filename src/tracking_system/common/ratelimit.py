"""Fixed-window rate limits and back-off delays kept in Redis, shared by every copy of a service.

Each limit of a subject is one counter key (tagged by the subject), and every command or
transaction touches one counter, so it stays in one Redis Cluster slot."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass

import redis.asyncio as aioredis

from tracking_system.common import keys

# KEYS[1] a counter. Takes one hit back if it still exists; a counter whose window ended in the
# meantime is left alone (DECR would create it without an expiry).
_REFUND = """
if redis.call('EXISTS', KEYS[1]) == 1 then redis.call('DECR', KEYS[1]) end
return 0
"""

# Doubling stops here: the delay has long reached any sane cap, and 2**n stays a small float.
_MAX_DOUBLINGS = 30


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
    used: int = 0


@dataclass(frozen=True)
class Backoff:
    """A delay that doubles with each attempt past `free` in a window, capped; never a refusal."""

    scope: str
    free: int
    base_seconds: float
    max_seconds: float
    window_seconds: int

    @property
    def limit(self) -> Limit:
        """The attempts that wait for nothing, counted like a limit."""
        return Limit(self.scope, self.free, self.window_seconds)

    def delay(self, earlier: int) -> float:
        """Seconds to wait before an attempt that follows `earlier` counted attempts."""
        if earlier < self.free:
            return 0.0
        doublings = min(earlier - self.free, _MAX_DOUBLINGS)
        return min(self.max_seconds, self.base_seconds * 2.0**doublings)


Check = tuple[Limit, str]


async def hit(redis: aioredis.Redis, limit: Limit, subject: str) -> Verdict:
    """Count one hit; refused (and not counted) once the window's count is reached."""
    return await hit_all(redis, [(limit, subject)])


async def hit_all(redis: aioredis.Redis, checks: Sequence[Check]) -> Verdict:
    """Count one hit against every limit at once; over any limit, take it back and refuse."""
    # Counting before the work, rather than peeking, keeps a burst of concurrent requests from
    # slipping past a limit together.
    counted = await asyncio.gather(
        *(_count(redis, _key(limit, subject), limit.window_seconds) for limit, subject in checks)
    )
    used = [n for n, _ in counted]
    waits = [max(1, ttl) for (limit, _), (n, ttl) in zip(checks, counted, strict=True)
             if n > limit.count]  # fmt: skip
    if waits:
        await refund(redis, checks)
        return Verdict(allowed=False, retry_after=max(waits), used=max(used))
    return Verdict(allowed=True, retry_after=0, used=max(used, default=0))


async def back_off(redis: aioredis.Redis, backoff: Backoff, subject: str) -> float:
    """Count one attempt of the subject; the seconds it should wait before going ahead."""
    used, _ = await _count(redis, _key(backoff.limit, subject), backoff.window_seconds)
    return backoff.delay(used - 1)


async def refund(redis: aioredis.Redis, checks: Sequence[Check]) -> None:
    """Take back one hit from each limit, e.g. when the attempt it counted turned out fine."""
    await asyncio.gather(
        *(redis.eval(_REFUND, 1, _key(limit, subject)) for limit, subject in checks)
    )


async def clear(redis: aioredis.Redis, checks: Sequence[Check]) -> None:
    """Start the windows of these limits afresh."""
    await asyncio.gather(*(redis.delete(_key(limit, subject)) for limit, subject in checks))


def _key(limit: Limit, subject: str) -> str:
    """The counter of one limit of one subject."""
    return keys.rate_limit(limit.scope, subject)


async def _count(redis: aioredis.Redis, key: str, window_seconds: int) -> tuple[int, int]:
    """One hit on a counter, its window started by the first: (hits so far, seconds left)."""
    async with redis.pipeline(transaction=True) as pipe:
        pipe.incr(key)
        pipe.expire(key, window_seconds, nx=True)
        pipe.ttl(key)
        used, _, ttl = await pipe.execute()
    return int(used), int(ttl)
