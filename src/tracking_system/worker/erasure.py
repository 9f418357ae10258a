"""Erasing visitors (GDPR): every event of a userId, accepted before the request, from every tier.

A request (tracking/erasures.py) records the site's ingestion shard and its last entry id. Once
the group has delivered that entry and none up to it is pending, every event the request covers
is stored, so the worker erases the site's pending requests together:
- under the site's columnar lock (no compaction or rebuild meanwhile), each day blob holding the
  visitors' rows is written again without them (a new version), and the tail loses their rows;
  the same script unlinks their event hashes (and so their index entries) and takes them off the
  lifetime totals. Each script checks the lock and the day's version, so a crash in between
  leaves each day either done or untouched, and the next pass finds only what is left;
- their session states, open visits (drop-in trackers), exit-visitor entries and stream entries
  (the ingestion shard's acknowledged ones, dead letters) go next;
- the request forgets the userId (`rebuilding`), and the site is listed for a rollup rebuild
  (worker/rebuild.py), which replays what is left. Meanwhile the zone's counts no longer cover
  the lifetime total, so queries take the raw path, which no longer holds the visitor. Once the
  rebuilt rollups cover every event again the request is `done`.
The rollups of days whose raw events retention deleted cannot be rebuilt: like those of the
local day where what the site keeps starts, they keep counting the visitor (they hold no id), and
so do the lifetime visitors per event name and page (HLLs, `L:h:`), which cannot forget one."""

from __future__ import annotations

import asyncio
import io
import uuid
from dataclasses import dataclass, field
from typing import Any, cast

import orjson
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import redis.asyncio as aioredis
import structlog
from redis.exceptions import ResponseError

from tracking_system.common import columnar, keys, rollups
from tracking_system.common.columnar import DayMeta
from tracking_system.common.redis import get_bytes
from tracking_system.common.stream import MalformedEntry, decode_entry, id_tuple
from tracking_system.common.zones import now_iso
from tracking_system.worker import metrics
from tracking_system.worker.compaction import LOCK_MS, site_lock
from tracking_system.worker.deletion import scan_chunks
from tracking_system.worker.rebuild import site_zone
from tracking_system.worker.store import PAGE_VIEW

log = structlog.get_logger(__name__)

PENDING, REBUILDING, DONE = "pending", "rebuilding", "done"
KEEP_DONE = 100  # finished requests kept per site (the oldest go)
CHUNK = 1000  # tail rows per script call
STREAM_PAGE = 1000

# KEYS[1] lock, KEYS[2] catalog, KEYS[3] tail, KEYS[4] the site's deletion marker. ARGV[1] the
# lock token, ARGV[2] JSON {day?, expect, value, blob, old, tail, hashes, hincr, zincr}, ARGV[3]
# the day's new blob. With a day: its catalog value must still be `expect`; it becomes `value`
# (a new blob) or goes ('' : no row left), and the old blob goes. Then the tail entries and the
# hashes go, and the counters are decremented (fields and members at zero go). 1 done, 0 lock
# lost or site deleted, -1 the day changed meanwhile.
ERASE = """
if redis.call('GET', KEYS[1]) ~= ARGV[1] or redis.call('EXISTS', KEYS[4]) == 1 then return 0 end
local job = cjson.decode(ARGV[2])
if job.day then
  if (redis.call('HGET', KEYS[2], job.day) or '') ~= job.expect then return -1 end
  if job.value == '' then
    redis.call('HDEL', KEYS[2], job.day)
  else
    redis.call('SET', job.blob, ARGV[3])
    redis.call('HSET', KEYS[2], job.day, job.value)
  end
  redis.call('UNLINK', job.old)
end
if #job.tail > 0 then redis.call('XDEL', KEYS[3], unpack(job.tail)) end
for _, key in ipairs(job.hashes) do redis.call('UNLINK', key) end
for key, fields in pairs(job.hincr) do
  for name, delta in pairs(fields) do
    if redis.call('HINCRBY', key, name, delta) <= 0 then redis.call('HDEL', key, name) end
  end
end
for key, members in pairs(job.zincr) do
  for member, delta in pairs(members) do
    if tonumber(redis.call('ZINCRBY', key, delta, member)) <= 0 then
      redis.call('ZREM', key, member)
    end
  end
end
return 1
"""


class Busy(Exception):
    """The site's columnar lock was lost, or the site deleted, while erasing."""


@dataclass
class Found:
    """The erased visitors' rows of a site (COLUMNS as keys), and each user's count."""

    rows: list[dict[str, Any]] = field(default_factory=list)
    per_user: dict[str, int] = field(default_factory=dict)

    def add(self, rows: list[dict[str, Any]]) -> None:
        """Count rows found."""
        self.rows += rows
        for row in rows:
            self.per_user[row["userId"]] = self.per_user.get(row["userId"], 0) + 1


def _matching(table: pa.Table, users: list[str]) -> pa.Array:
    return pc.is_in(table.column("userId"), value_set=pa.array(users, pa.string()))


def _rows_of(blob: bytes, users: list[str]) -> list[dict[str, Any]]:
    """A day blob's rows of the users (COLUMNS as keys); none without decoding the day when it
    holds none."""
    if not pc.any(_matching(pq.read_table(io.BytesIO(blob), columns=["userId"]), users)).as_py():
        return []
    table = columnar.from_blob(blob)
    rows: list[dict[str, Any]] = table.filter(_matching(table, users)).to_pylist()
    return rows


def _without(blob: bytes, users: list[str]) -> tuple[bytes | None, DayMeta]:
    """A day blob without the users' rows and its catalog entry (no blob when none is left)."""
    table = columnar.from_blob(blob)
    kept = table.filter(pc.invert(_matching(table, users)))
    version = uuid.uuid4().hex[:12]
    if kept.num_rows == 0:
        return None, DayMeta(version, 0, 0, 0)
    times = kept.column("eventTime")
    meta = DayMeta(version, kept.num_rows, pc.min(times).as_py(), pc.max(times).as_py())
    return columnar.to_blob(kept), meta


class _Deltas:
    """What erased rows take off the site's lifetime rollups (those no rebuild writes)."""

    def __init__(self, site_id: str, firsts: dict[str, dict[str, Any]], start_ms: int) -> None:
        self.site_id, self.firsts, self.start_ms = site_id, firsts, start_ms

    def of(self, rows: list[dict[str, Any]]) -> tuple[dict[str, Any], dict[str, Any]]:
        """(HASH key -> field -> delta, ZSET key -> member -> delta) of the rows."""
        hincr: dict[str, dict[str, int]] = {}
        zincr: dict[str, dict[str, int]] = {}

        def down(table: dict[str, dict[str, int]], key: str, name: str) -> None:
            counts = table.setdefault(key, {})
            counts[name] = counts.get(name, 0) - 1

        totals = rollups.lifetime_totals(self.site_id)
        for row in rows:
            if row["bot"] or row["eventTime"] < self.start_ms:
                continue  # crawlers were never counted; days a rebuild carries over stay
            down(hincr, totals, "e")
            down(zincr, rollups.lifetime_top(self.site_id, "eventName"), row["eventName"])
            if row["eventName"] == PAGE_VIEW:
                down(hincr, totals, "pv")
                down(zincr, rollups.lifetime_top(self.site_id, "page"), row["path"])
            # A session's events count under its first event's values (store.lua); the first
            # erased event of the session stands for it.
            first = self.firsts.get(row["sessionId"], row)
            for dim in rollups.SESSION_DIMENSIONS:
                value = first.get(dim) or ""
                if value or dim in rollups.EMPTY_ROW_DIMENSIONS:
                    down(hincr, rollups.lifetime_filter_totals(self.site_id, dim, value), "e")
        return hincr, zincr


class _Eraser:
    """One pass over one site's columnar tier, under its lock."""

    def __init__(self, redis: aioredis.Redis, site_id: str, users: list[str], token: str) -> None:
        self.redis, self.site_id, self.users, self.token = redis, site_id, users, token
        self.script = redis.register_script(ERASE)
        self.keys = [keys.columnar_lock(site_id), keys.columnar_catalog(site_id),
                     keys.columnar_tail(site_id), keys.site_gone(site_id)]  # fmt: skip

    async def _run(self, job: dict[str, Any], blob: bytes = b"") -> int:
        outcome = int(await self.script(keys=self.keys,
                                        args=[self.token, orjson.dumps(job), blob]))  # fmt: skip
        if outcome == 0:
            raise Busy
        return outcome

    def _hashes(self, rows: list[dict[str, Any]]) -> list[str]:
        return [keys.event(self.site_id, row["id"]) for row in rows]

    async def erase(self) -> Found:
        """Find the users' rows, then remove them day by day and from the tail."""
        catalog = {int(d): str(v) for d, v in (await self.redis.hgetall(self.keys[1])).items()}
        tail = cast(list[tuple[str, dict[str, str]]], await self.redis.xrange(self.keys[2]))
        tail_rows = [(entry_id, dict(zip(columnar.COLUMNS, columnar.decode_row(fields["r"]),
                                         strict=True)))
                     for entry_id, fields in tail]  # fmt: skip
        tail_rows = [(i, row) for i, row in tail_rows if row["userId"] in self.users]
        days: dict[int, tuple[str, list[dict[str, Any]]]] = {}  # day -> (catalog value, rows)
        for day, value in sorted(catalog.items()):
            blob = await self._blob(day, value)
            if rows := await asyncio.to_thread(_rows_of, blob, self.users):
                days[day] = (value, rows)
        everything = [row for _, rows in days.values() for row in rows]
        everything += [row for _, row in tail_rows]
        firsts: dict[str, dict[str, Any]] = {}
        for row in sorted(everything, key=lambda r: int(r["eventTime"])):
            firsts.setdefault(row["sessionId"], row)
        carry = await rollups.carried(self.redis, self.site_id,
                                      await site_zone(self.redis, self.site_id))  # fmt: skip
        deltas = _Deltas(self.site_id, firsts, carry.start if carry else 0)
        found = Found()
        for day, (value, rows) in days.items():
            await self._erase_day(day, value, rows, deltas)
            found.add(rows)
        for i in range(0, len(tail_rows), CHUNK):
            chunk = tail_rows[i : i + CHUNK]
            rows = [row for _, row in chunk]
            hincr, zincr = deltas.of(rows)
            await self._run(
                {
                    "tail": [entry_id for entry_id, _ in chunk],
                    "hashes": self._hashes(rows),
                    "hincr": hincr,
                    "zincr": zincr,
                }
            )
            found.add(rows)
        return found

    async def _blob(self, day: int, value: str) -> bytes:
        key = keys.columnar_blob(self.site_id, day, DayMeta.parse(value).version)
        (blob,) = await get_bytes(self.redis, key)
        if blob is None:
            raise RuntimeError(f"columnar blob {key} is missing")
        return blob

    async def _erase_day(self, day: int, value: str, erased: list[dict[str, Any]],
                         deltas: _Deltas) -> None:  # fmt: skip
        """Write the day (catalog `value`) again without its `erased` rows."""
        old = DayMeta.parse(value)
        blob, meta = await asyncio.to_thread(_without, await self._blob(day, value), self.users)
        hincr, zincr = deltas.of(erased)
        job = {"day": str(day), "expect": value, "value": meta.dump() if blob else "",
               "blob": keys.columnar_blob(self.site_id, day, meta.version),
               "old": keys.columnar_blob(self.site_id, day, old.version), "tail": [],
               "hashes": self._hashes(erased), "hincr": hincr, "zincr": zincr}  # fmt: skip
        if await self._run(job, blob or b"") == -1:
            raise RuntimeError(f"day {day} changed while held")  # only a lost lock allows it


async def _caught_up(redis: aioredis.Redis, stream: str, after: str) -> bool:
    """True when every entry of the shard up to `after` was delivered and acknowledged."""
    if after == "0-0":
        return True
    try:
        groups = await redis.xinfo_groups(stream)
    except ResponseError:  # the stream is gone: nothing left in it
        return True
    group = next((g for g in groups if str(g["name"]) == keys.EVENTS_GROUP), None)
    if group is None or id_tuple(str(group["last-delivered-id"])) < id_tuple(after):
        return False
    return not await redis.xpending_range(stream, keys.EVENTS_GROUP, min="-", max=after, count=1)


async def _drop_entries(redis: aioredis.Redis, stream: str, site_id: str, users: set[str],
                        upto: str = "+") -> None:  # fmt: skip
    """XDEL the stream's entries of the users' events (acknowledged ones, or dead letters)."""
    start = "-"
    while True:
        page = cast(list[tuple[str, dict[str, str]]],
                    await redis.xrange(stream, min=start, max=upto, count=STREAM_PAGE))  # fmt: skip
        doomed = []
        for entry_id, fields in page:
            try:
                entry_site, event = decode_entry(fields)
            except MalformedEntry:
                continue
            if entry_site == site_id and event.get("userId") in users:
                doomed.append(entry_id)
        if doomed:
            await redis.xdel(stream, *doomed)
        if len(page) < STREAM_PAGE:
            return
        start = f"({page[-1][0]}"


async def _forget_elsewhere(redis: aioredis.Redis, site_id: str, users: set[str],
                            sessions: set[str], streams: set[tuple[str, str]]) -> None:  # fmt: skip
    """Remove what else names the users: session states, open visits, exit-visitor entries,
    stream entries."""
    tz = await site_zone(redis, site_id)
    prefix = rollups.zone_prefix(
        site_id, await rollups.current_label(redis, site_id=site_id, tz=tz)
    )
    if sessions:
        await redis.unlink(*(f"{prefix}sess:{sid}" for sid in sessions))
    visits = keys.visit_prefix(site_id)
    async for chunk in scan_chunks(redis, f"{visits}*"):
        async with redis.pipeline(transaction=False) as pipe:
            for key in chunk:
                pipe.hget(key, "u")
            owners = await pipe.execute()
        # A visit is the hashed visitor's (its key) or an identified user's (`u`).
        doomed = [key for key, user in zip(chunk, owners, strict=True)
                  if user in users or key.removeprefix(visits) in users]  # fmt: skip
        if doomed:
            await redis.unlink(*doomed)
    async for chunk in scan_chunks(redis, f"{prefix}x:*"):  # kept days a rebuild carries over
        async with redis.pipeline(transaction=False) as pipe:
            for key in chunk:
                pipe.zrem(key, *users)
            await pipe.execute()
    for stream, after in streams:
        await _drop_entries(redis, stream, site_id, users, after)
    await _drop_entries(redis, keys.DEAD_LETTER_STREAM, site_id, users)


async def _erase(redis: aioredis.Redis, site_id: str, users: list[str], token: str,
                 streams: set[tuple[str, str]]) -> dict[str, int] | None:  # fmt: skip
    """erase_users, the lock held with `token`."""
    try:
        found = await _Eraser(redis, site_id, users, token).erase()
    except Busy:
        return None
    await _forget_elsewhere(redis, site_id, set(users), {row["sessionId"] for row in found.rows},
                            streams)  # fmt: skip
    metrics.EVENTS_ERASED.inc(len(found.rows))
    return {user: found.per_user.get(user, 0) for user in users}


async def erase_users(redis: aioredis.Redis, site_id: str, users: list[str], *,
                      streams: set[tuple[str, str]] | None = None,
                      lock_ms: int = LOCK_MS) -> dict[str, int] | None:  # fmt: skip
    """Erase the users' stored events from the raw tiers and the lifetime totals, and what else
    names them; events erased per user, None when another process holds the site's columnar lock
    (or the site went). `streams`: (stream, last id) whose acknowledged entries of the users go
    too."""
    async with site_lock(redis, site_id, lock_ms) as token:
        if token is None:
            return None
        return await _erase(redis, site_id, users, token, streams or set())


async def _requests(redis: aioredis.Redis, site_id: str) -> list[dict[str, Any]]:
    values = (await redis.hgetall(keys.erasures(site_id))).values()
    return sorted((orjson.loads(v) for v in values), key=lambda r: (r["createdAt"], r["id"]))


# KEYS[1] the site's requests. ARGV: per request, its id, the status it must still have, its new
# JSON. Another worker's pass may have moved a request on meanwhile: that one is left as it is.
SAVE = """
for i = 1, #ARGV, 3 do
  local current = redis.call('HGET', KEYS[1], ARGV[i])
  if current and cjson.decode(current).status == ARGV[i + 1] then
    redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 2])
  end
end
return 1
"""


async def _save(redis: aioredis.Redis, site_id: str, requests: list[dict[str, Any]],
                was: str) -> None:  # fmt: skip
    """Store the requests, each only if it still has status `was`."""
    args = [part for r in requests for part in (r["id"], was, orjson.dumps(r))]
    if args:
        await redis.eval(SAVE, 1, keys.erasures(site_id), *args)


async def erase_site(redis: aioredis.Redis, site_id: str, *, rebuilds: str = keys.ROLLUP_REBUILDS,
                     lock_ms: int = LOCK_MS) -> bool:  # fmt: skip
    """Carry the site's requests forward; True when none is left to do."""
    async with site_lock(redis, site_id, lock_ms) as token:
        if token is None:
            return False
        requests = await _requests(redis, site_id)  # read under the lock: no other pass runs
        ready = [r for r in requests if r["status"] == PENDING
                 and await _caught_up(redis, r["stream"], r["after"])]  # fmt: skip
        if ready:
            users = sorted({str(r["userId"]) for r in ready})
            streams = {(str(r["stream"]), str(r["after"])) for r in ready}
            erased = await _erase(redis, site_id, users, token, streams)
            if erased is None:
                return False
            for r in ready:
                r.update(status=REBUILDING, userId=None, eventsErased=erased[r["userId"]])
            await redis.sadd(rebuilds, site_id)
            await _save(redis, site_id, ready, was=PENDING)
            log.info("visitors_erased", site=site_id, requests=[r["id"] for r in ready],
                     events=sum(erased.values()))  # fmt: skip
    rebuilding = [r for r in requests if r["status"] == REBUILDING]
    tz = await site_zone(redis, site_id)
    if rebuilding and await rollups.covers(redis, site_id=site_id, tz=tz, filters=True):
        for r in rebuilding:
            r.update(status=DONE, finishedAt=now_iso())
        await _save(redis, site_id, rebuilding, was=REBUILDING)
        log.info("visitor_erasures_done", site=site_id, requests=[r["id"] for r in rebuilding])
    finished = [r for r in requests if r["status"] == DONE]
    if len(finished) > KEEP_DONE:
        await redis.hdel(keys.erasures(site_id), *(r["id"] for r in finished[:-KEEP_DONE]))
    return not [r for r in requests if r["status"] != DONE]


async def erase_pending_sites(redis: aioredis.Redis, *, listing: str = keys.ERASURES,
                              rebuilds: str = keys.ROLLUP_REBUILDS) -> int:  # fmt: skip
    """Carry forward the requests of every site listed in `listing`; the sites finished."""
    done = 0
    for member in await redis.smembers(listing):
        site_id = str(member)
        if await redis.exists(keys.site_gone(site_id)) or not await redis.exists(
            keys.site(site_id)
        ):
            await redis.srem(listing, site_id)
            continue
        if await erase_site(redis, site_id, rebuilds=rebuilds):
            await redis.srem(listing, site_id)
            # A request added meanwhile lists the site again after writing itself: look again.
            if any(r["status"] != DONE for r in await _requests(redis, site_id)):
                await redis.sadd(listing, site_id)
            done += 1
    return done
