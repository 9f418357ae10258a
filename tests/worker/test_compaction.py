"""Compaction of a site's columnar tail into day blobs, against the real Redis: every row ends in
exactly one place, a late row rewrites its day under a new version, and a compaction that lost
its lock changes nothing."""

from __future__ import annotations

import time
import uuid
from typing import Any

import pytest
import redis.asyncio as aioredis

from tests.support.redis_server import RedisServer
from tracking_system.common import columnar, keys
from tracking_system.common.columnar import DayMeta
from tracking_system.common.zones import DAY_MS
from tracking_system.tracking.stats.columnar import CACHE, CODES, TAILS, site_events, warm
from tracking_system.worker import compaction
from tracking_system.worker.compaction import Compactor, compact_site

pytestmark = pytest.mark.anyio
DAY = 20_000  # a UTC day number (2024-10-04)


def _time(n: int, day: int = DAY) -> int:
    """Row n's event time: one per row of a day."""
    return day * DAY_MS + n * 1000


def _row(n: int, day: int = DAY, **fields: str) -> list[Any]:
    hash_fields = {"eventTime": str(_time(n, day)), "eventName": "PAGE_VIEW",
                   "userId": f"u{n % 7}", "sessionId": f"s{n % 11}", "path": "/",
                   **fields}  # fmt: skip
    return columnar.row_of_hash(f"id{n:05d}", hash_fields)


async def _append(client: aioredis.Redis, site: str, rows: list[list[Any]]) -> None:
    for row in rows:
        await client.xadd(keys.columnar_tail(site), {"r": columnar.encode_row(row)})


async def _catalog(client: aioredis.Redis, site: str) -> dict[int, DayMeta]:
    found = await client.hgetall(keys.columnar_catalog(site))
    return {int(day): DayMeta.parse(value) for day, value in found.items()}


async def test_compaction_moves_every_tail_row_into_its_days_blob(client: aioredis.Redis) -> None:
    site = uuid.uuid4().hex
    await _append(client, site, [_row(n) for n in range(30)] + [_row(n, DAY + 1) for n in range(5)])
    done = await compact_site(client, site)
    assert done is not None
    assert (done.rows, done.days) == (35, 2)
    assert await client.xlen(keys.columnar_tail(site)) == 0
    catalog = await _catalog(client, site)
    assert {day: meta.rows for day, meta in catalog.items()} == {DAY: 30, DAY + 1: 5}
    assert (catalog[DAY].first, catalog[DAY].last) == (DAY * DAY_MS, DAY * DAY_MS + 29_000)
    events = await site_events(client, site_id=site, start_ms=DAY * DAY_MS,
                               end_ms=(DAY + 2) * DAY_MS)  # fmt: skip
    assert sorted(events.column("eventTime").to_pylist()) == sorted(
        [_time(n) for n in range(30)] + [_time(n, DAY + 1) for n in range(5)]
    )


async def test_a_late_row_rewrites_its_day_under_a_new_version(client: aioredis.Redis) -> None:
    site = uuid.uuid4().hex
    await _append(client, site, [_row(n) for n in range(10)])
    await compact_site(client, site)
    before = (await _catalog(client, site))[DAY]
    await _append(client, site, [_row(n) for n in range(10, 13)])
    await compact_site(client, site)
    after = (await _catalog(client, site))[DAY]
    assert after.rows == 13
    assert after.version != before.version
    assert not await client.exists(keys.columnar_blob(site, DAY, before.version))
    assert await client.exists(keys.columnar_blob(site, DAY, after.version))


async def test_readers_see_blobs_and_tail_each_row_once(client: aioredis.Redis) -> None:
    site = uuid.uuid4().hex
    await _append(client, site, [_row(n) for n in range(20)])
    await compact_site(client, site)
    await _append(client, site, [_row(n) for n in range(20, 25)])  # still in the tail
    events = await site_events(client, site_id=site, start_ms=DAY * DAY_MS,
                               end_ms=(DAY + 1) * DAY_MS)  # fmt: skip
    times = events.column("eventTime").to_pylist()  # one per row
    assert sorted(times) == [_time(n) for n in range(25)]


async def test_the_tail_is_bounded_by_the_period(client: aioredis.Redis) -> None:
    site = uuid.uuid4().hex
    await _append(client, site, [_row(0, DAY - 3), _row(1, DAY), _row(2, DAY + 3)])
    events = await site_events(client, site_id=site, start_ms=DAY * DAY_MS,
                               end_ms=(DAY + 1) * DAY_MS)  # fmt: skip
    assert events.column("eventTime").to_pylist() == [_time(1)]


async def test_a_held_tail_follows_appends_and_compactions(client: aioredis.Redis) -> None:
    site = uuid.uuid4().hex

    async def times() -> list[int]:
        events = await site_events(client, site_id=site, start_ms=DAY * DAY_MS,
                                   end_ms=(DAY + 1) * DAY_MS)  # fmt: skip
        return sorted(events.column("eventTime").to_pylist())

    await _append(client, site, [_row(n) for n in range(10)])
    assert await times() == [_time(n) for n in range(10)]
    await _append(client, site, [_row(n) for n in range(10, 15)])
    assert await times() == [_time(n) for n in range(15)]
    await compact_site(client, site, max_rows=12)  # rows 0..11 leave the tail
    await _append(client, site, [_row(n) for n in range(15, 18)])
    assert await times() == [_time(n) for n in range(18)]
    held = TAILS.get(site, CODES.epoch)
    assert held is not None
    assert held.table.num_rows == 6  # rows 12..17, read once each
    await compact_site(client, site)
    assert await times() == [_time(n) for n in range(18)]


async def test_warming_decodes_the_recent_days_of_every_site(client: aioredis.Redis) -> None:
    today, site = int(time.time() * 1000) // DAY_MS, uuid.uuid4().hex
    await _append(client, site, [_row(n, today - 40) for n in range(3)])
    await _append(client, site, [_row(n, today - 1) for n in range(3)])
    await compact_site(client, site)
    catalog = await _catalog(client, site)
    recent = keys.columnar_blob(site, today - 1, catalog[today - 1].version)
    old = keys.columnar_blob(site, today - 40, catalog[today - 40].version)
    assert CACHE.get(recent, CODES.epoch) is None
    assert await warm(client, days=31) >= 1
    assert CACHE.get(recent, CODES.epoch) is not None
    assert CACHE.get(old, CODES.epoch) is None


async def test_a_site_locked_by_another_process_is_left_alone(client: aioredis.Redis) -> None:
    site = uuid.uuid4().hex
    await _append(client, site, [_row(n) for n in range(8)])
    await client.set(keys.columnar_lock(site), "another-worker")
    assert await compact_site(client, site) is None
    assert await client.xlen(keys.columnar_tail(site)) == 8


async def test_a_compaction_that_lost_its_lock_changes_nothing(
    client: aioredis.Redis, redis_server: RedisServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    site = uuid.uuid4().hex
    await _append(client, site, [_row(n) for n in range(8)])
    real, sync = compaction._merged_blob, redis_server.client()

    def steal_lock(old: bytes | None, rows: list[list[object]]) -> tuple[bytes, int, int, int]:
        sync.set(keys.columnar_lock(site), "another-worker")  # this one's lock had expired
        return real(old, rows)

    monkeypatch.setattr(compaction, "_merged_blob", steal_lock)
    assert await compact_site(client, site) is None
    assert await client.xlen(keys.columnar_tail(site)) == 8
    assert await _catalog(client, site) == {}
    assert not [k async for k in client.scan_iter(match=keys.columnar_prefix(site) + "d:*")]
    assert await client.get(keys.columnar_lock(site)) == "another-worker"  # not released


async def test_a_merge_slower_than_the_lock_keeps_its_lock_and_compacts(
    client: aioredis.Redis, monkeypatch: pytest.MonkeyPatch
) -> None:
    site = uuid.uuid4().hex
    await _append(client, site, [_row(n) for n in range(8)])
    real = compaction._merged_blob

    def slow(old: bytes | None, rows: list[list[object]]) -> tuple[bytes, int, int, int]:
        time.sleep(1.0)  # a huge day: more than three times the lock's life
        return real(old, rows)

    monkeypatch.setattr(compaction, "_merged_blob", slow)
    done = await compact_site(client, site, lock_ms=300)
    assert done is not None
    assert done.rows == 8
    assert await client.xlen(keys.columnar_tail(site)) == 0
    assert await client.get(keys.columnar_lock(site)) is None  # released


async def test_a_deleted_sites_tail_is_not_compacted(client: aioredis.Redis) -> None:
    site = uuid.uuid4().hex
    await _append(client, site, [_row(n) for n in range(4)])
    await client.set(keys.site_gone(site), 1)
    assert await compact_site(client, site) is None
    assert await _catalog(client, site) == {}
    assert not [k async for k in client.scan_iter(match=keys.columnar_prefix(site) + "d:*")]


async def test_the_compactor_compacts_only_due_tails(client: aioredis.Redis) -> None:
    site = uuid.uuid4().hex
    await _append(client, site, [_row(n) for n in range(5)])
    young = Compactor(client, rows=100, seconds=3600)
    young.sites.add(site)
    await young.run_once()
    assert await client.xlen(keys.columnar_tail(site)) == 5
    due = Compactor(client, rows=5, seconds=3600)
    due.sites.add(site)
    assert await due.run_once() >= 5
    assert await client.xlen(keys.columnar_tail(site)) == 0


async def test_the_compactor_finds_tails_left_by_other_processes(client: aioredis.Redis) -> None:
    site = uuid.uuid4().hex
    await _append(client, site, [_row(n) for n in range(3)])
    fresh = Compactor(client, rows=1, seconds=3600)
    await fresh.run_once()
    assert site in fresh.sites
    assert await client.xlen(keys.columnar_tail(site)) == 0
