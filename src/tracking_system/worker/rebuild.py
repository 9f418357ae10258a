"""Rebuilding a site's rollups in its zone from the columnar tier, while events keep arriving
(after a zone change, or for events stored before the filter rollups existed).

Under the site's columnar lock (compaction waits, so the tail only grows): hand out a new
generation of the zone's rollups (rollups.zone_label), replay every stored event into it through
the store script — the day blobs with the tail's rows, day by day in time order, then the rows
appended since in arrival order — and once the replay has reached the tail's end, one script
checks that nothing was appended since, points the zone at the new generation and gives the
zone the replayed counts. Every event stored before that step was replayed; every event stored
after it is rolled up by the store script into the new generation: none is missed or counted
twice. Until then the zone's queries take the raw path (its counts do not cover), so answers
stay right meanwhile. The old generation is unlinked after a grace period (readers that named it
finish first), and so are the rollups of the site's earlier zones; a crash leaves the old
generation in use, and the next run removes the dead one's keys. A site whose retention deleted
the raw events of older days keeps those days' rollups: the new generation takes a copy of the
old one's for the local days up to the one where what the site keeps starts (rollups.carried),
and only later events are replayed."""

from __future__ import annotations

import asyncio
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, cast

import orjson
import redis.asyncio as aioredis
import structlog

from tracking_system.common import columnar, keys, rollups
from tracking_system.common.columnar import DayMeta
from tracking_system.common.progress import Progress
from tracking_system.common.redis import get_bytes
from tracking_system.common.zones import DEFAULT_ZONE
from tracking_system.worker.compaction import LOCK_MS, site_lock
from tracking_system.worker.deletion import scan_chunks
from tracking_system.worker.store import (
    STORE_SCRIPT,
    replay_constants,
    rollup_description,
    script_fields,
    script_keys,
)

log = structlog.get_logger(__name__)

CHUNK = 500  # events per store-script call: each call blocks Redis a few milliseconds
TAIL_PAGE = 10_000
GRACE_SECONDS = 5.0
# A replayed session's state lives what is left of its life, and at least this long, so the
# replay still finds it for the session's later events.
SESSION_FLOOR_SECONDS = 3600
PROGRESS_EVERY = 100_000
# The families of per-day rollup keys (`<label>:<family>:<YYYY-MM-DD>...`, rollups.py).
DAY_FAMILIES = frozenset({"d", "z", "h", "x", "f"})

# KEYS[1] tail, KEYS[2] meta, KEYS[3] lock, KEYS[4] the site's deletion marker. ARGV[1] lock
# token, ARGV[2] the last tail id replayed ('0-0': none), ARGV[3] generation field, ARGV[4] the
# generation, ARGV[5] / ARGV[6] the zone's count fields (all, filter rollups), ARGV[7] / ARGV[8]
# the replay's. 1 switched, 0 rows were appended since, -1 lock lost or site deleted.
CUTOVER = """
if redis.call('GET', KEYS[3]) ~= ARGV[1] or redis.call('EXISTS', KEYS[4]) == 1 then return -1 end
local last = redis.call('XREVRANGE', KEYS[1], '+', '-', 'COUNT', 1)[1]
if (last and last[1] or '0-0') ~= ARGV[2] then return 0 end
redis.call('HSET', KEYS[2], ARGV[3], ARGV[4],
           ARGV[5], redis.call('HGET', KEYS[2], ARGV[7]) or 0,
           ARGV[6], redis.call('HGET', KEYS[2], ARGV[8]) or 0)
redis.call('HDEL', KEYS[2], ARGV[7], ARGV[8])
return 1
"""

_INDEX = {name: i for i, name in enumerate(columnar.COLUMNS)}
_VALUES = [(dim, _INDEX[dim]) for dim in rollups.SESSION_DIMENSIONS]
OnProgress = Callable[[int, int], None]


@dataclass(frozen=True)
class Rebuilt:
    """What one rebuild did."""

    tz: str
    label: str
    events: int


def _glob(text: str) -> str:
    """`text` matched literally in a SCAN pattern."""
    return "".join("\\" + c if c in "*?[]\\" else c for c in text)


async def site_zone(redis: aioredis.Redis, site_id: str) -> str:
    """The site's zone as its document tells."""
    value = await redis.json().get(keys.site(site_id), "$.timezone")
    return str(value[0]) if isinstance(value, list) and value else DEFAULT_ZONE


class _Replay:
    """Feeds stored rows to the store script in replay mode, CHUNK at a time."""

    def __init__(self, redis: aioredis.Redis, site_id: str, tz: str, label: str, total: int,
                 on_progress: OnProgress | None, start_ms: int = 0) -> None:  # fmt: skip
        self.redis, self.site_id, self.tz, self.label = redis, site_id, tz, label
        self.start_ms = start_ms  # earlier events' rollups are carried over, not replayed
        self.script = redis.register_script(STORE_SCRIPT)
        self.zone = replay_constants(site_id, label)
        self.total, self.done, self.on_progress = total, 0, on_progress
        self._next_report = PROGRESS_EVERY

    def _describe(self, row: list[Any], now_ms: int) -> dict[str, Any]:
        time_ms = int(row[_INDEX["eventTime"]])
        left = rollups.SESSION_TTL_SECONDS - (now_ms - time_ms) // 1000
        return {
            **rollup_description(
                time=time_ms, user=row[_INDEX["userId"]], session=row[_INDEX["sessionId"]],
                name=row[_INDEX["eventName"]], path=row[_INDEX["path"]],
                values={dim: row[i] or "" for dim, i in _VALUES}, tz=self.tz,
            ),
            "a": 1,
            "ttl": max(left, SESSION_FLOOR_SECONDS),
        }  # fmt: skip

    async def rows(self, rows: list[list[Any]]) -> None:
        """Roll up these stored rows (bots left out, as when they were stored)."""
        counted = [row for row in rows if not row[_INDEX["bot"]]
                   and int(row[_INDEX["eventTime"]]) >= self.start_ms]  # fmt: skip
        now_ms = int(time.time() * 1000)
        for i in range(0, len(counted), CHUNK):
            events = [self._describe(row, now_ms) for row in counted[i : i + CHUNK]]
            payload = orjson.dumps({"zones": [self.zone], "events": events, "replay": True})
            await self.script(keys=script_keys(self.site_id),
                              args=[payload, *script_fields(self.site_id)])  # fmt: skip
        self.done += len(rows)
        if self.on_progress is not None:
            self.on_progress(self.done, max(self.total, self.done))
        if self.done >= self._next_report:
            log.info("rollup_rebuild_progress", site=self.site_id, label=self.label,
                     done=self.done, total=self.total)  # fmt: skip
            self._next_report += PROGRESS_EVERY
        await self.redis.hset(rollups.rebuild_progress(self.site_id), "done", self.done)


async def _tail_after(
    redis: aioredis.Redis, site_id: str, after: str, *, everything: bool
) -> tuple[list[list[Any]], str]:
    """The tail's rows after entry `after` ('0-0': from the start) and the last id read: one
    page, or with `everything` all of them."""
    out: list[list[Any]] = []
    tail = keys.columnar_tail(site_id)
    while True:
        start = "-" if after == "0-0" else f"({after}"
        page = cast(list[tuple[str, dict[str, str]]],
                    await redis.xrange(tail, min=start, count=TAIL_PAGE))  # fmt: skip
        out.extend(columnar.decode_row(fields["r"]) for _, fields in page)
        if page:
            after = str(page[-1][0])
        if len(page) < TAIL_PAGE or not everything:
            return out, after


async def _day_rows(redis: aioredis.Redis, site_id: str, day: int, value: str) -> list[list[Any]]:
    meta = DayMeta.parse(value)
    key = keys.columnar_blob(site_id, day, meta.version)
    (blob,) = await get_bytes(redis, key)
    if blob is None:
        raise RuntimeError(f"columnar blob {key} is missing")
    table = await asyncio.to_thread(columnar.from_blob, blob)
    return [list(row) for row in zip(*(c.to_pylist() for c in table.columns), strict=True)]


async def _unlink_starting(redis: aioredis.Redis, prefix: str) -> int:
    """Remove every key whose name starts with `prefix`; how many."""
    removed = 0
    async for chunk in scan_chunks(redis, _glob(prefix) + "*"):
        removed += int(await redis.unlink(*chunk))
    return removed


async def _unlink_label(redis: aioredis.Redis, site_id: str, label: str) -> int:
    """Remove every key of one generation of a zone's rollups; how many."""
    return await _unlink_starting(redis, rollups.zone_prefix(site_id, label))


async def _carry_over(redis: aioredis.Redis, site_id: str, carry: rollups.Carried,
                      label: str) -> int:  # fmt: skip
    """Copy the rollups of the days whose raw events retention deleted (nothing can replay them)
    into the new generation; the events they count."""
    old, new = rollups.zone_prefix(site_id, carry.label), rollups.zone_prefix(site_id, label)
    events = 0
    async for chunk in scan_chunks(redis, _glob(old) + "*"):
        counters = []  # the days' counter hashes among the keys
        async with redis.pipeline(transaction=False) as pipe:
            for name in chunk:
                rest = name[len(old) :]
                family, _, after = rest.partition(":")
                if family not in DAY_FAMILIES or after[:10] > carry.through:
                    continue
                pipe.copy(name, new + rest, replace=True)
                if family == "d" and ":" not in after:
                    counters.append(name)
            for name in counters:
                pipe.hget(name, "e")
            replies = await pipe.execute()
        events += sum(int(e or 0) for e in replies[len(replies) - len(counters) :])
    return events


async def _drop_other_zones(redis: aioredis.Redis, site_id: str, keep: str) -> int:
    """Remove the rollups of every zone but `keep` (the site's zone before a change: nothing
    counts in them any more, and they cost as much memory as the live ones); how many keys."""
    meta, removed = rollups.meta(site_id), 0
    zones = [str(f) for f in await redis.hkeys(meta) if ":" not in str(f) and str(f) != keep]
    for tz in zones:
        removed += await _unlink_label(redis, site_id, tz)
        removed += await _unlink_starting(redis, rollups.generations_prefix(site_id, tz))
        await redis.hdel(meta, tz, rollups.filter_meta_field(tz), rollups.generation_field(tz))
    return removed


async def _drop_dead_generations(redis: aioredis.Redis, site_id: str, tz: str, keep: str) -> None:
    """Remove what rebuilds that died left of the zone: their generations' keys and counts."""
    meta, start = rollups.meta(site_id), len(rollups.site_prefix(site_id))
    labels: set[str] = set()
    async for chunk in scan_chunks(redis, _glob(rollups.generations_prefix(site_id, tz)) + "*"):
        labels.update(name[start:].split(":", 1)[0] for name in chunk)
    if keep != tz:  # the first generation, if a crash left it
        labels.add(tz)
    for label in labels - {keep}:
        await _unlink_label(redis, site_id, label)
    stale = [f for f in await redis.hkeys(meta) if str(f).startswith(("r:", "rf:"))]
    if stale:
        await redis.hdel(meta, *stale)


async def _replay_and_switch(
    redis: aioredis.Redis, site_id: str, tz: str, token: str, on_progress: OnProgress | None
) -> tuple[Rebuilt, str] | None:
    """Replay, then switch the zone to the new generation: what was done and the old label."""
    meta = rollups.meta(site_id)
    old_label = await rollups.current_label(redis, site_id=site_id, tz=tz)
    await _drop_dead_generations(redis, site_id, tz, keep=old_label)
    generation = await redis.hincrby(meta, rollups.GENERATIONS_FIELD, 1)
    label = rollups.zone_label(tz, generation)
    catalog = {int(d): str(v) for d, v in (await redis.hgetall(
        keys.columnar_catalog(site_id))).items()}  # fmt: skip
    tail, last_id = await _tail_after(redis, site_id, "0-0", everything=True)
    total = sum(DayMeta.parse(v).rows for v in catalog.values()) + len(tail)
    await redis.hset(rollups.rebuild_progress(site_id), mapping={
        "label": label, "done": 0, "total": total, "started": int(time.time() * 1000)})  # fmt: skip
    log.info("rollup_rebuild_started", site=site_id, label=label, events=total)
    carry = await rollups.carried(redis, site_id, tz)
    count_field, filter_field = rollups.replay_fields(label)
    if carry is not None:  # first: replayed events of the same local days add to the copies
        events = await _carry_over(redis, site_id, carry, label)
        await redis.hincrby(meta, count_field, events)
        await redis.hincrby(meta, filter_field, events)
    replay = _Replay(redis, site_id, tz, label, total, on_progress,
                     start_ms=carry.start if carry else 0)  # fmt: skip
    tail_days: dict[int, list[list[Any]]] = {}
    for row in tail:
        tail_days.setdefault(columnar.utc_day(int(row[_INDEX["eventTime"]])), []).append(row)
    for day in sorted(catalog.keys() | tail_days.keys()):
        rows = await _day_rows(redis, site_id, day, catalog[day]) if day in catalog else []
        rows += tail_days.get(day, [])
        rows.sort(key=lambda row: int(row[_INDEX["eventTime"]]))
        await replay.rows(rows)
    while True:
        newer, last_id = await _tail_after(redis, site_id, last_id, everything=False)
        if newer:  # stored while the replay ran: in the order they came
            await replay.rows(newer)
            continue
        outcome = await redis.eval(
            CUTOVER, 4, keys.columnar_tail(site_id), meta, keys.columnar_lock(site_id),
            keys.site_gone(site_id), token, last_id, rollups.generation_field(tz),
            generation, tz, rollups.filter_meta_field(tz), count_field, filter_field,
        )  # fmt: skip
        if outcome == 1:
            return Rebuilt(tz, label, replay.done), old_label
        if outcome == -1:
            log.warning("rollup_rebuild_abandoned", site=site_id, label=label,
                        reason="lock lost or site deleted")  # fmt: skip
            return None


async def rebuild_rollups(redis: aioredis.Redis, site_id: str, *,
                          on_progress: OnProgress | None = None,
                          grace_seconds: float = GRACE_SECONDS,
                          lock_ms: int = LOCK_MS) -> Rebuilt | None:  # fmt: skip
    """Rebuild the site's rollups in its zone; None when another process holds the site's
    columnar lock, or the site is deleted meanwhile."""
    tz = await site_zone(redis, site_id)
    async with site_lock(redis, site_id, lock_ms) as token:
        if token is None:
            return None
        try:
            outcome = await _replay_and_switch(redis, site_id, tz, token, on_progress)
        finally:
            await redis.delete(rollups.rebuild_progress(site_id))
    if outcome is None:
        return None
    rebuilt, old_label = outcome
    await asyncio.sleep(grace_seconds)  # queries that named the old generation end first
    removed = await _unlink_label(redis, site_id, old_label)
    removed += await _drop_other_zones(redis, site_id, keep=rebuilt.tz)
    log.info("rollup_rebuilt", site=site_id, label=rebuilt.label, events=rebuilt.events,
             old_keys_removed=removed)  # fmt: skip
    return rebuilt


async def rebuild_pending_sites(
    redis: aioredis.Redis,
    *,
    listing: str = keys.ROLLUP_REBUILDS,
    grace_seconds: float = GRACE_SECONDS,
) -> int:
    """Rebuild the rollups of every site listed in `listing` (the SET `RollupRebuilds`); the
    number rebuilt. A site
    leaves the list on a later round, once its zone's rollups count every event: a worker that
    still stored in the old zone after the switch (its zone cache lags by a few seconds) leaves
    the site listed, and rebuilt again."""
    done = 0
    for member in await redis.smembers(listing):
        site_id = str(member)
        if not await redis.exists(keys.site(site_id)) or await redis.exists(
            keys.site_gone(site_id)
        ):
            await redis.srem(listing, site_id)
            continue
        # The filter rollups counting every event means the zone's rollups do too.
        tz = await site_zone(redis, site_id)
        if await rollups.covers(redis, site_id=site_id, tz=tz, filters=True):
            await redis.srem(listing, site_id)  # rebuilt meanwhile, or no events
            continue
        if await rebuild_rollups(redis, site_id, grace_seconds=grace_seconds) is not None:
            done += 1
    return done


async def rebuild_sites(redis: aioredis.Redis, site_ids: list[str]) -> int:
    """`tracking-system rebuild-rollups`: rebuild each site's rollups now, with a progress bar;
    the exit status (1 when a site is unknown, busy or deleted meanwhile)."""
    status = 0
    for site_id in site_ids:
        if not await redis.exists(keys.site(site_id)):
            print(f"{site_id}: no such site", file=sys.stderr)
            status = 1
            continue
        with Progress(0, label=f"{site_id}: events replayed", unit="events") as bar:

            def report(done: int, total: int, bar: Progress = bar) -> None:
                bar.total = total
                bar.update(done - bar.done)

            rebuilt = await rebuild_rollups(redis, site_id, on_progress=report)
        if rebuilt is None:
            print(f"{site_id}: busy (compacting or rebuilding) or deleted; try again",
                  file=sys.stderr)  # fmt: skip
            status = 1
        else:
            print(f"{site_id}: {rebuilt.events:,} events rolled up in {rebuilt.tz} "
                  f"(as {rebuilt.label})")  # fmt: skip
    return status
