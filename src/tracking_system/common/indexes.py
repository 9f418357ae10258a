"""RediSearch index definitions, created idempotently at start-up by the service that owns them."""

from __future__ import annotations

import redis.asyncio as aioredis
from redis.commands.search.field import NumericField, TagField
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


# TAG fields of `Event:index`. Case is kept: `PAGE_VIEW` stays `PAGE_VIEW` (the seed lower-cased
# it). Values are free text (names, paths, browser names), so the separator is a control
# character that ingestion never lets through, not the default comma.
EVENT_TAG_FIELDS = (
    "internalUserId",
    "eventName",
    "sessionId",
    "userId",
    "path",
    "referrerDomain",
    "utmSource",
    "utmMedium",
    "utmCampaign",
    "browser",
    "os",
    "device",
    "country",
    "bot",
)


async def ensure_event_index(redis: aioredis.Redis) -> None:
    """`Event:index` over the `Event:` hashes: the raw path for filters, explorer and export."""
    try:
        await redis.ft(keys.EVENT_INDEX).info()  # type: ignore[no-untyped-call]
        return
    except ResponseError:
        pass
    fields = [
        TagField(name, case_sensitive=True, separator=keys.TAG_SEPARATOR)
        for name in EVENT_TAG_FIELDS
    ]
    try:
        await redis.ft(keys.EVENT_INDEX).create_index(
            [*fields, NumericField("eventTime", sortable=True)],
            definition=IndexDefinition(  # type: ignore[no-untyped-call]
                prefix=[keys.EVENT_PREFIX], index_type=IndexType.HASH
            ),
        )
    except ResponseError as exc:
        if "already exists" not in str(exc).lower():
            raise
