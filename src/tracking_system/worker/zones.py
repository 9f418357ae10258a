"""Each site's time zone, read from its document and cached for a few seconds."""

from __future__ import annotations

import time

import redis.asyncio as aioredis

from tracking_system.common import keys
from tracking_system.common.zones import DEFAULT_ZONE


class SiteZones:
    """site id -> IANA zone its rollups are written in."""

    def __init__(self, redis: aioredis.Redis, *, cache_seconds: float) -> None:
        self._redis = redis
        self._ttl = cache_seconds
        self._cache: dict[str, tuple[str, float]] = {}

    async def zones_of(self, site_ids: set[str]) -> dict[str, str]:
        """The zone of every site, one round trip for those not cached."""
        now = time.monotonic()
        out: dict[str, str] = {}
        missing: list[str] = []
        for site in site_ids:
            hit = self._cache.get(site)
            if hit is not None and hit[1] > now:
                out[site] = hit[0]
            else:
                missing.append(site)
        if missing:
            async with self._redis.pipeline(transaction=False) as pipe:
                for site in missing:
                    pipe.json().get(keys.site(site), "$.timezone")
                found = await pipe.execute()
            for site, value in zip(missing, found, strict=True):
                tz = str(value[0]) if isinstance(value, list) and value else DEFAULT_ZONE
                self._cache[site] = (tz, now + self._ttl)
                out[site] = tz
        return out
