"""Reading the columnar tier: a site's events near a period as one Arrow table (the day blobs
that overlap it and the tail not compacted yet, taken in one consistent step), and DuckDB
queries over it. Decoded blobs are kept per process: a blob's key names its version, so an entry
is never stale."""

from __future__ import annotations

import asyncio
import threading
from collections import OrderedDict
from typing import Any

import duckdb
import pyarrow as pa
import redis.asyncio as aioredis

from tracking_system.common import columnar, keys
from tracking_system.common.columnar import DayMeta
from tracking_system.common.errors import ServiceUnavailable
from tracking_system.common.redis import get_bytes
from tracking_system.tracking.stats.sql import SESSION_MARGIN_MS, Query

# The catalog and the tail in one atomic step: every row is in exactly one of them.
SNAPSHOT = "return {redis.call('HGETALL', KEYS[1]), redis.call('XRANGE', KEYS[2], '-', '+')}"
ATTEMPTS = 5
TOO_LONG = "The query is too large; narrow the period or the filters"


class BlobCache:
    """Decoded day blobs by key, least recently used dropped past `max_bytes`."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self._tables: OrderedDict[str, pa.Table] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    def get(self, key: str) -> pa.Table | None:
        """The decoded blob, if kept."""
        with self._lock:
            table = self._tables.get(key)
            if table is not None:
                self._tables.move_to_end(key)
            return table

    def put(self, key: str, table: pa.Table) -> None:
        """Keep a decoded blob."""
        with self._lock:
            if key in self._tables:
                return
            self._tables[key] = table
            self._bytes += table.nbytes
            while self._bytes > self.max_bytes and len(self._tables) > 1:
                _, dropped = self._tables.popitem(last=False)
                self._bytes -= dropped.nbytes


CACHE = BlobCache(1024 * 1024 * 1024)  # sized by COLUMNAR_CACHE_MB at the service's start


def _decode(blobs: list[bytes]) -> list[pa.Table]:
    return [columnar.query_table(blob) for blob in blobs]


def _tail_table(entries: list[Any], start_ms: int, end_ms: int) -> pa.Table:
    rows = [columnar.decode_row(fields[1]) for _, fields in entries]
    return columnar.query_rows([r for r in rows if start_ms <= r[1] < end_ms])


async def site_events(redis: aioredis.Redis, *, site_id: str, start_ms: int,
                      end_ms: int) -> pa.Table:  # fmt: skip
    """Every stored row of the site (bots included) whose day overlaps [start, end), and every
    tail row in it: a superset of the period's events, which queries bound by time."""
    call_keys = [keys.columnar_catalog(site_id), keys.columnar_tail(site_id)]
    for _ in range(ATTEMPTS):
        catalog, tail = await redis.eval(SNAPSHOT, 2, *call_keys)
        wanted = []
        for day, value in zip(catalog[0::2], catalog[1::2], strict=True):
            meta = DayMeta.parse(value)
            if meta.overlaps(start_ms, end_ms):
                wanted.append(keys.columnar_blob(site_id, int(day), meta.version))
        tables = {key: CACHE.get(key) for key in wanted}
        missing = [key for key, table in tables.items() if table is None]
        blobs = await get_bytes(redis, *missing)
        if any(blob is None for blob in blobs):
            continue  # a compaction replaced a day meanwhile: take a new snapshot
        decoded = await asyncio.to_thread(_decode, [b or b"" for b in blobs])
        for key, table in zip(missing, decoded, strict=True):
            CACHE.put(key, table)
            tables[key] = table
        tail_table = await asyncio.to_thread(_tail_table, tail, start_ms, end_ms)
        return pa.concat_tables([*(t for t in tables.values() if t is not None), tail_table])
    raise ServiceUnavailable("The event store is being compacted; try again", retry_after=1)


async def events_near(redis: aioredis.Redis, *, site_id: str, start_ms: int,
                      end_ms: int) -> pa.Table:  # fmt: skip
    """site_events within SESSION_MARGIN_MS of [start, end): enough to see sessions whole."""
    return await site_events(redis, site_id=site_id, start_ms=start_ms - SESSION_MARGIN_MS,
                             end_ms=end_ms + SESSION_MARGIN_MS)  # fmt: skip


def units(starts: list[int]) -> pa.Table:
    """The table `units` (i, start) of the series and retention queries."""
    return pa.table({"i": list(range(len(starts))), "start": starts})


_DB = duckdb.connect(config={"threads": 2})


def run_query(sql: Query, tables: dict[str, pa.Table], *, arrow: bool = False) -> Any:
    """A DuckDB query over the tables given by name: its rows, or an Arrow table."""
    cursor = _DB.cursor()
    try:
        for name, table in tables.items():
            cursor.register(name, table)
        if arrow:
            return cursor.sql(sql.text, params=sql.params).to_arrow_table()
        return cursor.execute(sql.text, sql.params).fetchall()
    finally:
        cursor.close()


async def query(sql: Query, **tables: pa.Table) -> list[tuple[Any, ...]]:
    """Rows of a DuckDB query over the tables given by name (`events`: site_events)."""
    rows: list[tuple[Any, ...]] = await asyncio.to_thread(run_query, sql, tables)
    return rows
