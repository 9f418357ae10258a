"""Export: every matching event, streamed as CSV or NDJSON, from the columnar tier.

Every stored event is a row there (the store script appends it with its hash), so the export
reads the day blobs and the tail of one snapshot, one UTC day at a time, newest day first
(tracking/cold.py): each event exactly once, memory flat for any size. It does not read the
event hashes through a search cursor: a RediSearch cursor walks internal document ids, not a
snapshot, and may return a document twice while the index changes."""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncGenerator
from contextlib import aclosing
from typing import Any, Literal

import orjson
import redis.asyncio as aioredis

from tracking_system.tracking import cold
from tracking_system.tracking.explorer import COLUMNS, EventFilters, row_item

EXPORT_CHUNK = 1000
ExportFormat = Literal["csv", "ndjson"]


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
    header = b""
    if fmt == "csv":
        buffer = io.StringIO()
        csv.writer(buffer).writerow(COLUMNS)
        header = buffer.getvalue().encode()
    # The header goes out with the first chunk, so a failing query fails before any byte is sent.
    async with aclosing(_chunks(redis, site_id, filters)) as chunks:
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
    redis: aioredis.Redis, site_id: str, filters: EventFilters
) -> AsyncGenerator[list[dict[str, Any]], None]:
    """Every matching event as items, EXPORT_CHUNK at a time."""
    span = (filters.start_ms, filters.end_ms)
    async with aclosing(cold.every(redis, site_id, tags=filters.tags, span=span,
                                   chunk=EXPORT_CHUNK)) as rows:  # fmt: skip
        async for chunk in rows:
            yield [row_item(row) for row in chunk]
