"""API key -> site, read straight from Redis (no HTTP call) and cached for under a second,
so a rotated key stops working everywhere within one."""

from __future__ import annotations

from dataclasses import dataclass

import redis.asyncio as aioredis

from tracking_system.common import keys
from tracking_system.common.ttlcache import TtlCache

_MAX_ENTRIES = 100_000


@dataclass(frozen=True)
class KeyOwner:
    site_id: str
    allowed_origins: frozenset[str]


class ApiKeyResolver:
    """Resolves keys with a short per-process cache, negative answers included."""

    def __init__(self, redis: aioredis.Redis, *, cache_seconds: float) -> None:
        self._redis = redis
        self._cache: TtlCache[str, KeyOwner | None] = TtlCache(
            ttl=cache_seconds, max_entries=_MAX_ENTRIES
        )
        self._retired: TtlCache[str, str | None] = TtlCache(
            ttl=cache_seconds, max_entries=_MAX_ENTRIES
        )

    async def resolve(self, api_key: str) -> KeyOwner | None:
        """The key's owner, or None for an unknown key."""
        fresh, owner = self._cache.get(api_key)
        if not fresh:
            owner = await self._load(api_key)
            self._cache.put(api_key, owner)
        return owner

    async def retired_site(self, api_key: str) -> str | None:
        """The site an unknown key belonged to before it was rotated out or its site deleted
        (remembered for a while), or None. Asked only once a key is known to be unknown."""
        fresh, site_id = self._retired.get(api_key)
        if not fresh:
            found = await self._redis.get(keys.api_key_retired(api_key))
            site_id = None if found is None else str(found)
            self._retired.put(api_key, site_id)
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
