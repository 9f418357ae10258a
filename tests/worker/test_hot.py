"""The hot window against the real Redis: the hashes of compacted days before it go, each leaving
a marker, and every event is still stored exactly once — sent again after its hash went, stored
late into a day already gone through, or sent again while the window moves."""

from __future__ import annotations

import asyncio
import itertools
import uuid
from datetime import UTC, datetime, timedelta
from typing import cast

import pytest
import redis.asyncio as aioredis

from tests.support import dataset
from tests.support.dataset import Sent
from tracking_system.common import columnar, keys, rollups
from tracking_system.common.zones import DAY_MS
from tracking_system.tracking.stats.columnar import all_rows
from tracking_system.worker import hot
from tracking_system.worker.compaction import compact_all
from tracking_system.worker.hot import Evictor, evict_site, window_start
from tracking_system.worker.store import DUPLICATE, EXPIRED, STORED, Store, event_ulid, prepare

pytestmark = [pytest.mark.anyio, pytest.mark.on_cluster]  # once more on a 3-shard cluster

HOT_DAYS = 5
_entries = itertools.count()


def _now_ms() -> int:
    return int(datetime.now(UTC).timestamp() * 1000)


async def _site(client: aioredis.Redis) -> str:
    site_id = uuid.uuid4().hex
    await client.json().set(keys.site(site_id), "$", {"id": site_id, "timezone": "UTC"})
    return site_id


async def _store(client: aioredis.Redis, site_id: str, sent: list[Sent]) -> list[int]:
    """Store events as the worker does; each one's outcome."""
    batch = [prepare(f"{next(_entries)}-0", site_id,
                     {**s.event, "userAgent": s.agent, "ip": s.ip}, tz="UTC")
             for s in sent]  # fmt: skip
    outcomes: list[int] = []
    for i in range(0, len(batch), 100):
        done = await Store(client).store(batch[i : i + 100], stream="test:hot:stream")
        outcomes += [int(done[p.entry_id]) for p in batch[i : i + 100]]  # type: ignore[arg-type]
    return outcomes


def _data(seed: int, days: int, sessions: int) -> list[Sent]:
    now = datetime.now(UTC)
    generated = dataset.generate(seed=seed, start=now - timedelta(days=days),
                                 end=now - timedelta(hours=1), sessions=sessions)  # fmt: skip
    return generated.events + generated.bots


async def _compacted_site(client: aioredis.Redis, *, seed: int, days: int,
                          sessions: int) -> tuple[str, list[Sent]]:  # fmt: skip
    """A new site with generated events stored and compacted; its id and the events."""
    site_id = await _site(client)
    sent = _data(seed=seed, days=days, sessions=sessions)
    assert set(await _store(client, site_id, sent)) == {STORED}
    await compact_all(client, site_id)
    return site_id, sent


async def _hashes(client: aioredis.Redis, site_id: str, sent: list[Sent]) -> set[str]:
    """The ids of the sent events whose hashes exist."""
    ids = [event_ulid(site_id, s.event["eventId"]) for s in sent]
    found = [await client.exists(keys.event(site_id, i)) for i in ids]
    return {i for i, exists in zip(ids, found, strict=True) if exists}


async def _counted(client: aioredis.Redis, site_id: str) -> int:
    return int(await client.hget(rollups.lifetime_totals(site_id), "e") or 0)


async def test_hashes_of_compacted_days_before_the_window_go_and_the_rest_stay(
    client: aioredis.Redis,
) -> None:
    site_id, sent = await _compacted_site(client, seed=1, days=12, sessions=150)
    now = _now_ms()
    start = window_start(now, HOT_DAYS)

    done = await evict_site(client, site_id, now_ms=now, hot_days=HOT_DAYS)

    old = [s for s in sent if s.event["eventTime"] < start]
    assert 0 < len(old) < len(sent)
    assert done.events == len(old)
    assert await _hashes(client, site_id, old) == set()
    recent = [s for s in sent if s.event["eventTime"] >= start]
    assert len(await _hashes(client, site_id, recent)) == len(recent)
    assert await rollups.hot_from(client, site_id) == start
    # The columnar tier still holds every event.
    table = await all_rows(client, site_id=site_id)
    assert sorted(table.column("id").to_pylist()) == sorted(
        event_ulid(site_id, s.event["eventId"]) for s in sent
    )


async def test_a_pass_with_nothing_new_to_remove_does_nothing(client: aioredis.Redis) -> None:
    site_id, _ = await _compacted_site(client, seed=2, days=10, sessions=40)
    now = _now_ms()
    first = await evict_site(client, site_id, now_ms=now, hot_days=HOT_DAYS)
    again = await evict_site(client, site_id, now_ms=now, hot_days=HOT_DAYS)
    assert first.days > 0
    assert again == hot.Evicted(0, 0)


async def test_an_event_sent_again_after_its_hash_went_is_a_duplicate(
    client: aioredis.Redis,
) -> None:
    site_id, sent = await _compacted_site(client, seed=3, days=12, sessions=120)
    counted = await _counted(client, site_id)
    await evict_site(client, site_id, now_ms=_now_ms(), hot_days=HOT_DAYS)

    assert set(await _store(client, site_id, sent)) == {DUPLICATE}
    assert await _counted(client, site_id) == counted
    assert await client.xlen(keys.columnar_tail(site_id)) == 0


async def test_a_late_event_into_a_day_gone_through_is_stored_once_and_its_hash_goes_later(
    client: aioredis.Redis,
) -> None:
    site_id, _ = await _compacted_site(client, seed=4, days=12, sessions=60)
    now = _now_ms()
    await evict_site(client, site_id, now_ms=now, hot_days=HOT_DAYS)
    counted = await _counted(client, site_id)
    ago = datetime.now(UTC) - timedelta(days=10)
    late = dataset.generate(seed=44, start=ago - timedelta(days=1), end=ago, sessions=3).events

    assert set(await _store(client, site_id, late)) == {STORED}
    assert set(await _store(client, site_id, late)) == {DUPLICATE}
    assert len(await _hashes(client, site_id, late)) == len(late)
    await compact_all(client, site_id)
    done = await evict_site(client, site_id, now_ms=now, hot_days=HOT_DAYS)
    assert done.days >= 1
    assert await _hashes(client, site_id, late) == set()
    assert set(await _store(client, site_id, late)) == {DUPLICATE}
    assert await _counted(client, site_id) == counted + len(late)


async def test_days_not_compacted_yet_keep_their_hashes(client: aioredis.Redis) -> None:
    site_id = await _site(client)
    sent = _data(seed=5, days=12, sessions=60)
    await _store(client, site_id, sent[: len(sent) // 2])
    await compact_all(client, site_id)
    await _store(client, site_id, sent[len(sent) // 2 :])  # in the tail
    now = _now_ms()
    await evict_site(client, site_id, now_ms=now, hot_days=HOT_DAYS)
    in_tail = [s for s in sent[len(sent) // 2 :] if s.event["eventTime"] < window_start(now, 5)]
    assert in_tail
    assert len(await _hashes(client, site_id, in_tail)) == len(in_tail)
    assert set(await _store(client, site_id, sent)) == {DUPLICATE}


async def test_events_sent_again_while_the_window_moves_are_never_stored_twice(
    client: aioredis.Redis, monkeypatch: pytest.MonkeyPatch
) -> None:
    site_id, sent = await _compacted_site(client, seed=6, days=12, sessions=200)
    counted = await _counted(client, site_id)
    monkeypatch.setattr(hot, "CHUNK", 7)  # many small steps for the stores to fall between

    async def send_again() -> list[int]:
        outcomes: list[int] = []
        for i in range(0, len(sent), 25):
            outcomes += await _store(client, site_id, sent[i : i + 25])
            await asyncio.sleep(0)
        return outcomes

    done, outcomes = await asyncio.gather(
        evict_site(client, site_id, now_ms=_now_ms(), hot_days=HOT_DAYS), send_again()
    )
    assert done.events > 0
    assert set(outcomes) == {DUPLICATE}
    assert await _counted(client, site_id) == counted


async def test_markers_fill_sets_of_a_few_hundred_integers(client: aioredis.Redis) -> None:
    site_id, _ = await _compacted_site(client, seed=7, days=9, sessions=400)
    await evict_site(client, site_id, now_ms=_now_ms(), hot_days=HOT_DAYS)
    records = cast(dict[str, str], await client.hgetall(keys.columnar_evicted(site_id)))
    assert records
    catalog = cast(dict[str, str], await client.hgetall(keys.columnar_catalog(site_id)))
    for day, record in records.items():
        version, buckets = record.split(" ")
        meta = columnar.DayMeta.parse(catalog[day])
        assert version == meta.version
        assert int(buckets) == max(1, -(-meta.rows // columnar.MARKERS_PER_SET))
        sets = [f"{keys.columnar_seen_prefix(site_id)}{day}:{b}" for b in range(int(buckets))]
        sizes = [await client.scard(name) for name in sets]
        assert sum(sizes) == meta.rows
        assert max(sizes) < 512  # a Redis intset: 8 bytes a marker
        assert {await client.object("encoding", name) for name in sets} == {"intset"}


async def test_a_compacted_site_is_listed_and_found_again_after_a_restart(
    client: aioredis.Redis,
) -> None:
    site_id, _ = await _compacted_site(client, seed=8, days=3, sessions=5)
    assert site_id in await client.smembers(keys.COLUMNAR_SITES)
    listing = f"test:hot:{uuid.uuid4().hex}"
    await Evictor(client, hot_days=HOT_DAYS, check_seconds=0, listing=listing).discover()
    assert site_id in await client.smembers(listing)


async def test_the_evictor_moves_listed_sites_windows_and_drops_deleted_sites(
    client: aioredis.Redis,
) -> None:
    kept, deleted = await _site(client), await _site(client)
    for site_id in (kept, deleted):
        await _store(client, site_id, _data(seed=9, days=10, sessions=30))
        await compact_all(client, site_id)
    listing = f"test:hot:{uuid.uuid4().hex}"  # the session's sites are not this test's to move
    await client.sadd(listing, kept, deleted)
    await client.set(keys.site_gone(deleted), "1")

    await Evictor(client, hot_days=HOT_DAYS, check_seconds=0, listing=listing).run_once()

    assert await rollups.hot_from(client, kept) == window_start(_now_ms(), HOT_DAYS)
    assert await rollups.hot_from(client, deleted) == 0
    assert await client.smembers(listing) == {kept}


def test_the_window_starts_at_a_utc_midnight() -> None:
    now = int(datetime(2026, 3, 10, 15, 30, tzinfo=UTC).timestamp() * 1000)
    start = window_start(now, 30)
    assert start % DAY_MS == 0
    assert datetime.fromtimestamp(start / 1000, UTC) == datetime(2026, 2, 8, tzinfo=UTC)


async def _keep_days(client: aioredis.Redis, site_id: str, days: int | None) -> None:
    await client.json().set(keys.site(site_id), "$.retentionDays", days)


async def test_retention_deletes_every_raw_trace_of_days_before_it_and_keeps_the_rollups(
    client: aioredis.Redis,
) -> None:
    site_id, sent = await _compacted_site(client, seed=10, days=12, sessions=150)
    now = _now_ms()
    await evict_site(client, site_id, now_ms=now, hot_days=HOT_DAYS)  # markers for some days
    counted = await _counted(client, site_id)
    keep_from = window_start(now, 8)

    dropped = await hot.drop_expired(client, site_id, now_ms=now, days=8)

    assert dropped is not None
    assert dropped > 0
    old = [s for s in sent if s.event["eventTime"] < keep_from]
    kept = [s for s in sent if s.event["eventTime"] >= keep_from]
    assert old
    table = await all_rows(client, site_id=site_id)
    assert sorted(table.column("id").to_pylist()) == sorted(
        event_ulid(site_id, s.event["eventId"]) for s in kept
    )
    assert await _hashes(client, site_id, old) == set()
    catalog = await client.hgetall(keys.columnar_catalog(site_id))
    assert all((int(day) + 1) * DAY_MS > keep_from for day in catalog)
    evicted = await client.hgetall(keys.columnar_evicted(site_id))
    assert all((int(day) + 1) * DAY_MS > keep_from for day in evicted)
    prefix = keys.columnar_prefix(site_id)
    left = [name async for name in client.scan_iter(match=f"{prefix}*")]
    for name in left:  # no blob or marker set of a dropped day is left behind
        parts = name.removeprefix(prefix).split(":")
        if parts[0] in ("d", "seen"):
            assert (int(parts[1]) + 1) * DAY_MS > keep_from, name
    assert await _counted(client, site_id) == counted  # the rollups stay


async def test_an_event_older_than_the_site_keeps_is_refused_not_stored(
    client: aioredis.Redis,
) -> None:
    site_id, sent = await _compacted_site(client, seed=11, days=12, sessions=80)
    now = _now_ms()
    await hot.drop_expired(client, site_id, now_ms=now, days=8)
    counted = await _counted(client, site_id)
    old = [s for s in sent if s.event["eventTime"] < window_start(now, 8)]
    ago = datetime.now(UTC) - timedelta(days=10)
    late = dataset.generate(seed=111, start=ago - timedelta(days=1), end=ago, sessions=3).events

    assert set(await _store(client, site_id, old + late)) == {EXPIRED}
    assert await _counted(client, site_id) == counted
    assert await client.xlen(keys.columnar_tail(site_id)) == 0
    assert await _hashes(client, site_id, late) == set()


async def test_what_a_site_keeps_never_moves_back(client: aioredis.Redis) -> None:
    site_id, _ = await _compacted_site(client, seed=12, days=12, sessions=20)
    now = _now_ms()
    await hot.drop_expired(client, site_id, now_ms=now, days=8)
    await hot.drop_expired(client, site_id, now_ms=now, days=100)
    keep = await client.hget(rollups.meta(site_id), rollups.KEEP_FROM_FIELD)
    assert keep == str(window_start(now, 8))


async def test_retention_waits_for_a_site_being_compacted(client: aioredis.Redis) -> None:
    site_id, _ = await _compacted_site(client, seed=13, days=12, sessions=20)
    await client.set(keys.columnar_lock(site_id), "another", px=60_000)
    assert await hot.drop_expired(client, site_id, now_ms=_now_ms(), days=8) is None
    assert await client.hlen(keys.columnar_catalog(site_id)) > 8
    await client.delete(keys.columnar_lock(site_id))
    assert await hot.drop_expired(client, site_id, now_ms=_now_ms(), days=8)


async def test_the_evictor_applies_each_sites_retention(client: aioredis.Redis) -> None:
    keeping, forever = await _site(client), await _site(client)
    for site_id in (keeping, forever):
        await _store(client, site_id, _data(seed=14, days=12, sessions=30))
        await compact_all(client, site_id)
    # Out of the shared list before the retention is set, or a running system's worker would
    # apply it too (and hold the site's lock when this test's pass comes).
    await client.srem(keys.COLUMNAR_SITES, keeping, forever)
    await _keep_days(client, keeping, 8)
    listing = f"test:hot:{uuid.uuid4().hex}"
    await client.sadd(listing, keeping, forever)

    await Evictor(client, hot_days=HOT_DAYS, check_seconds=0, listing=listing).run_once()

    now = _now_ms()
    days = {site_id: [int(d) for d in await client.hkeys(keys.columnar_catalog(site_id))]
            for site_id in (keeping, forever)}  # fmt: skip
    assert min(days[keeping]) * DAY_MS >= window_start(now, 8)
    assert min(days[forever]) * DAY_MS < window_start(now, 8)
    assert await client.hget(rollups.meta(forever), rollups.KEEP_FROM_FIELD) is None


async def test_a_pass_that_dies_between_chunks_is_finished_by_the_next_one(
    client: aioredis.Redis, monkeypatch: pytest.MonkeyPatch
) -> None:
    site_id, sent = await _compacted_site(client, seed=15, days=12, sessions=150)
    counted = await _counted(client, site_id)
    monkeypatch.setattr(hot, "CHUNK", 10)
    real_eval = client.eval
    calls = 0

    async def dies_on_the_second_chunk(script: str, *args: object) -> object:
        nonlocal calls
        if script == hot.CHUNK_SCRIPT:
            calls += 1
            if calls == 2:
                raise ConnectionError("the worker died here")
        return await real_eval(script, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(client, "eval", dies_on_the_second_chunk)
    with pytest.raises(ConnectionError):
        await evict_site(client, site_id, now_ms=_now_ms(), hot_days=HOT_DAYS)
    monkeypatch.setattr(client, "eval", real_eval)
    # Half done: the first day's first chunk of hashes is gone, its record names no version yet.
    assert 0 < len(await _hashes(client, site_id, sent)) < len(sent) - 10 + 1
    assert set(await _store(client, site_id, sent)) == {DUPLICATE}

    done = await evict_site(client, site_id, now_ms=_now_ms(), hot_days=HOT_DAYS)

    old = [s for s in sent if s.event["eventTime"] < window_start(_now_ms(), HOT_DAYS)]
    assert done.events == len(old)  # the half-done day is gone through again, whole
    assert await _hashes(client, site_id, old) == set()
    assert set(await _store(client, site_id, sent)) == {DUPLICATE}
    assert await _counted(client, site_id) == counted
