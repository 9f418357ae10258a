"""Unique names (an email, an API key, a domain) reserved one key at a time, so every step stays
in one Redis Cluster slot: claimed with SET NX before anything is written, released again (only
by their holder) when a later step fails."""

from __future__ import annotations

import redis.asyncio as aioredis

# KEYS[1] a reservation, ARGV[1] its expected holder. Deletes it only while that holder holds it,
# so undoing a step never frees a name someone else claimed meanwhile.
_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""


async def claim(redis: aioredis.Redis, key: str, holder: str) -> bool:
    """Reserve a name for its holder; False when another holder has it."""
    previous = await redis.set(key, holder, nx=True, get=True)
    return previous is None or str(previous) == holder


async def release(redis: aioredis.Redis, key: str, holder: str) -> None:
    """Free a name, if `holder` still holds it."""
    await redis.eval(_RELEASE, 1, key, holder)
