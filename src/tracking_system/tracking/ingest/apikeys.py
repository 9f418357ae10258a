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
        self._retired: dict[str, tuple[str | None, float]] = {}

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

    async def retired_site(self, api_key: str) -> str | None:
        """The site an unknown key belonged to before it was rotated out or its site deleted
        (remembered for a while), or None. Asked only once a key is known to be unknown."""
        now = time.monotonic()
        hit = self._retired.get(api_key)
        if hit is not None and hit[1] > now:
            return hit[0]
        found = await self._redis.get(keys.api_key_retired(api_key))
        site_id = None if found is None else str(found)
        if len(self._retired) >= _MAX_ENTRIES:
            self._retired.clear()
        self._retired[api_key] = (site_id, now + self._ttl)
        return site_id

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
