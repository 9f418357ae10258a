"""What the tracking service reads of a site: whose it is, its time zone and its current key."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import redis.asyncio as aioredis

from tracking_system.common import keys
from tracking_system.common.errors import NotFound
from tracking_system.common.zones import DEFAULT_ZONE

SITE_NOT_FOUND = "Site not found"
_FIELDS = ("accountId", "timezone", "apiKey", "deletedAt")


@dataclass(frozen=True)
class Site:
    """The site a dashboard request is about."""

    id: str
    timezone: str
    api_key: str


async def _read(redis: aioredis.Redis, site_id: str) -> dict[str, Any] | None:
    """The fields of the site's document the service uses, or None when it has none."""
    found = await redis.json().get(keys.site(site_id), *(f"$.{name}" for name in _FIELDS))
    if not isinstance(found, dict):
        return None
    return {name: (found.get(f"$.{name}") or [None])[0] for name in _FIELDS}


async def resolve_site(redis: aioredis.Redis, *, account_id: str, site_id: str | None) -> Site:
    """The account's site `site_id`, or its first site when None; 404 for anyone else's (so
    another account's site is indistinguishable from one that does not exist)."""
    if site_id is None or site_id == "":
        first = await redis.zrange(keys.account_sites(account_id), 0, 0)
        if not first:
            raise NotFound(SITE_NOT_FOUND)
        site_id = str(first[0])
    if len(site_id) > 64:
        raise NotFound(SITE_NOT_FOUND)
    doc = await _read(redis, site_id)
    if doc is None or doc["accountId"] != account_id or doc["deletedAt"]:
        raise NotFound(SITE_NOT_FOUND)
    return Site(
        id=site_id, timezone=str(doc["timezone"] or DEFAULT_ZONE), api_key=str(doc["apiKey"] or "")
    )


async def current_key(redis: aioredis.Redis, site_id: str) -> str | None:
    """The site's API key now, or None once the site is deleted."""
    doc = await _read(redis, site_id)
    if doc is None or doc["deletedAt"] or not doc["apiKey"]:
        return None
    return str(doc["apiKey"])
