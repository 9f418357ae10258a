"""Reading the columnar tier: a site's events near a period as one Arrow table (the day blobs
that overlap it and the tail not compacted yet, taken in one consistent step), and DuckDB
queries over it. Decoded blobs are kept per process: a blob's key names its version, so an entry
is never stale. Each table gains `vid` and `sid`, the visitor and the session as integers, equal
wherever the userId (sessionId) is: queries group and count by them, several times faster than
by text."""

from __future__ import annotations

import asyncio
import bisect
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import redis.asyncio as aioredis
import structlog

from tracking_system.common import columnar, keys
from tracking_system.common.columnar import DayMeta
from tracking_system.common.errors import ServiceUnavailable
from tracking_system.common.redis import get_bytes
from tracking_system.common.zones import DAY_MS
from tracking_system.tracking.stats.sql import SESSION_MARGIN_MS, Query

# The catalog and the tail in one atomic step, so every row is in exactly one of them: the
# tail's first entry, and its entries after ARGV[1] (all of them when it is '').
SNAPSHOT = """
local newer
if ARGV[1] == '' then newer = redis.call('XRANGE', KEYS[2], '-', '+')
else newer = redis.call('XRANGE', KEYS[2], '(' .. ARGV[1], '+') end
return {redis.call('HGETALL', KEYS[1]), redis.call('XRANGE', KEYS[2], '-', '+', 'COUNT', 1),
        newer}
"""
ATTEMPTS = 5
COMPACTING = "The event store is being compacted; try again"
log = structlog.get_logger()


# Text columns queries group and count by, and the integer column each gains.
CODED = {"userId": "vid", "sessionId": "sid"}


class Codes:
    """Integer codes of visitor and session ids, one process-wide numbering per column: the
    codes of tables made in one epoch agree. Past `max_ids` ids in all, every numbering starts
    again in a new epoch."""

    def __init__(self, max_ids: int) -> None:
        self.max_ids = max_ids
        self.epoch = 0
        self._ids: dict[str, dict[str, int]] = {column: {} for column in CODED}
        self._lock = threading.Lock()

    def with_codes(self, table: pa.Table) -> tuple[pa.Table, int]:
        """The table with a code column for each CODED column, and the epoch of its codes."""
        if table.num_rows == 0:
            for name in CODED.values():
                table = table.append_column(name, pa.array([], pa.int32()))
            return table, self.epoch
        found = {}
        for column in CODED:  # one hashing pass: the distinct values and where each row's is
            encoded = pc.dictionary_encode(table.column(column)).combine_chunks()
            found[column] = (encoded.dictionary.to_pylist(), encoded.indices)
        with self._lock:
            codes = {column: self._number(column, names) for column, (names, _) in found.items()}
            if sum(len(ids) for ids in self._ids.values()) > self.max_ids:
                for ids in self._ids.values():
                    ids.clear()
                self.epoch += 1
                codes = {column: self._number(column, names)
                         for column, (names, _) in found.items()}  # fmt: skip
            epoch = self.epoch
        for column, name in CODED.items():
            where = found[column][1].to_numpy()
            table = table.append_column(name, pa.array(codes[column][where]))
        return table, epoch

    def _number(self, column: str, names: list[str]) -> np.ndarray:
        ids = self._ids[column]
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

    def used_bytes(self) -> int:
        """Bytes of the tables kept."""
        return self._bytes

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
CODES = Codes(CACHE.max_bytes // 256)


def configure(*, cache_mb: int) -> None:
    """Size the blob cache, and the numbering of visitors and sessions with it (an id per 256
    bytes of cache; a cached row takes about 100)."""
    CACHE.max_bytes = cache_mb * 1024 * 1024
    CODES.max_ids = CACHE.max_bytes // 256


def _entry_id(value: str | bytes) -> tuple[int, int]:
    text = value.decode() if isinstance(value, bytes) else value
    ms, _, seq = text.partition("-")
    return int(ms), int(seq)


@dataclass(frozen=True)
class Tail:
    """A site's tail as last read: its entries' ids in order, their rows (queries' form, with
    `vid` and `sid`) and the epoch of the codes."""

    ids: list[tuple[int, int]]
    last: str
    table: pa.Table
    epoch: int

    def updated(self, first: list[Any], newer: list[Any]) -> Tail:
        """The tail now: entries before its first one are gone (compacted), `newer` appended."""
        cut = len(self.ids) if not first else bisect.bisect_left(self.ids, _entry_id(first[0][0]))
        added = Tail.of(newer)
        if added.epoch != self.epoch:
            return added  # the codes would not agree: the caller reads the tail whole again
        return Tail(ids=self.ids[cut:] + added.ids, last=added.last or self.last,
                    table=pa.concat_tables([self.table.slice(cut), added.table]),
                    epoch=self.epoch)  # fmt: skip

    @classmethod
    def of(cls, entries: list[Any]) -> Tail:
        """A tail of these entries."""
        rows = [columnar.decode_row(fields[1]) for _, fields in entries]
        table, epoch = CODES.with_codes(columnar.query_rows(rows))
        last = entries[-1][0] if entries else ""
        return cls(ids=[_entry_id(entry_id) for entry_id, _ in entries],
                   last=last.decode() if isinstance(last, bytes) else last, table=table,
                   epoch=epoch)  # fmt: skip


class TailCache:
    """The last tail read of the most recently queried sites: a query then fetches only the
    entries added since (the tail holds up to COLUMNAR_COMPACT_ROWS rows)."""

    def __init__(self, max_sites: int) -> None:
        self.max_sites = max_sites
        self._tails: OrderedDict[str, Tail] = OrderedDict()

    def get(self, site_id: str, epoch: int) -> Tail | None:
        """The site's tail as last read, if its codes are of this epoch."""
        tail = self._tails.get(site_id)
        if tail is None or tail.epoch != epoch:
            return None
        self._tails.move_to_end(site_id)
        return tail

    def put(self, site_id: str, tail: Tail) -> None:
        """Keep a site's tail."""
        self._tails[site_id] = tail
        self._tails.move_to_end(site_id)
        while len(self._tails) > self.max_sites:
            self._tails.popitem(last=False)


TAILS = TailCache(64)


def _decode(blobs: list[bytes]) -> list[tuple[pa.Table, int]]:
    return [CODES.with_codes(columnar.query_table(blob)) for blob in blobs]


def _current_tail(held: Tail | None, first: list[Any], newer: list[Any]) -> Tail:
    return held.updated(first, newer) if held is not None else Tail.of(newer)


async def site_events(redis: aioredis.Redis, *, site_id: str, start_ms: int,
                      end_ms: int) -> pa.Table:  # fmt: skip
    """Every stored row of the site (bots included) whose day overlaps [start, end), and every
    tail row in it: a superset of the period's events, which queries bound by time."""
    call_keys = [keys.columnar_catalog(site_id), keys.columnar_tail(site_id)]
    for _ in range(ATTEMPTS):
        epoch = CODES.epoch
        held = TAILS.get(site_id, epoch)
        catalog, first, newer = await redis.eval(SNAPSHOT, 2, *call_keys, held.last if held else "")
        wanted = []
        for day, value in zip(catalog[0::2], catalog[1::2], strict=True):
            meta = DayMeta.parse(value)
            if meta.overlaps(start_ms, end_ms):
                wanted.append(keys.columnar_blob(site_id, int(day), meta.version))
        tables = {key: CACHE.get(key, epoch) for key in wanted}
        missing = [key for key, table in tables.items() if table is None]
        blobs = await get_bytes(redis, *missing)
        if any(blob is None for blob in blobs):
            continue  # a compaction replaced a day meanwhile: take a new snapshot
        decoded = await asyncio.to_thread(_decode, [b or b"" for b in blobs])
        for key, (table, table_epoch) in zip(missing, decoded, strict=True):
            CACHE.put(key, table, table_epoch)
            tables[key] = table
        tail = await asyncio.to_thread(_current_tail, held, first, newer)
        if any(e != epoch for _, e in decoded) or tail.epoch != epoch:
            continue  # the visitor numbering started again meanwhile: codes would not agree
        TAILS.put(site_id, tail)
        times = tail.table.column("eventTime")
        recent = tail.table.filter(pc.and_(pc.greater_equal(times, start_ms),
                                           pc.less(times, end_ms)))  # fmt: skip
        return pa.concat_tables([*(t for t in tables.values() if t is not None), recent])
    raise ServiceUnavailable(COMPACTING, retry_after=1)


@dataclass(frozen=True)
class Snapshot:
    """A site's day catalog and tail rows (columnar.COLUMNS order), taken in one step: every
    stored row is in exactly one of a listed day's blob and the tail."""

    days: dict[int, DayMeta]
    tail: list[list[Any]]


async def snapshot(redis: aioredis.Redis, *, site_id: str) -> Snapshot:
    """The site's catalog and whole tail, now."""
    call_keys = [keys.columnar_catalog(site_id), keys.columnar_tail(site_id)]
    catalog, _, tail = await redis.eval(SNAPSHOT, 2, *call_keys, "")
    return Snapshot(
        days={int(day): DayMeta.parse(value)
              for day, value in zip(catalog[0::2], catalog[1::2], strict=True)},
        tail=[columnar.decode_row(fields[1]) for _, fields in tail],
    )  # fmt: skip


async def all_rows(redis: aioredis.Redis, *, site_id: str) -> pa.Table:
    """Every stored row of the site over all time, every column (columnar.SCHEMA): the day
    blobs and the tail taken in one step, nothing cached."""
    for _ in range(ATTEMPTS):
        snap = await snapshot(redis, site_id=site_id)
        blobs = await get_bytes(redis, *(keys.columnar_blob(site_id, day, meta.version)
                                         for day, meta in snap.days.items()))  # fmt: skip
        if any(blob is None for blob in blobs):
            continue  # a compaction replaced a day meanwhile: take a new snapshot
        tables = [columnar.from_blob(blob or b"") for blob in blobs]
        return pa.concat_tables([*tables, columnar.table_of_rows(snap.tail)])
    raise ServiceUnavailable(COMPACTING, retry_after=1)


async def warm(redis: aioredis.Redis, *, days: int) -> int:
    """Decode the last `days` days of every site with day blobs into the cache, until it is
    half full (the first dashboard after a start need not wait for them); the sites warmed."""
    now = int(time.time() * 1000)
    warmed = 0
    async for name in redis.scan_iter(match=keys.columnar_catalog("*"), count=1000):
        if CACHE.used_bytes() * 2 > CACHE.max_bytes:
            break
        await site_events(redis, site_id=keys.tagged_site(name), start_ms=now - days * DAY_MS,
                          end_ms=now)  # fmt: skip
        warmed += 1
    return warmed


async def warm_quietly(redis: aioredis.Redis, *, days: int) -> None:
    """warm, logging instead of failing (a cold cache only makes first answers slower)."""
    started = time.monotonic()
    try:
        sites = await warm(redis, days=days)
    except Exception as exc:  # any failure here must not take the service down
        log.warning("columnar_warm_failed", error=type(exc).__name__)
        return
    log.info("columnar_warmed", sites=sites, seconds=round(time.monotonic() - started, 1))


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
