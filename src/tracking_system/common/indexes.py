"""RediSearch index definitions, created idempotently at start-up by the service that owns them."""

from __future__ import annotations

import asyncio
from typing import Any

import redis.asyncio as aioredis
from redis.commands.search.field import NumericField, TagField
from redis.commands.search.index_definition import IndexDefinition, IndexType
from redis.exceptions import ResponseError

from tracking_system.common import keys


async def ensure_user_index(redis: aioredis.Redis) -> None:
    """`User:index` on the account documents' email."""
    try:
        await redis.ft(keys.USER_INDEX).info()  # type: ignore[no-untyped-call]
        return
    except ResponseError:
        pass
    try:
        await redis.ft(keys.USER_INDEX).create_index(
            [
                TagField("$.email", as_name="email", case_sensitive=True),
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
    "site",
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


async def _event_index_fields(redis: aioredis.Redis) -> set[str] | None:
    """The attribute names of `Event:index`, or None when it does not exist."""
    try:
        info: Any = await redis.ft(keys.EVENT_INDEX).info()  # type: ignore[no-untyped-call]
    except ResponseError:
        return None
    names: set[str] = set()
    for attribute in info.get("attributes", []):
        flat = [str(a) for a in attribute] if isinstance(attribute, list) else []
        if "attribute" in flat:
            names.add(flat[flat.index("attribute") + 1])
    return names


async def ensure_event_index(redis: aioredis.Redis) -> None:
    """`Event:index` over the `Event:` hashes: the raw path for filters, explorer and export.

    An index of the layout before sites (scoped by `internalUserId`) is replaced; RediSearch
    then indexes the existing hashes again in the background."""
    fields_now = await _event_index_fields(redis)
    if fields_now is not None and "site" in fields_now:
        return
    if fields_now is not None:
        try:
            await redis.ft(keys.EVENT_INDEX).dropindex(delete_documents=False)
        except ResponseError as exc:
            if "unknown index" not in str(exc).lower():
                raise
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


async def wait_indexed(redis: aioredis.Redis, index: str) -> None:
    """Block until the index has finished indexing the keys that existed when it was created."""
    while True:
        info: Any = await redis.ft(index).info()  # type: ignore[no-untyped-call]
        if str(info.get("indexing", "0")) in ("0", "0.0"):
            return
        await asyncio.sleep(0.2)
