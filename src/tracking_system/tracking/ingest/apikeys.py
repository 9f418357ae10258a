"""API key (or site id, or domain) -> site, read straight from Redis (no HTTP call) and cached
for under a second, so a rotated key stops working everywhere within one.

Besides its key, a site may be named by reference: `site:<id>` (Umami's website id) or
`domain:<domain>` (Plausible's domain), which is what the drop-in routes and the SDK installed
with `data-website-id` / `data-domain` send."""

from __future__ import annotations

import re
from dataclasses import dataclass

import redis.asyncio as aioredis

from tracking_system.common import keys
from tracking_system.common.domains import normalize_domain
from tracking_system.common.ttlcache import TtlCache

_MAX_ENTRIES = 100_000
SITE_REF = "site:"
DOMAIN_REF = "domain:"
_SITE_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")


@dataclass(frozen=True)
class KeyOwner:
    site_id: str
    allowed_origins: frozenset[str]
    retention_days: int | None = None  # the site keeps its raw events this long (None: forever)


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
        if api_key.startswith(SITE_REF):
            site_id: str | None = api_key.removeprefix(SITE_REF)
        elif api_key.startswith(DOMAIN_REF):
            site_id = await self._site_of_domain(api_key.removeprefix(DOMAIN_REF))
        else:
            found = await self._redis.get(keys.api_key(api_key))
            site_id = None if found is None else str(found)
        if site_id is None or not _SITE_ID.fullmatch(site_id):
            return None
        doc = await self._redis.json().get(
            keys.site(site_id), "$.allowedOrigins", "$.deletedAt", "$.retentionDays"
        )
        if not isinstance(doc, dict) or not doc.get("$.allowedOrigins"):
            return None  # no such site (a reference is not a reservation: check the document)
        if (doc.get("$.deletedAt") or [None])[0]:
            return None
        listed = doc["$.allowedOrigins"][0]
        retention = (doc.get("$.retentionDays") or [None])[0]
        return KeyOwner(
            site_id=site_id,
            allowed_origins=frozenset(str(o) for o in listed)
            if isinstance(listed, list)
            else frozenset(),
            retention_days=retention if isinstance(retention, int) and retention > 0 else None,
        )

    async def _site_of_domain(self, domain: str) -> str | None:
        # Only the first of a comma list (Plausible's several sites) names the site here.
        try:
            name = normalize_domain(domain.split(",", 1)[0])
        except ValueError:
            return None
        found = await self._redis.get(keys.site_domain(name))
        return None if found is None else str(found)
