"""API key -> site, read straight from Redis (no HTTP call) and cached for under a second,
so a rotated key stops working everywhere within one."""

from __future__ import annotations

import time
from dataclasses import dataclass

import redis.asyncio as aioredis

from tracking_system.common import keys

_MAX_ENTRIES = 100_000


@dataclass(frozen=True)
class KeyOwner:
    site_id: str
    allowed_origins: frozenset[str]


class ApiKeyResolver:
    """Resolves keys with a short per-process cache, negative answers included."""

    def __init__(self, redis: aioredis.Redis, *, cache_seconds: float) -> None:
        self._redis = redis
        self._ttl = cache_seconds
        self._cache: dict[str, tuple[KeyOwner | None, float]] = {}

    async def resolve(self, api_key: str) -> KeyOwner | None:
        """The key's owner, or None for an unknown key."""
        now = time.monotonic()
        hit = self._cache.get(api_key)
        if hit is not None and hit[1] > now:
            return hit[0]
        owner = await self._load(api_key)
        if len(self._cache) >= _MAX_ENTRIES:
            self._cache.clear()
        self._cache[api_key] = (owner, now + self._ttl)
        return owner

    async def _load(self, api_key: str) -> KeyOwner | None:
        site_id = await self._redis.get(keys.api_key(api_key))
        if site_id is None:
            return None
        origins = await self._redis.json().get(keys.site(str(site_id)), "$.allowedOrigins")
        listed = origins[0] if isinstance(origins, list) and origins else []
        return KeyOwner(
            site_id=str(site_id),
            allowed_origins=frozenset(str(o) for o in listed)
            if isinstance(listed, list)
            else frozenset(),
        )
