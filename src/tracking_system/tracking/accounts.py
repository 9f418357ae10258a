"""What the tracking service reads of an account: its time zone."""

from __future__ import annotations

import redis.asyncio as aioredis

from tracking_system.common import keys


async def account_zone(redis: aioredis.Redis, account_id: str) -> str:
    """The account's IANA zone (UTC when unset)."""
    found = await redis.json().get(keys.user(account_id), "$.timezone")
    return str(found[0]) if isinstance(found, list) and found else "UTC"
