"""What the tracking service reads of a site: whose it is and its time zone."""

from __future__ import annotations

from dataclasses import dataclass

import redis.asyncio as aioredis

from tracking_system.common import keys
from tracking_system.common.errors import NotFound
from tracking_system.common.zones import DEFAULT_ZONE

SITE_NOT_FOUND = "Site not found"


@dataclass(frozen=True)
class Site:
    """The site a dashboard request is about."""

    id: str
    timezone: str


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
    found = await redis.json().get(keys.site(site_id), "$.accountId", "$.timezone", "$.deletedAt")
    if not isinstance(found, dict):
        raise NotFound(SITE_NOT_FOUND)
    owner, zone, deleted = (found.get(path) or [None] for path in
                            ("$.accountId", "$.timezone", "$.deletedAt"))  # fmt: skip
    if owner[0] != account_id or deleted[0]:
        raise NotFound(SITE_NOT_FOUND)
    return Site(id=site_id, timezone=str(zone[0] or DEFAULT_ZONE))
