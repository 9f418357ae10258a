"""RediSearch index definitions, created idempotently at start-up by the service that owns them."""

from __future__ import annotations

import redis.asyncio as aioredis
from redis.commands.search.field import TagField
from redis.commands.search.index_definition import IndexDefinition, IndexType
from redis.exceptions import ResponseError

from tracking_system.common import keys


async def ensure_user_index(redis: aioredis.Redis) -> None:
    """`User:index` on the account documents' email and API key."""
    try:
        await redis.ft(keys.USER_INDEX).info()  # type: ignore[no-untyped-call]
        return
    except ResponseError:
        pass
    try:
        await redis.ft(keys.USER_INDEX).create_index(
            [
                TagField("$.email", as_name="email", case_sensitive=True),
                TagField("$.apiKey", as_name="apiKey", case_sensitive=True),
            ],
            definition=IndexDefinition(  # type: ignore[no-untyped-call]
                prefix=[keys.USER_PREFIX], index_type=IndexType.JSON
            ),
        )
    except ResponseError as exc:
        if "already exists" not in str(exc).lower():
            raise
