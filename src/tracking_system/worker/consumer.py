"""The worker's pipeline: read from the consumer group of every stream shard (one reader each)
-> enrich -> store + roll up (one atomic script per site) -> ack on the entry's shard -> and, on
a timer, per shard: reclaim stalled entries, dead-letter poison ones and trim what every
consumer has acknowledged."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import Counter
from typing import Any

import redis.asyncio as aioredis
import structlog
from redis.exceptions import ResponseError

from tracking_system.common import keys, refusals
from tracking_system.common.errors import REDIS_ERRORS
from tracking_system.common.stream import decode_entry, id_tuple
from tracking_system.common.zones import DEFAULT_ZONE
from tracking_system.worker import metrics
from tracking_system.worker.compaction import Compactor
from tracking_system.worker.deletion import delete_pending_sites
from tracking_system.worker.erasure import erase_pending_sites
from tracking_system.worker.hot import Evictor
from tracking_system.worker.rebuild import rebuild_pending_sites
from tracking_system.worker.settings import WorkerSettings
from tracking_system.worker.store import (
    DUPLICATE,
    EXPIRED,
    SITE_GONE,
    STORED,
    Prepared,
    Store,
    prepare,
)
from tracking_system.worker.zones import SiteZones

log = structlog.get_logger(__name__)

Entry = tuple[str, dict[str, str]]


async def ensure_group(
    redis: aioredis.Redis, consumer: str, stream: str = keys.EVENTS_STREAM
) -> None:
    """Create the stream and its consumer group if needed, and register this consumer in it."""
    try:
        # Id 0: a group created after events were added still reads them all.
        await redis.xgroup_create(stream, keys.EVENTS_GROUP, id="0", mkstream=True)
    except ResponseError as exc:
        if "BUSYGROUP" not in str(exc):
            raise
    await redis.xgroup_createconsumer(stream, keys.EVENTS_GROUP, consumer)


class Consumer:
    """One consumer of the events group of every stream shard."""

    def __init__(self, redis: aioredis.Redis, settings: WorkerSettings) -> None:
        self.redis = redis
        self.settings = settings
        self.name = settings.consumer_name
        self.streams = keys.events_streams(settings.ingest_streams)
        self.store = Store(redis)
        self.zones = SiteZones(redis, cache_seconds=settings.zone_cache_seconds)
        self.compactor = Compactor(redis, rows=settings.columnar_compact_rows,
                                   seconds=settings.columnar_compact_seconds,
                                   lock_ms=int(settings.columnar_lock_seconds * 1000))  # fmt: skip
        self.evictor = Evictor(redis, hot_days=settings.events_hot_days,
                               check_seconds=settings.events_hot_check_seconds)  # fmt: skip

    async def ensure_groups(self) -> None:
        """Create every shard's stream and group if needed, with this consumer in each."""
        for stream in self.streams:
            await ensure_group(self.redis, self.name, stream)

    async def read_new(self, stream: str) -> list[Entry]:
        """The shard's next batch never delivered to anyone (blocks up to block_ms). One stream
        per call: in a cluster, the shards live in different slots."""
        try:
            response: Any = await self.redis.xreadgroup(
                keys.EVENTS_GROUP,
                self.name,
                {stream: ">"},
                count=self.settings.batch_size,
                block=self.settings.block_ms,
            )
        except ResponseError as exc:
            if "NOGROUP" not in str(exc):
                raise
            # The stream or group vanished (a Redis restarted without data): create them again.
            await ensure_group(self.redis, self.name, stream)
            return []
        out: list[Entry] = []
        for _stream, entries in response or []:
            out.extend((str(entry_id), fields) for entry_id, fields in entries)
        return out

    async def process(self, stream: str, entries: list[Entry]) -> None:
        """Enrich and store a batch of one shard; an entry that fails stays pending for a later
        retry."""
        started = time.perf_counter()
        batch = await self.prepare(entries)
        if batch:
            await self.store_batch(stream, batch)
        metrics.BATCH_SECONDS.observe(time.perf_counter() - started)

    async def prepare(self, entries: list[Entry]) -> list[Prepared]:
        """Decode and enrich entries; the ones that fail are logged and left pending."""
        if not entries:
            return []
        decoded: list[tuple[str, str, dict[str, Any]]] = []
        for entry_id, fields in entries:
            try:
                site_id, event = decode_entry(fields)
            except ValueError as exc:
                self._failed(entry_id, exc)
                continue
            decoded.append((entry_id, site_id, event))
        zones = await self.zones.zones_of({site for _, site, _ in decoded})
        batch: list[Prepared] = []
        for entry_id, site_id, event in decoded:
            try:
                batch.append(prepare(entry_id, site_id, event, tz=zones[site_id]))
            except (KeyError, TypeError, ValueError) as exc:
                self._failed(entry_id, exc)
        return batch

    async def store_batch(self, stream: str, batch: list[Prepared]) -> None:
        """Store, roll up and acknowledge (on its shard's stream) a prepared batch."""
        outcome = await self.store.store(batch, stream=stream)
        self.compactor.sites.update(p.site_id for p in batch)
        failed = [p for p in batch if isinstance(outcome[p.entry_id], Exception)]
        results = [r for r in outcome.values() if not isinstance(r, Exception)]
        metrics.EVENTS_STORED.inc(results.count(STORED))
        metrics.EVENTS_DUPLICATE.inc(results.count(DUPLICATE))
        metrics.EVENTS_SITE_GONE.inc(results.count(SITE_GONE))
        await self._count_expired(batch, outcome)
        if len(failed) == 1:
            self._failed(failed[0].entry_id, outcome[failed[0].entry_id])  # type: ignore[arg-type]
        elif failed:
            # Find the entry a site's script chokes on: store that site's entries one by one.
            for prepared in failed:
                await self.store_batch(stream, [prepared])

    async def _count_expired(self, batch: list[Prepared],
                             outcome: dict[str, int | Exception]) -> None:  # fmt: skip
        """Count, where the site's owner sees refusals, the events older than their site keeps."""
        expired = Counter(p.site_id for p in batch if outcome[p.entry_id] == EXPIRED)
        metrics.EVENTS_EXPIRED.inc(sum(expired.values()))
        for site_id, n in expired.items():
            await refusals.count(self.redis, site_id=site_id, reason=refusals.EXPIRED, n=n,
                                 now_s=time.time())  # fmt: skip
            log.info("events_expired", site=site_id, events=n)

    def _failed(self, entry_id: str, exc: Exception) -> None:
        metrics.EVENTS_FAILED.inc()
        log.warning("event_failed", entry_id=entry_id, error=f"{type(exc).__name__}: {exc}")

    async def maintain(self) -> None:
        """Reclaim, dead-letter, trim and forget dead consumers on every shard; the stream
        gauges report the sums over the shards."""
        length = lag = pending = 0
        for stream in self.streams:
            try:
                await self.reclaim(stream)
                group = await self.trim(stream)
                await self.forget_idle_consumers(stream)
                length += await self.redis.xlen(stream)
            except ResponseError as exc:
                if "NOGROUP" in str(exc):
                    await ensure_group(self.redis, self.name, stream)
                else:
                    log.exception("maintenance_failed", stream=stream)
                continue
            if group is not None:
                lag += int(group.get("lag") or 0)
                pending += int(group.get("pending") or 0)
        metrics.STREAM_LENGTH.set(length)
        metrics.STREAM_LAG.set(lag)
        metrics.STREAM_PENDING.set(pending)

    async def reclaim(self, stream: str) -> None:
        """Take over the shard's entries idle too long in any consumer; dead-letter the
        undeliverable."""
        cursor = "0-0"
        for _ in range(100):  # bounded per round
            cursor, claimed, deleted = await self._autoclaim(stream, cursor)
            if deleted:
                log.error("pending_entries_were_trimmed", stream=stream, ids=deleted)
                await self.redis.xack(stream, keys.EVENTS_GROUP, *deleted)
            if claimed:
                metrics.EVENTS_RECLAIMED.inc(len(claimed))
                retry = await self._dead_letter_exhausted(stream, claimed)
                await self.process(stream, retry)
            if cursor == "0-0":
                return

    async def _autoclaim(self, stream: str, cursor: str) -> tuple[str, list[Entry], list[str]]:
        response = await self.redis.xautoclaim(
            stream,
            keys.EVENTS_GROUP,
            self.name,
            min_idle_time=self.settings.claim_idle_ms,
            start_id=cursor,
            count=self.settings.batch_size,
        )
        next_cursor, claimed = str(response[0]), list(response[1])
        deleted = [str(i) for i in response[2]] if len(response) > 2 else []
        entries = [(str(eid), fields) for eid, fields in claimed if fields is not None]
        return next_cursor, entries, deleted

    async def _dead_letter_exhausted(self, stream: str, claimed: list[Entry]) -> list[Entry]:
        """Dead-letter entries delivered max_deliveries times; return the others."""
        pending = await self.redis.xpending_range(
            stream,
            keys.EVENTS_GROUP,
            min=claimed[0][0],
            max=claimed[-1][0],
            count=len(claimed) * 2,
            consumername=self.name,
        )
        deliveries = {str(p["message_id"]): int(p["times_delivered"]) for p in pending}
        retry: list[Entry] = []
        for entry_id, fields in claimed:
            # XAUTOCLAIM itself counted a delivery: more than the maximum means it already
            # failed max_deliveries times.
            if deliveries.get(entry_id, 0) > self.settings.max_deliveries:
                await self._dead_letter(stream, entry_id, fields, deliveries[entry_id] - 1)
            else:
                retry.append((entry_id, fields))
        return retry

    async def _dead_letter(
        self, stream: str, entry_id: str, fields: dict[str, str], attempts: int
    ) -> None:
        error = "unknown"
        try:
            site_id, event = decode_entry(fields)
            prepare(entry_id, site_id, event, tz=DEFAULT_ZONE)
        except Exception as exc:  # only its description is wanted here
            error = f"{type(exc).__name__}: {exc}"
        record: dict[Any, Any] = {**fields, "sourceId": entry_id, "stream": stream,
                  "error": error[:1000], "deliveries": str(attempts),
                  "deadAt": str(int(time.time() * 1000))}  # fmt: skip
        # Two commands, not a transaction: the dead-letter stream and the shard live in different
        # slots. A crash between them leaves the entry pending, so it is dead-lettered again:
        # a dead letter may be recorded twice, an entry is never lost.
        await self.redis.xadd(keys.DEAD_LETTER_STREAM, record)
        await self.redis.xack(stream, keys.EVENTS_GROUP, entry_id)
        metrics.EVENTS_DEAD.inc()
        log.error(
            "event_dead_lettered", stream=stream, entry_id=entry_id, deliveries=attempts,
            error=error,
        )  # fmt: skip

    async def trim(self, stream: str) -> dict[str, Any] | None:
        """Drop the shard's entries below every unacknowledged and undelivered one (never unread
        ones); the group's XINFO GROUPS record (None when it has none)."""
        summary = await self.redis.xpending(stream, keys.EVENTS_GROUP)
        groups = await self.redis.xinfo_groups(stream)
        group: dict[str, Any] | None = next(
            (g for g in groups if g["name"] == keys.EVENTS_GROUP), None
        )
        if group is None:
            return None
        last_delivered = str(group["last-delivered-id"])
        if last_delivered == "0-0":
            return group
        lowest_pending = summary.get("min") if summary and summary.get("pending") else None
        minid = min((id_tuple(i) for i in (lowest_pending, last_delivered) if i), default=None)
        if minid is not None:
            # Approximate (~) trimming may keep a few more entries, never fewer; LIMIT 0 lifts
            # the cap of 10,000 entries per call, so trimming keeps pace with any ack rate.
            await self.redis.xtrim(
                stream, minid=f"{minid[0]}-{minid[1]}", approximate=True, limit=0
            )
        return group

    async def forget_idle_consumers(self, stream: str) -> None:
        """Remove from the shard's group the consumers of dead workers (no heartbeat) once they
        hold nothing there; a worker that reads again is added back by XREADGROUP itself."""
        for info in await self.redis.xinfo_consumers(stream, keys.EVENTS_GROUP):
            name = str(info["name"])
            if name == self.name or info["pending"]:
                continue
            if not await self.redis.exists(keys.worker_heartbeat(name)):
                await self.redis.xgroup_delconsumer(stream, keys.EVENTS_GROUP, name)


async def consume_forever(consumer: Consumer, stop: asyncio.Event) -> None:
    """Read and process new entries of every shard until stopped: one reader per stream."""
    await asyncio.gather(*(consume_stream(consumer, stream, stop) for stream in consumer.streams))


async def consume_stream(consumer: Consumer, stream: str, stop: asyncio.Event) -> None:
    """Read and process one shard's new entries until stopped, riding out Redis outages.

    While Redis runs one batch's store scripts, this reader reads and enriches the next one;
    a shard's batches are still stored one after the other, in stream order."""
    backoff = 0.1
    in_flight: asyncio.Task[None] | None = None
    while not stop.is_set():
        try:
            batch = await consumer.prepare(await consumer.read_new(stream))
            if in_flight is not None:
                await in_flight
                in_flight = None
            if batch:
                in_flight = asyncio.create_task(consumer.store_batch(stream, batch))
            backoff = 0.1
        except REDIS_ERRORS as exc:
            in_flight = None
            log.warning("redis_unavailable", stream=stream, error=str(exc), retry_in=backoff)
            await _sleep_or_stop(stop, backoff)
            backoff = min(backoff * 2, 2.0)
    if in_flight is not None:
        with contextlib.suppress(*REDIS_ERRORS):
            await in_flight


async def maintain_forever(consumer: Consumer, stop: asyncio.Event, beat: Any) -> None:
    """Heartbeat, and reclaim, dead-letter and trim every shard, on a timer."""
    settings = consumer.settings
    last_maintenance = 0.0
    while not stop.is_set():
        try:
            await beat()
            if time.monotonic() - last_maintenance >= settings.maintenance_seconds:
                await consumer.maintain()
                last_maintenance = time.monotonic()
        except REDIS_ERRORS as exc:
            log.warning("redis_unavailable", error=str(exc))
        except ResponseError:
            log.exception("maintenance_failed")
        await _sleep_or_stop(stop, min(settings.heartbeat_seconds, settings.maintenance_seconds))


async def delete_sites_forever(consumer: Consumer, stop: asyncio.Event) -> None:
    """Remove the data of deleted sites, in the background of consuming."""
    while not stop.is_set():
        try:
            await delete_pending_sites(consumer.redis, consumer=consumer.name)
        except REDIS_ERRORS as exc:
            log.warning("redis_unavailable", error=str(exc))
        except ResponseError as exc:
            log.error("site_deletion_failed", error=str(exc))
        await _sleep_or_stop(stop, consumer.settings.maintenance_seconds)


async def rebuild_forever(consumer: Consumer, stop: asyncio.Event) -> None:
    """Erase the visitors sites asked to (worker/erasure.py), and rebuild the rollups of the
    sites whose zone changed or who erased visitors, in the background of consuming."""
    while not stop.is_set():
        try:
            await erase_pending_sites(consumer.redis)
            await rebuild_pending_sites(consumer.redis)
        except REDIS_ERRORS as exc:
            log.warning("redis_unavailable", error=str(exc))
        except Exception:  # the zone keeps its current rollups; the next round starts over
            log.exception("rollup_rebuild_failed")
        await _sleep_or_stop(stop, consumer.settings.maintenance_seconds)


async def compact_forever(consumer: Consumer, stop: asyncio.Event) -> None:
    """Compact the sites' tails into day blobs and keep their hot windows, in the background of
    consuming."""
    while not stop.is_set():
        try:
            moved = await consumer.compactor.run_once()
            metrics.ROWS_COMPACTED.inc(moved)
            metrics.HASHES_EVICTED.inc((await consumer.evictor.run_once()).events)
        except REDIS_ERRORS as exc:
            log.warning("redis_unavailable", error=str(exc))
        except Exception:  # a failed compaction leaves the tail as it was; consuming goes on
            log.exception("compaction_failed")
        await _sleep_or_stop(stop, consumer.settings.columnar_compact_check_seconds)


async def _sleep_or_stop(stop: asyncio.Event, seconds: float) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), timeout=seconds)
