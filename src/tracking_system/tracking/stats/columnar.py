"""Reading the columnar tier: a site's events near a period as one Arrow table (the day blobs
that overlap it and the tail not compacted yet, taken in one consistent step), and DuckDB
queries over it. Decoded blobs are kept per process: a blob's key names its version, so an entry
is never stale. Each table gains `vid`, the visitor as an integer, equal wherever the userId is
(queries group and count visitors by it, several times faster than by text)."""

from __future__ import annotations

import asyncio
import threading
from collections import OrderedDict
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import redis.asyncio as aioredis

from tracking_system.common import columnar, keys
from tracking_system.common.columnar import DayMeta
from tracking_system.common.errors import ServiceUnavailable
from tracking_system.common.redis import get_bytes
from tracking_system.tracking.stats.sql import SESSION_MARGIN_MS, Query

# The catalog and the tail in one atomic step: every row is in exactly one of them.
SNAPSHOT = "return {redis.call('HGETALL', KEYS[1]), redis.call('XRANGE', KEYS[2], '-', '+')}"
ATTEMPTS = 5


class VisitorCodes:
    """Integer codes of visitor ids, one process-wide numbering: the codes of tables made in one
    epoch agree. Past `max_ids` ids the numbering starts again in a new epoch."""

    def __init__(self, max_ids: int) -> None:
        self.max_ids = max_ids
        self.epoch = 0
        self._ids: dict[str, int] = {}
        self._lock = threading.Lock()

    def with_codes(self, table: pa.Table) -> tuple[pa.Table, int]:
        """The table with `vid`, and the epoch of its codes."""
        users = table.column("userId")
        if table.num_rows == 0:
            return table.append_column("vid", pa.array([], pa.int32())), self.epoch
        distinct = pc.unique(users)
        where = pc.index_in(users, value_set=distinct).to_numpy()
        names = distinct.to_pylist()
        with self._lock:
            codes = self._number(names)
            if len(self._ids) > self.max_ids:
                self._ids.clear()
                self.epoch += 1
                codes = self._number(names)
            epoch = self.epoch
        return table.append_column("vid", pa.array(codes[where])), epoch

    def _number(self, names: list[str]) -> np.ndarray:
        ids = self._ids
        return np.fromiter((ids.setdefault(u, len(ids)) for u in names), dtype=np.int32,
                           count=len(names))  # fmt: skip


class BlobCache:
    """Decoded day blobs by key (with their visitor codes' epoch), least recently used dropped
    past `max_bytes`."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self._tables: OrderedDict[str, tuple[pa.Table, int]] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    def get(self, key: str, epoch: int) -> pa.Table | None:
        """The decoded blob, if kept with codes of this epoch."""
        with self._lock:
            kept = self._tables.get(key)
            if kept is None or kept[1] != epoch:
                return None
            self._tables.move_to_end(key)
            return kept[0]

    def put(self, key: str, table: pa.Table, epoch: int) -> None:
        """Keep a decoded blob."""
        with self._lock:
            old = self._tables.pop(key, None)
            if old is not None:
                self._bytes -= old[0].nbytes
            self._tables[key] = (table, epoch)
            self._bytes += table.nbytes
            while self._bytes > self.max_bytes and len(self._tables) > 1:
                _, (dropped, _) = self._tables.popitem(last=False)
                self._bytes -= dropped.nbytes


CACHE = BlobCache(1024 * 1024 * 1024)
VISITORS = VisitorCodes(CACHE.max_bytes // 256)


def configure(*, cache_mb: int) -> None:
    """Size the blob cache, and the visitor numbering with it (an id per 256 bytes of cache;
    a cached row takes about 120)."""
    CACHE.max_bytes = cache_mb * 1024 * 1024
    VISITORS.max_ids = CACHE.max_bytes // 256


def _decode(blobs: list[bytes]) -> list[tuple[pa.Table, int]]:
    return [VISITORS.with_codes(columnar.query_table(blob)) for blob in blobs]


def _tail_table(entries: list[Any], start_ms: int, end_ms: int) -> tuple[pa.Table, int]:
    rows = [columnar.decode_row(fields[1]) for _, fields in entries]
    return VISITORS.with_codes(columnar.query_rows([r for r in rows if start_ms <= r[1] < end_ms]))


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
        epoch = VISITORS.epoch
        tables = {key: CACHE.get(key, epoch) for key in wanted}
        missing = [key for key, table in tables.items() if table is None]
        blobs = await get_bytes(redis, *missing)
        if any(blob is None for blob in blobs):
            continue  # a compaction replaced a day meanwhile: take a new snapshot
        decoded = await asyncio.to_thread(_decode, [b or b"" for b in blobs])
        for key, (table, table_epoch) in zip(missing, decoded, strict=True):
            CACHE.put(key, table, table_epoch)
            tables[key] = table
        tail_table, tail_epoch = await asyncio.to_thread(_tail_table, tail, start_ms, end_ms)
        if any(e != epoch for _, e in decoded) or tail_epoch != epoch:
            continue  # the visitor numbering started again meanwhile: codes would not agree
        return pa.concat_tables([*(t for t in tables.values() if t is not None), tail_table])
    raise ServiceUnavailable("The event store is being compacted; try again", retry_after=1)


async def events_near(redis: aioredis.Redis, *, site_id: str, start_ms: int,
                      end_ms: int) -> pa.Table:  # fmt: skip
    """site_events within SESSION_MARGIN_MS of [start, end): enough to see sessions whole."""
    return await site_events(redis, site_id=site_id, start_ms=start_ms - SESSION_MARGIN_MS,
                             end_ms=end_ms + SESSION_MARGIN_MS)  # fmt: skip


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
