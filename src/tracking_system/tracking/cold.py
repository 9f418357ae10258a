"""Events read from the columnar tier (day blobs and tail rows): the explorer's before a site's
hot window, and every exported one."""

from __future__ import annotations

import asyncio
import io
from collections.abc import AsyncGenerator, Iterator, Sequence
from contextlib import aclosing
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import redis.asyncio as aioredis

from tracking_system.common import columnar, keys
from tracking_system.common.errors import ServiceUnavailable
from tracking_system.common.redis import get_bytes
from tracking_system.common.zones import DAY_MS
from tracking_system.tracking.stats.columnar import ATTEMPTS, COMPACTING, Snapshot, snapshot

Position = tuple[int, str]
# The explorer's order: (eventTime, id) descending.
NEWEST_FIRST = [("eventTime", "descending"), ("id", "descending")]


def matching(
    tags: Sequence[tuple[str, str]], low: int | None, high: int, before: Position | None = None
) -> pc.Expression:
    """Rows with every (TAG field, value), an eventTime in [low, high) and, given a cursor, an
    (eventTime, id) below it. Every TAG field is the column of the same name."""
    time = pc.field("eventTime")
    where = time < high
    if low is not None:
        where = where & (time >= low)
    for name, value in tags:
        where = where & (pc.field(name) == (int(value) if name == "bot" else value))
    if before is not None:
        at, event_id = before
        where = where & ((time < at) | ((time == at) & (pc.field("id") < event_id)))
    return where


class _Taken:
    """A snapshot with its tail rows that match, and the days that may hold matches."""

    def __init__(self, snap: Snapshot, where: pc.Expression) -> None:
        self.snap = snap
        self.tail = columnar.table_of_rows(snap.tail).filter(where)
        tail_days = {columnar.utc_day(t) for t in self.tail.column("eventTime").to_pylist()}
        self.days = sorted(set(snap.days) | tail_days)

    def tail_of(self, day: int) -> pa.Table:
        """The matching tail rows of a UTC day."""
        time = pc.field("eventTime")
        return self.tail.filter((time >= day * DAY_MS) & (time < (day + 1) * DAY_MS))


def _read(blob: bytes, columns: Sequence[str] | None = None) -> pa.Table:
    """Columns of a day's blob, the few-valued ones dictionary-encoded (faster to decode and to
    filter; cast to columnar.SCHEMA once filtered)."""
    return pq.read_table(io.BytesIO(blob), columns=columns,
                         read_dictionary=columnar.DICTIONARY_COLUMNS)  # fmt: skip


def _decoded(blob: bytes, where: pc.Expression, probe: Sequence[str]) -> pa.Table:
    """The blob's rows matching `where`. A day without any is decoded only as far as the
    `probe` columns (those `where` reads), when given: a few times faster."""
    if probe and not _read(blob, probe).filter(where):
        return columnar.SCHEMA.empty_table()
    return _read(blob).filter(where).cast(columnar.SCHEMA)


async def _day_blobs(
    redis: aioredis.Redis,
    site_id: str,
    where: pc.Expression,
    low: int | None,
    high: int,
) -> AsyncGenerator[tuple[bytes | None, pa.Table], None]:
    """Each UTC day that may hold matches, from the day of `high - 1` down to the day of `low`:
    its blob (None when it has none) and its matching tail rows, from one snapshot (a new one
    when a compaction replaced the day meanwhile)."""
    if low is not None and low >= high:
        return
    day, bottom = columnar.utc_day(high - 1), None if low is None else columnar.utc_day(low)
    taken = _Taken(await snapshot(redis, site_id=site_id), where)
    failures = 0
    while True:
        days = [d for d in taken.days if d <= day and (bottom is None or d >= bottom)]
        if not days:
            return
        day = days[-1]
        meta = taken.snap.days.get(day)
        blob = None
        if meta is not None:
            (blob,) = await get_bytes(redis, keys.columnar_blob(site_id, day, meta.version))
            if blob is None:  # replaced by a compaction: take a new snapshot
                failures += 1
                if failures >= ATTEMPTS:
                    raise ServiceUnavailable(COMPACTING, retry_after=1)
                taken = _Taken(await snapshot(redis, site_id=site_id), where)
                continue
        yield blob, taken.tail_of(day)
        day -= 1


async def day_tables(
    redis: aioredis.Redis,
    site_id: str,
    tags: Sequence[tuple[str, str]],
    low: int | None,
    high: int,
    after: Position | None = None,
) -> AsyncGenerator[pa.Table, None]:
    """The matching rows (every column), one UTC day at a time from the day of `high - 1` down
    to the day of `low` (_day_blobs)."""
    where = matching(tags, low, high, after)
    # Selective filters make most days hold no match: check those with the columns filtered on.
    probe = ["eventTime", *(["id"] if after else []), *{name for name, _ in tags}] if tags else []
    async with aclosing(_day_blobs(redis, site_id, where, low, high)) as days:
        async for blob, tail in days:
            rows = (columnar.SCHEMA.empty_table() if blob is None
                    else await asyncio.to_thread(_decoded, blob, where, probe))  # fmt: skip
            yield pa.concat_tables([rows, tail])


def _batches(blob: bytes, where: pc.Expression, size: int) -> Iterator[pa.Table]:
    """A day blob's matching rows in tables of at most `size`, decoded a batch at a time."""
    reader = pq.ParquetFile(io.BytesIO(blob), read_dictionary=columnar.DICTIONARY_COLUMNS)
    for batch in reader.iter_batches(batch_size=size):
        kept = pa.Table.from_batches([batch]).filter(where)
        if kept.num_rows:
            yield kept.cast(columnar.SCHEMA)


# Later than any event time (what is stored more than 5 minutes ahead gets the receive time).
NO_END = 2**62


def _below(hot_from: int, end_ms: int | None, after: Position | None = None) -> int:
    """The exclusive upper time bound of the cold part: the hot window's start, the request's
    end, and the cursor's millisecond (its other events may follow it)."""
    bounds = [hot_from, end_ms, None if after is None else after[0] + 1]
    return min(bound for bound in bounds if bound is not None)


async def newest(
    redis: aioredis.Redis,
    site_id: str,
    *,
    tags: Sequence[tuple[str, str]],
    span: tuple[int | None, int | None],
    hot_from: int,
    after: Position | None,
    need: int,
) -> tuple[list[dict[str, Any]], bool]:
    """Up to `need` matching rows before the hot window, in the span [start, end) and strictly
    after the cursor, newest first, and whether more follow; it reads days only until it has
    them."""
    low, high = span[0], _below(hot_from, span[1], after)
    rows: list[dict[str, Any]] = []
    async with aclosing(day_tables(redis, site_id, tags, low, high, after)) as days:
        async for table in days:
            rows += table.sort_by(NEWEST_FIRST).slice(0, need + 1 - len(rows)).to_pylist()
            if len(rows) > need:
                break
    return rows[:need], len(rows) > need


async def every(
    redis: aioredis.Redis,
    site_id: str,
    *,
    tags: Sequence[tuple[str, str]],
    span: tuple[int | None, int | None],
    chunk: int,
) -> AsyncGenerator[list[dict[str, Any]], None]:
    """Every matching row in the span [start, end), in chunks of at most `chunk`, a day blob
    decoded `chunk` rows at a time."""
    high = NO_END if span[1] is None else span[1]
    where = matching(tags, span[0], high)
    async with aclosing(_day_blobs(redis, site_id, where, span[0], high)) as days:
        async for blob, tail in days:
            if blob is not None:
                decoded = _batches(blob, where, chunk)
                while (table := await asyncio.to_thread(next, decoded, None)) is not None:
                    yield table.to_pylist()
            for batch in tail.to_batches(max_chunksize=chunk):
                yield batch.to_pylist()
