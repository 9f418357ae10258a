"""Each site's time zone, read from its document and cached for a few seconds."""

from __future__ import annotations

import redis.asyncio as aioredis

from tracking_system.common import keys
from tracking_system.common.ttlcache import TtlCache
from tracking_system.common.zones import DEFAULT_ZONE


class SiteZones:
    """site id -> IANA zone its rollups are written in."""

    def __init__(self, redis: aioredis.Redis, *, cache_seconds: float) -> None:
        self._redis = redis
        self._cache: TtlCache[str, str] = TtlCache(ttl=cache_seconds, max_entries=100_000)

    async def zones_of(self, site_ids: set[str]) -> dict[str, str]:
        """The zone of every site, one round trip for those not cached."""
        out: dict[str, str] = {}
        missing: list[str] = []
        for site in site_ids:
            fresh, tz = self._cache.get(site)
            if fresh and tz is not None:
                out[site] = tz
            else:
                missing.append(site)
        if missing:
            async with self._redis.pipeline(transaction=False) as pipe:
                for site in missing:
                    pipe.json().get(keys.site(site), "$.timezone")
                found = await pipe.execute()
            for site, value in zip(missing, found, strict=True):
                tz = str(value[0]) if isinstance(value, list) and value else DEFAULT_ZONE
                self._cache.put(site, tz)
                out[site] = tz
        return out
