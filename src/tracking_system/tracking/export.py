"""Export: every matching event, streamed as CSV or NDJSON.

It does not sort (that would hold every match in memory somewhere): it streams the days before
the site's hot window from the columnar tier one at a time (tracking/cold.py), then
`FT.AGGREGATE ... WITHCURSOR` chunks in storage order (one script call per 1000 events returns
their hashes as one JSON string), so memory stays flat for any size."""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncGenerator
from contextlib import aclosing, suppress
from typing import Any, Literal

import anyio
import orjson
import redis.asyncio as aioredis
import structlog
from redis.exceptions import ResponseError

from tracking_system.common import keys, rollups
from tracking_system.common.errors import ServiceUnavailable
from tracking_system.common.indexes import is_missing_index, recover_site_event_index
from tracking_system.common.redis import to_owner
from tracking_system.tracking import cold
from tracking_system.tracking.explorer import (
    COLUMNS,
    QUERY_TIMEOUT_MS,
    EventFilters,
    aggregate_rows,
    build_query,
    event_id_of,
    hot_filters,
    load_items,
    row_item,
    to_item,
)

log = structlog.get_logger(__name__)

EXPORT_CHUNK = 1000
ExportFormat = Literal["csv", "ndjson"]

# One export chunk in one call: read the next ids from the aggregate cursor (opening it on the
# first call) and return them with their hashes as one JSON string. Reply parsing in Python costs
# ~7 elements per row for the cursor and ~30 per hash; one string per chunk costs almost nothing.
# ARGV: cursor id ('0' to open), index, query, chunk size, timeout ms.
_EXPORT_SCRIPT = """
local reply
if ARGV[1] == '0' then
  reply = redis.call('FT.AGGREGATE', ARGV[2], ARGV[3], 'LOAD', '1', '@__key', 'WITHCURSOR',
    'COUNT', ARGV[4], 'MAXIDLE', '300000', 'TIMEOUT', ARGV[5], 'DIALECT', '2')
else
  reply = redis.call('FT.CURSOR', 'READ', ARGV[2], ARGV[1], 'COUNT', ARGV[4])
end
local rows, out = reply[1], {}
for i = 2, #rows do
  local row = rows[i]
  for j = 1, #row, 2 do
    if row[j] == '__key' then
      out[#out + 1] = {row[j + 1], redis.call('HGETALL', row[j + 1])}
    end
  end
end
return {reply[2], cjson.encode(out)}
"""


async def _aggregate_chunks(
    redis: aioredis.Redis, site_id: str, query: str
) -> AsyncGenerator[list[str], None]:
    """The ids of every match of the query, in chunks read through an aggregate cursor."""
    index = keys.event_index(site_id)
    try:
        result = await redis.execute_command(  # type: ignore[no-untyped-call]
            "FT.AGGREGATE", index, query, "LOAD", "1", "@__key",
            "WITHCURSOR", "COUNT", str(EXPORT_CHUNK), "MAXIDLE", "300000",
            "TIMEOUT", str(QUERY_TIMEOUT_MS), "DIALECT", "2", **to_owner(redis, index),
        )  # fmt: skip
    except ResponseError as exc:
        if is_missing_index(exc):  # before the site's first event
            return
        raise
    rows, cursor_id = aggregate_rows(result)
    try:
        while True:
            ids = [event_id_of(row["__key"]) for row in rows if row.get("__key")]
            if ids:
                yield ids
            if cursor_id == 0:
                return
            result = await redis.execute_command(  # type: ignore[no-untyped-call]
                "FT.CURSOR",
                "READ",
                index,
                str(cursor_id),
                "COUNT",
                str(EXPORT_CHUNK),
                **to_owner(redis, index),
            )
            rows, cursor_id = aggregate_rows(result)
    finally:
        await _drop_cursor(redis, index, cursor_id)


async def _drop_cursor(redis: aioredis.Redis, index: str, cursor_id: int) -> None:
    """Free a server-side cursor the client abandoned (best effort: it expires anyway)."""
    if cursor_id:
        with anyio.move_on_after(2, shield=True), suppress(Exception):
            await redis.execute_command(  # type: ignore[no-untyped-call]
                "FT.CURSOR", "DEL", index, str(cursor_id), **to_owner(redis, index)
            )


def _from_script(raw: Any) -> list[dict[str, Any]]:
    rows = orjson.loads(raw)
    items: list[dict[str, Any]] = []
    for row in rows if isinstance(rows, list) else ():  # cjson encodes an empty table as {}
        key, flat = row
        if not isinstance(flat, list):
            continue  # deleted meanwhile
        fields = {str(flat[j]): str(flat[j + 1]) for j in range(0, len(flat) - 1, 2)}
        items.append(to_item(str(key), fields))
    return items


async def export_chunks(
    redis: aioredis.Redis, query: str, site_id: str, *, use_script: bool = True
) -> AsyncGenerator[list[dict[str, Any]], None]:
    """Every event matching the query, in chunks of items (storage order, never all at once).

    Uses the export script; where the server refuses FT.* inside scripts, reads the cursor and
    loads the hashes from here instead (slower, same result)."""
    cursor_id = 0
    index = keys.event_index(site_id)
    # The script declares a key of the site only so that a cluster runs it on the site's shard.
    route = [keys.site(site_id)]
    if use_script:
        script = redis.register_script(_EXPORT_SCRIPT)
        args = [index, query, str(EXPORT_CHUNK), str(QUERY_TIMEOUT_MS)]
        try:
            reply = await script(keys=route, args=["0", *args])
        except ResponseError as exc:
            if not is_missing_index(exc):
                log.info("export_script_unavailable", error=str(exc))
                use_script = False
            elif not await recover_site_event_index(redis, site_id):
                return  # before the site's first event
            else:  # rebuilt where a move left the site's events
                reply = await script(keys=route, args=["0", *args])
    if not use_script:
        async with aclosing(_aggregate_chunks(redis, site_id, query)) as chunks:
            async for ids in chunks:
                yield await load_items(redis, ids, site_id)
        return
    try:
        while True:
            cursor_id = int(reply[0])
            items = _from_script(reply[1])
            if items:
                yield items
            if cursor_id == 0:
                return
            reply = await script(keys=route, args=[str(cursor_id), *args])
    finally:
        await _drop_cursor(redis, index, cursor_id)


# A spreadsheet runs a cell starting with one of these as a formula (OWASP CSV injection).
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: Any) -> Any:
    """One CSV cell; text that a spreadsheet would run as a formula is prefixed with `'`."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict | list):
        value = orjson.dumps(value).decode()
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


async def export_events(
    *,
    redis: aioredis.Redis,
    site_id: str,
    filters: EventFilters,
    fmt: ExportFormat,
) -> AsyncGenerator[bytes, None]:
    """Every matching event of the site as CSV (header row first) or NDJSON, chunk by chunk."""
    hot_from = await rollups.hot_from(redis, site_id)
    header = b""
    if fmt == "csv":
        buffer = io.StringIO()
        csv.writer(buffer).writerow(COLUMNS)
        header = buffer.getvalue().encode()
    # The header goes out with the first chunk, so a failing query fails before any byte is sent.
    async with aclosing(_chunks(redis, site_id, filters, hot_from)) as chunks:
        async for items in chunks:
            if fmt == "csv":
                buffer = io.StringIO()
                writer = csv.writer(buffer)
                writer.writerows([csv_cell(item[c]) for c in COLUMNS] for item in items)
                yield header + buffer.getvalue().encode()
            else:
                yield header + b"".join(orjson.dumps(item) + b"\n" for item in items)
            header = b""
    if header:
        yield header


async def _chunks(
    redis: aioredis.Redis, site_id: str, filters: EventFilters, hot_from: int
) -> AsyncGenerator[list[dict[str, Any]], None]:
    """Every matching event: the days before the hot window from the columnar tier one at a
    time, then the hot window from the event hashes."""
    if hot_from > 0:
        span = (filters.start_ms, filters.end_ms)
        async with aclosing(cold.every(redis, site_id, tags=filters.tags, span=span,
                                       hot_from=hot_from, chunk=EXPORT_CHUNK)) as rows:  # fmt: skip
            async for chunk in rows:
                yield [row_item(row) for row in chunk]
    hot = hot_filters(filters, hot_from)
    if hot is None:
        return
    async with aclosing(export_chunks(redis, build_query(hot), site_id)) as chunks:
        async for items in chunks:
            if await rollups.hot_from(redis, site_id) > hot_from:
                # Hashes of the hot window's first days may have gone unseen: fail the download
                # rather than end it short (rare: the window moves once a day).
                log.warning("export_hot_window_moved", site=site_id)
                raise ServiceUnavailable("Events were moved during the export; try again")
            yield items
