"""RediSearch index definitions: the accounts' at start-up, each site's before its first event."""

from __future__ import annotations

import asyncio
from typing import Any

import redis.asyncio as aioredis
from redis.commands.search.field import NumericField, TagField
from redis.commands.search.index_definition import IndexDefinition, IndexType
from redis.exceptions import ResponseError

from tracking_system.common import keys, rollups
from tracking_system.common.errors import ServiceUnavailable
from tracking_system.common.redis import to_owner


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


# TAG fields of each site's event index. Case is kept: `PAGE_VIEW` stays `PAGE_VIEW` (the seed
# lower-cased it). Values are free text (names, paths, browser names), so the separator is a control
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


def is_missing_index(exc: ResponseError) -> bool:
    """Whether RediSearch refused because the index does not exist."""
    text = str(exc).lower()
    return "unknown index" in text or "no such index" in text


def site_event_index_schema(site_id: str) -> tuple[list[Any], IndexDefinition]:
    """The fields and the definition of the site's event index."""
    fields: list[Any] = [
        TagField(name, case_sensitive=True, separator=keys.TAG_SEPARATOR)
        for name in EVENT_TAG_FIELDS
    ]
    definition = IndexDefinition(  # type: ignore[no-untyped-call]
        prefix=[keys.event_prefix(site_id)], index_type=IndexType.HASH
    )
    return [*fields, NumericField("eventTime", sortable=True)], definition


async def ensure_site_event_index(redis: aioredis.Redis, site_id: str) -> None:
    """The site's index over its `Event:{<site>}:` hashes (the raw path for filters, explorer
    and export); created before its first event is stored, so it never has to catch up."""
    fields, definition = site_event_index_schema(site_id)
    index = keys.event_index(site_id)
    schema = [arg for field in fields for arg in field.redis_args()]
    try:
        await redis.execute_command(  # type: ignore[no-untyped-call]
            "FT.CREATE", index, *definition.args, "SCHEMA", *schema, **to_owner(redis, index)
        )
    except ResponseError as exc:
        if "already exists" not in str(exc).lower():
            raise


REBUILD_WAIT_SECONDS = 20.0


async def recover_site_event_index(redis: aioredis.Redis, site_id: str) -> bool:
    """Build the site's index again where its events are, once a resharding has moved its slot
    to another shard (RediSearch indexes stay on the shard that made them), and wait until it
    has caught up; False when the site has no counted event (no index yet is then right)."""
    if not await redis.hexists(rollups.lifetime_totals(site_id), "e"):
        return False
    await ensure_site_event_index(redis, site_id)
    try:
        await asyncio.wait_for(
            wait_indexed(redis, keys.event_index(site_id)), timeout=REBUILD_WAIT_SECONDS
        )
    except TimeoutError as exc:
        raise ServiceUnavailable(
            "The site's search index is being rebuilt after a move", retry_after=5
        ) from exc
    return True


async def drop_site_event_index(redis: aioredis.Redis, site_id: str) -> None:
    """Drop the site's index, keeping its documents (the deletion removes them)."""
    index = keys.event_index(site_id)
    try:
        await redis.execute_command(  # type: ignore[no-untyped-call]
            "FT.DROPINDEX", index, **to_owner(redis, index)
        )
    except ResponseError as exc:
        if not is_missing_index(exc):
            raise


async def drop_legacy_event_index(redis: aioredis.Redis) -> None:
    """Drop the one index over every site's events of layout 2, keeping the documents."""
    try:
        await redis.ft(keys.LEGACY_EVENT_INDEX).dropindex(delete_documents=False)
    except ResponseError as exc:
        if not is_missing_index(exc):
            raise


async def wait_indexed(redis: aioredis.Redis, index: str) -> None:
    """Block until the index has finished indexing the keys that existed when it was created."""
    while True:
        reply: Any = await redis.execute_command(  # type: ignore[no-untyped-call]
            "FT.INFO", index, **to_owner(redis, index)
        )
        info = (
            reply if isinstance(reply, dict) else dict(zip(reply[::2], reply[1::2], strict=False))
        )
        if str(info.get("indexing", "0")) in ("0", "0.0"):
            return
        await asyncio.sleep(0.2)
