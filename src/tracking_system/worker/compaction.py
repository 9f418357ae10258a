"""Compaction: a site's tail of stored rows becomes one Parquet blob per UTC day.

Under the site's lock: read the oldest rows of the tail, merge them into their days' blobs (a
day already compacted is read and written again under a new version), then in one script check
the lock is still ours, write the new blobs, point the catalog at them, drop the old versions and
trim exactly the rows read from the tail. A crash before the script changes nothing; after it,
nothing is left to redo. Readers take the catalog and the tail in one step, so every row is in
exactly one of them."""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import cast

import pyarrow as pa
import pyarrow.compute as pc
import redis.asyncio as aioredis
import structlog

from tracking_system.common import columnar, keys
from tracking_system.common.columnar import DayMeta
from tracking_system.common.redis import get_bytes

log = structlog.get_logger()
Entries = list[tuple[str, dict[str, str]]]

# How long a compaction may hold a site (a dead worker's lock lapses after it).
LOCK_MS = 120_000

# KEYS[1] lock, KEYS[2] catalog, KEYS[3] tail, KEYS[4] the site's deletion marker, KEYS[5..] the
# new blobs. ARGV[1] the lock token, ARGV[2] the tail's first id to keep, then per new blob: day,
# catalog value, blob, and the old version's key ('' when the day is new). Nothing is written for
# a deleted site (its keys are being removed).
SWAP = """
if redis.call('GET', KEYS[1]) ~= ARGV[1] or redis.call('EXISTS', KEYS[4]) == 1 then return 0 end
for i = 5, #KEYS do
  local j = 3 + (i - 5) * 4
  redis.call('SET', KEYS[i], ARGV[j + 2])
  redis.call('HSET', KEYS[2], ARGV[j], ARGV[j + 1])
  if ARGV[j + 3] ~= '' then redis.call('DEL', ARGV[j + 3]) end
end
redis.call('XTRIM', KEYS[3], 'MINID', ARGV[2])
return 1
"""
RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""
EXTEND = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0
"""


@dataclass(frozen=True)
class Compacted:
    """What one compaction did."""

    rows: int
    days: int


@asynccontextmanager
async def held(redis: aioredis.Redis, lock: str, token: str, lock_ms: int) -> AsyncIterator[None]:
    """Keep extending a held lock (every third of its life) while the block runs: a day too big
    to merge within `lock_ms` still compacts, and a dead worker's lock still lapses."""

    async def keep() -> None:
        while True:
            await asyncio.sleep(lock_ms / 3000)
            if not await redis.eval(EXTEND, 1, lock, token, str(lock_ms)):
                return  # lost: the swap will refuse

    keeper = asyncio.create_task(keep())
    try:
        yield
    finally:
        keeper.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await keeper


@asynccontextmanager
async def site_lock(
    redis: aioredis.Redis, site_id: str, lock_ms: int = LOCK_MS
) -> AsyncIterator[str | None]:
    """Hold the site's columnar lock, kept alive while the block runs (held), and give its token;
    None when another process holds it. Compaction, the hot window's retention, rebuilds and
    erasures take it, so none of them runs while another changes the site's columnar tier."""
    lock, token = keys.columnar_lock(site_id), uuid.uuid4().hex
    if not await redis.set(lock, token, nx=True, px=lock_ms):
        yield None
        return
    try:
        async with held(redis, lock, token, lock_ms):
            yield token
    finally:
        await redis.eval(RELEASE, 1, lock, token)


def _next_id(entry_id: str) -> str:
    """The stream id right after `entry_id` (XTRIM MINID keeps ids from it on)."""
    ms, seq = entry_id.split("-")
    return f"{ms}-{int(seq) + 1}"


def _merged_blob(old: bytes | None, rows: list[list[object]]) -> tuple[bytes, int, int, int]:
    """The day's blob with the rows added: (blob, rows, min time, max time)."""
    table = columnar.table_of_rows(rows)
    if old is not None:
        table = pa.concat_tables([columnar.from_blob(old), table])
    times = table.column("eventTime")
    first, last = pc.min(times).as_py(), pc.max(times).as_py()
    return columnar.to_blob(table), table.num_rows, first, last


async def compact_site(redis: aioredis.Redis, site_id: str, *, max_rows: int = 100_000,
                       lock_ms: int = LOCK_MS) -> Compacted | None:  # fmt: skip
    """Move up to `max_rows` of the tail into the day blobs; None when another process holds
    the site's lock."""
    lock, catalog, tail = (keys.columnar_lock(site_id), keys.columnar_catalog(site_id),
                           keys.columnar_tail(site_id))  # fmt: skip
    async with site_lock(redis, site_id, lock_ms) as token:
        if token is None:
            return None
        entries = cast(Entries, await redis.xrange(tail, count=max_rows))
        if not entries:
            return Compacted(0, 0)
        by_day: dict[int, list[list[object]]] = {}
        for _, fields in entries:
            row = columnar.decode_row(fields["r"])
            by_day.setdefault(columnar.utc_day(int(row[1])), []).append(row)
        known = await redis.hmget(catalog, [str(day) for day in by_day])
        call_keys = [lock, catalog, tail, keys.site_gone(site_id)]
        args: list[str | bytes] = [token, _next_id(entries[-1][0])]
        for (day, rows), value in zip(by_day.items(), known, strict=True):
            old = DayMeta.parse(value) if value is not None else None
            old_key = keys.columnar_blob(site_id, day, old.version) if old else ""
            old_blob = (await get_bytes(redis, old_key))[0] if old else None
            if old and old_blob is None:
                raise RuntimeError(f"columnar blob {old_key} is missing")
            blob, count, first, last = await asyncio.to_thread(_merged_blob, old_blob, rows)
            meta = DayMeta(uuid.uuid4().hex[:12], count, first, last)
            call_keys.append(keys.columnar_blob(site_id, day, meta.version))
            args += [str(day), meta.dump(), blob, old_key]
        if not await redis.eval(SWAP, len(call_keys), *call_keys, *args):
            log.warning("compaction_refused", site=site_id, reason="lock lost or site deleted")
            return None
        await redis.sadd(keys.COLUMNAR_SITES, site_id)  # its days enter the hot window's care
        return Compacted(len(entries), len(by_day))


async def compact_all(redis: aioredis.Redis, site_id: str, *, max_rows: int = 100_000) -> int:
    """Compact the site's whole tail (waiting out another holder of its lock), `max_rows` at a
    time; the rows moved."""
    moved = 0
    while not await redis.exists(keys.site_gone(site_id)):
        done = await compact_site(redis, site_id, max_rows=max_rows)
        if done is None:
            await asyncio.sleep(0.05)
        elif not done.rows:
            return moved
        else:
            moved += done.rows
    return moved


class Compactor:
    """Compacts the tails of the sites this process stores for (and, at start, of every site
    with a tail) once they hold `rows` rows or their oldest row is `seconds` old."""

    def __init__(self, redis: aioredis.Redis, *, rows: int, seconds: float,
                 lock_ms: int = LOCK_MS) -> None:  # fmt: skip
        self.redis, self.rows, self.seconds, self.lock_ms = redis, rows, seconds, lock_ms
        self.sites: set[str] = set()
        self._discovered = False

    async def _discover(self) -> None:
        """Every site with a tail (those stored for by a process that is gone)."""
        async for name in self.redis.scan_iter(match=keys.columnar_tail("*"), count=1000):
            self.sites.add(keys.tagged_site(name))
        self._discovered = True

    async def due(self, site_id: str) -> bool:
        """True when the site's tail is long or old enough."""
        tail = keys.columnar_tail(site_id)
        length = await self.redis.xlen(tail)
        if length >= self.rows:
            return True
        if not length:
            return False
        oldest = cast(Entries, await self.redis.xrange(tail, count=1))
        born_ms = int(oldest[0][0].split("-")[0])
        return time.time() * 1000 - born_ms >= self.seconds * 1000

    async def run_once(self) -> int:
        """Compact every due site until its tail is short; the rows moved."""
        if not self._discovered:
            await self._discover()
        moved = 0
        for site_id in list(self.sites):
            while await self.due(site_id):
                done = await compact_site(self.redis, site_id, lock_ms=self.lock_ms)
                if done is None or not done.rows:
                    break
                moved += done.rows
                log.info("compacted", site=site_id, rows=done.rows, days=done.days)
        return moved
