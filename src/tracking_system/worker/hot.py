"""The hot window: event hashes (and their index entries) are kept for the last EVENTS_HOT_DAYS
UTC days only; older events live in the columnar tier alone, where the explorer and the export
read them (tracking/cold.py).

For a site, the window's start moves to a UTC midnight first (meta `t:hot`); then each compacted
day before it has its events' hashes removed, a chunk at a time, each chunk in one script that
also adds the events' markers (columnar.marker) to the day's sets. At every moment a stored event
has its hash or its marker, so the store script, which looks for the marker of an event older
than the window's start, still stores every event once. A day rewritten by a later compaction
(late events stored with their hashes) is gone through again.

A site with `retentionDays` keeps its raw events that long: the start of what it keeps moves to
a UTC midnight first (meta `t:keep`; the store script refuses older events from then on, and
the worker counts them as refused), then, under the site's columnar lock, each day before it
loses its hashes, its blob, its markers and its catalog entry. The rollups stay."""

from __future__ import annotations

import asyncio
import io
import math
import time
from dataclasses import dataclass
from typing import cast

import pyarrow.parquet as pq
import redis.asyncio as aioredis
import structlog

from tracking_system.common import columnar, keys, rollups
from tracking_system.common.columnar import DayMeta
from tracking_system.common.redis import get_bytes
from tracking_system.common.zones import DAY_MS
from tracking_system.worker.compaction import LOCK_MS, site_lock

log = structlog.get_logger(__name__)

CHUNK = 2000  # events per script call: each call blocks Redis about a millisecond

# KEYS[1] meta, KEYS[2] evicted days, KEYS[3] the site's deletion marker. ARGV[1] the hot-window
# field, ARGV[2] the window's start, ARGV[3] the day, ARGV[4] its buckets when first evicted.
# Moves the window's start forward (never back) and records the day's buckets before any of its
# hashes goes; the day's number of buckets. 0 when the site was deleted.
BEGIN = """
if redis.call('EXISTS', KEYS[3]) == 1 then return 0 end
local hot = tonumber(redis.call('HGET', KEYS[1], ARGV[1]) or 0)
if tonumber(ARGV[2]) > hot then redis.call('HSET', KEYS[1], ARGV[1], ARGV[2]) end
local record = redis.call('HGET', KEYS[2], ARGV[3])
if record then return tonumber(string.match(record, ' (%d+)$')) end
redis.call('HSET', KEYS[2], ARGV[3], '- ' .. ARGV[4])
return tonumber(ARGV[4])
"""
# KEYS[1] meta. ARGV[1] a field, ARGV[2] a time: the field moves forward to it, never back.
RAISE = """
if tonumber(ARGV[2]) > tonumber(redis.call('HGET', KEYS[1], ARGV[1]) or 0) then
  redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
end
return 1
"""
# KEYS[1] the columnar lock, KEYS[2] catalog, KEYS[3] evicted days, KEYS[4] the day's blob.
# ARGV[1] the lock token, ARGV[2] the day, ARGV[3..] its marker sets. 0 when the lock is lost.
DROP_DAY = """
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('UNLINK', KEYS[4])
redis.call('HDEL', KEYS[2], ARGV[2])
redis.call('HDEL', KEYS[3], ARGV[2])
for i = 3, #ARGV do redis.call('UNLINK', ARGV[i]) end
return 1
"""
# KEYS[1] the site's deletion marker, KEYS[2..] the events' hashes. ARGV[i - 1] the marker set,
# ARGV[i - 1 + n] the member of KEYS[i] (n = #KEYS - 1).
CHUNK_SCRIPT = """
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
local n = #KEYS - 1
for i = 2, #KEYS do
  redis.call('SADD', ARGV[i - 1], ARGV[i - 1 + n])
  redis.call('UNLINK', KEYS[i])
end
return 1
"""


@dataclass(frozen=True)
class Evicted:
    """What one pass over a site did."""

    days: int
    events: int


def window_start(now_ms: int, hot_days: int) -> int:
    """The first millisecond of the hot window: the UTC midnight `hot_days` days before today's."""
    return columnar.midnight_days_ago(now_ms, hot_days)


def _ids(blob: bytes) -> list[str]:
    ids: list[str] = pq.read_table(io.BytesIO(blob), columns=["id"]).column(0).to_pylist()
    return ids


async def _day_ids(redis: aioredis.Redis, key: str) -> list[str] | None:
    """The ids of a day blob's events; None when the blob is gone (a compaction replaced it)."""
    blob = (await get_bytes(redis, key))[0]
    return None if blob is None else await asyncio.to_thread(_ids, blob)


async def _evict_day(redis: aioredis.Redis, site_id: str, day: int, meta: DayMeta,
                     start_ms: int) -> int | None:  # fmt: skip
    """Remove the hashes of one compacted day's events; how many, None when the day's blob was
    replaced meanwhile or the site deleted."""
    ids = await _day_ids(redis, keys.columnar_blob(site_id, day, meta.version))
    if ids is None:
        return None  # rewritten by a compaction: the next pass takes the new version
    wanted = max(1, math.ceil(len(ids) / columnar.MARKERS_PER_SET))
    begin_keys = [rollups.meta(site_id), keys.columnar_evicted(site_id), keys.site_gone(site_id)]
    buckets = int(await redis.eval(BEGIN, len(begin_keys), *begin_keys, rollups.HOT_FROM_FIELD,
                                   str(start_ms), str(day), str(wanted)))  # fmt: skip
    if not buckets:
        return None
    seen = f"{keys.columnar_seen_prefix(site_id)}{day}:"
    for i in range(0, len(ids), CHUNK):
        chunk = ids[i : i + CHUNK]
        markers = [columnar.marker(event_ulid) for event_ulid in chunk]
        call_keys = [keys.site_gone(site_id), *(keys.event(site_id, e) for e in chunk)]
        args = [f"{seen}{seed % buckets}" for seed, _ in markers] + [m for _, m in markers]
        if not await redis.eval(CHUNK_SCRIPT, len(call_keys), *call_keys, *args):
            return None
    await redis.hset(keys.columnar_evicted(site_id), str(day), f"{meta.version} {buckets}")
    return len(ids)


async def evict_site(redis: aioredis.Redis, site_id: str, *, now_ms: int, hot_days: int) -> Evicted:
    """Move the site's hot window to `hot_days` days before today and remove the hashes of the
    compacted days before it (those not done at their blob's current version)."""
    start_ms = window_start(now_ms, hot_days)
    catalog = cast(dict[str, str], await redis.hgetall(keys.columnar_catalog(site_id)))
    evicted = cast(dict[str, str], await redis.hgetall(keys.columnar_evicted(site_id)))
    if not catalog:
        return Evicted(0, 0)
    done_versions = {int(day): value.partition(" ")[0] for day, value in evicted.items()}
    days = events = 0
    for day_text, value in sorted(catalog.items(), key=lambda item: int(item[0])):
        day, meta = int(day_text), DayMeta.parse(value)
        if (day + 1) * DAY_MS > start_ms or done_versions.get(day) == meta.version:
            continue
        removed = await _evict_day(redis, site_id, day, meta, start_ms)
        if removed is not None:
            days, events = days + 1, events + removed
    return Evicted(days, events)


async def retention_days(redis: aioredis.Redis, site_id: str) -> int | None:
    """The site's `retentionDays` (None: it keeps its raw events forever)."""
    found = await redis.json().get(keys.site(site_id), "$.retentionDays")
    value = found[0] if isinstance(found, list) and found else None
    return value if isinstance(value, int) and value > 0 else None


async def drop_expired(redis: aioredis.Redis, site_id: str, *, now_ms: int, days: int,
                       lock_ms: int = LOCK_MS) -> int | None:  # fmt: skip
    """Delete the raw events of the UTC days more than `days` days before today (hashes, blobs,
    markers); the days removed, None when another process holds the site's columnar lock."""
    keep_from = columnar.midnight_days_ago(now_ms, days)
    meta = rollups.meta(site_id)
    await redis.eval(RAISE, 1, meta, rollups.KEEP_FROM_FIELD, str(keep_from))
    catalog = cast(dict[str, str], await redis.hgetall(keys.columnar_catalog(site_id)))
    old = sorted((int(day), DayMeta.parse(value)) for day, value in catalog.items()
                 if (int(day) + 1) * DAY_MS <= keep_from)  # fmt: skip
    if not old:
        return 0
    async with site_lock(redis, site_id, lock_ms) as token:
        if token is None:
            return None
        for day, day_meta in old:
            if not await _drop_day(redis, site_id, day, day_meta, token):
                return None
    return len(old)


async def _drop_day(redis: aioredis.Redis, site_id: str, day: int, meta: DayMeta,
                    token: str) -> bool:  # fmt: skip
    """Delete one day's hashes, blob, markers and catalog entry; False when the lock is lost."""
    blob_key = keys.columnar_blob(site_id, day, meta.version)
    ids = await _day_ids(redis, blob_key) or []
    for i in range(0, len(ids), CHUNK):
        await redis.unlink(*(keys.event(site_id, e) for e in ids[i : i + CHUNK]))
    record = cast(str | None, await redis.hget(keys.columnar_evicted(site_id), str(day)))
    buckets = int(record.split(" ")[1]) if record else 0
    seen = [f"{keys.columnar_seen_prefix(site_id)}{day}:{b}" for b in range(buckets)]
    call_keys = [keys.columnar_lock(site_id), keys.columnar_catalog(site_id),
                 keys.columnar_evicted(site_id), blob_key]  # fmt: skip
    return bool(await redis.eval(DROP_DAY, len(call_keys), *call_keys, token, str(day), *seen))


class Evictor:
    """Keeps every compacted site's hot window: at start it lists the sites with day blobs,
    then it looks at each of them every `check_seconds`."""

    def __init__(self, redis: aioredis.Redis, *, hot_days: int, check_seconds: float,
                 listing: str = keys.COLUMNAR_SITES) -> None:  # fmt: skip
        self.redis, self.hot_days, self.check_seconds = redis, hot_days, check_seconds
        self.listing = listing
        self.discovered = listing != keys.COLUMNAR_SITES  # a list of its own is a test's
        self._last = 0.0

    async def discover(self) -> None:
        """List every site with day blobs (those compacted before the list existed)."""
        found = [keys.tagged_site(name) async for name in
                 self.redis.scan_iter(match=keys.columnar_catalog("*"), count=1000)]  # fmt: skip
        for i in range(0, len(found), 1000):
            await self.redis.sadd(self.listing, *found[i : i + 1000])
        self.discovered = True

    async def run_once(self) -> Evicted:
        """A pass over every listed site, at most once per `check_seconds`."""
        if time.monotonic() - self._last < self.check_seconds:
            return Evicted(0, 0)
        self._last = time.monotonic()
        if not self.discovered:
            await self.discover()
        days = events = 0
        now_ms = int(time.time() * 1000)
        listed = cast(set[str], await self.redis.smembers(self.listing))
        for site_id in listed:
            gone = await self.redis.exists(keys.site_gone(site_id))
            if gone or not await self.redis.exists(keys.columnar_catalog(site_id)):
                await self.redis.srem(self.listing, site_id)  # deleted
                continue
            days_kept = await retention_days(self.redis, site_id)
            if days_kept is not None:
                dropped = await drop_expired(self.redis, site_id, now_ms=now_ms, days=days_kept)
                if dropped:
                    log.info("retention_applied", site=site_id, days=dropped)
            done = await evict_site(self.redis, site_id, now_ms=now_ms, hot_days=self.hot_days)
            if done.days:
                log.info("hot_window_moved", site=site_id, days=done.days, events=done.events)
            days, events = days + done.days, events + done.events
        return Evicted(days, events)
