"""Rebuilding a site's rollups in a new zone from the columnar tier, against the real Redis and
brute force over the events stored: the rebuilt zone answers from rollups like brute force
(between UTC, Asia/Kolkata and America/New_York, whose DST change is in the data), with events
stored during the rebuild (before and at the switch) and after it, late events and duplicates
counted once; the old and dead generations are removed; a busy site waits."""

from __future__ import annotations

import itertools
import random
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import redis.asyncio as aioredis

from tests.support import dataset
from tests.support.dataset import Sent
from tests.support.rollup_checks import assert_rollups_answer_like_brute_force
from tracking_system.common import keys, rollups
from tracking_system.tracking.stats import queries
from tracking_system.tracking.stats.params import Period
from tracking_system.worker import hot, rebuild
from tracking_system.worker.compaction import compact_all
from tracking_system.worker.rebuild import rebuild_pending_sites, rebuild_rollups
from tracking_system.worker.store import Store, prepare

pytestmark = [pytest.mark.anyio, pytest.mark.on_cluster]  # once more on a 3-shard cluster

OLD, NEW = "UTC", "America/New_York"  # the new zone has a DST change within the data
_entries = itertools.count()


async def _site(client: aioredis.Redis, tz: str) -> str:
    site_id = uuid.uuid4().hex
    await client.json().set(keys.site(site_id), "$", {"id": site_id, "timezone": tz})
    return site_id


async def _store(client: aioredis.Redis, site_id: str, sent: list[Sent], tz: str) -> None:
    """Store events as the worker does, with the zone it would have read."""
    batch = [prepare(f"{next(_entries)}-0", site_id,
                     {**s.event, "userAgent": s.agent, "ip": s.ip}, tz=tz)
             for s in sent]  # fmt: skip
    for i in range(0, len(batch), 200):
        await Store(client).store(batch[i : i + 200], stream="test:rebuild:stream")


async def _set_zone(client: aioredis.Redis, site_id: str, tz: str) -> None:
    await client.json().set(keys.site(site_id), "$.timezone", tz)


def _data(seed: int, sessions: int) -> dataset.Dataset:
    now = datetime.now(UTC)
    return dataset.generate(seed=seed, start=now - timedelta(days=20),
                            end=now - timedelta(hours=1), sessions=sessions)  # fmt: skip


@pytest.mark.parametrize(
    ("old", "new"),
    [(OLD, NEW), (NEW, "Asia/Kolkata"), ("Asia/Kolkata", OLD)],
    ids=["UTC-to-New_York", "New_York-to-Kolkata", "Kolkata-to-UTC"],
)
async def test_a_zone_change_is_rebuilt_and_answered_from_rollups_like_brute_force(
    client: aioredis.Redis, monkeypatch: pytest.MonkeyPatch, old: str, new: str
) -> None:
    data = _data(seed=11, sessions=250)
    ordered = sorted(data.events + data.bots, key=lambda s: s.time)
    cut, late_cut = len(ordered) * 6 // 10, len(ordered) * 8 // 10
    site_id = await _site(client, old)
    await _store(client, site_id, ordered[:cut], old)
    await compact_all(client, site_id)  # these in day blobs, the next in the tail
    await _store(client, site_id, ordered[cut:late_cut], old)
    await _set_zone(client, site_id, new)
    late = ordered[late_cut:]
    random.Random(3).shuffle(late)  # out of time order: late events among them
    await _store(client, site_id, late + ordered[:40], new)  # 40 duplicates
    assert await rollups.covers(client, site_id=site_id, tz=new) is None

    rebuilt = await rebuild_rollups(client, site_id, grace_seconds=0)

    assert rebuilt is not None
    assert (rebuilt.tz, rebuilt.label) == (new, f"{new}#1")
    assert rebuilt.events == len(ordered)  # every stored row, bots too, read once
    assert await rollups.covers(client, site_id=site_id, tz=new) == f"{new}#1"
    assert await rollups.covers(client, site_id=site_id, tz=new, filters=True) == f"{new}#1"
    assert not [k async for k in client.scan_iter(rollups.zone_prefix(site_id, old) + "*")]
    assert old not in await client.hkeys(rollups.meta(site_id))  # the old zone's are gone
    await assert_rollups_answer_like_brute_force(client, site_id, data.events, monkeypatch, new)


async def test_events_stored_during_the_rebuild_and_after_it_count_once(
    client: aioredis.Redis, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = _data(seed=12, sessions=200)
    # Whole sessions in each part, the parts interleaved in time: each stored later than events
    # of other sessions it precedes (a session's own events arriving out of order is another
    # matter: its first event to arrive names its session-level values, replayed or not).
    sessions = list(dataset.sessions_of(data.events + data.bots).values())
    parts = [sorted((e for evs in sessions[i::4] for e in evs), key=lambda s: s.time)
             for i in range(4)]  # fmt: skip
    site_id = await _site(client, OLD)
    await _store(client, site_id, parts[0], OLD)
    await compact_all(client, site_id)
    await _set_zone(client, site_id, NEW)
    monkeypatch.setattr(rebuild, "CHUNK", 50)
    replay_rows, tail_after = rebuild._Replay.rows, rebuild._tail_after
    pending = [parts[1]]  # stored between two chunks of the replay: read from the tail later
    at_switch = [parts[2]]  # stored once the replay has read the tail to its end

    async def rows_then_store(self: Any, rows: list[list[Any]]) -> None:
        await replay_rows(self, rows)
        if pending:
            await _store(client, site_id, pending.pop(), NEW)

    async def tail_then_store(*args: Any, **kwargs: Any) -> tuple[list[list[Any]], str]:
        out = await tail_after(*args, **kwargs)
        if not out[0] and at_switch and not kwargs["everything"]:
            await _store(client, site_id, at_switch.pop(), NEW)  # the switch must refuse
        return out

    monkeypatch.setattr(rebuild._Replay, "rows", rows_then_store)
    monkeypatch.setattr(rebuild, "_tail_after", tail_then_store)

    rebuilt = await rebuild_rollups(client, site_id, grace_seconds=0)

    assert rebuilt is not None
    assert not pending
    assert not at_switch
    await _store(client, site_id, parts[3] + parts[1][:25], NEW)  # after the switch, duplicates
    meta = await client.hgetall(rollups.meta(site_id))
    lifetime = await client.hget(rollups.lifetime_totals(site_id), "e")
    assert int(meta[NEW]) == int(meta[rollups.filter_meta_field(NEW)]) == int(lifetime or 0)
    assert int(meta[NEW]) == len(data.events)
    await assert_rollups_answer_like_brute_force(client, site_id, data.events, monkeypatch, NEW)


async def test_the_old_generation_and_a_dead_rebuilds_keys_are_removed(
    client: aioredis.Redis,
) -> None:
    data = _data(seed=13, sessions=40)
    site_id = await _site(client, NEW)
    await _store(client, site_id, data.events, NEW)
    dead = rollups.zone_prefix(site_id, rollups.zone_label(NEW, 99)) + "d:2026-01-01"
    await client.hset(dead, "e", 5)
    await client.hset(rollups.meta(site_id), rollups.replay_fields(f"{NEW}#99")[0], 5)
    old_keys = [k async for k in client.scan_iter(rollups.zone_prefix(site_id, NEW) + "*")]
    assert old_keys

    first = await rebuild_rollups(client, site_id, grace_seconds=0)
    left = rollups.zone_prefix(site_id, NEW) + "d:2026-01-02"  # as if a crash came before removal
    await client.hset(left, "e", 1)
    second = await rebuild_rollups(client, site_id, grace_seconds=0)

    assert first is not None
    assert second is not None
    assert (first.label, second.label) == (f"{NEW}#1", f"{NEW}#2")
    assert not await client.exists(dead, left, *old_keys)
    assert not [k async for k in client.scan_iter(rollups.zone_prefix(site_id, first.label) + "*")]
    assert [k async for k in client.scan_iter(rollups.zone_prefix(site_id, second.label) + "*")]
    fields = await client.hkeys(rollups.meta(site_id))
    assert not [f for f in fields if str(f).startswith(("r:", "rf:"))]
    assert await rollups.covers(client, site_id=site_id, tz=NEW) == second.label


async def test_a_site_held_by_a_compaction_is_not_rebuilt_meanwhile(
    client: aioredis.Redis,
) -> None:
    site_id = await _site(client, NEW)
    await _store(client, site_id, _data(seed=14, sessions=5).events, NEW)
    await client.set(keys.columnar_lock(site_id), "another-worker", px=60_000)
    assert await rebuild_rollups(client, site_id, grace_seconds=0) is None
    assert await client.hget(rollups.meta(site_id), rollups.generation_field(NEW)) is None


async def test_listed_sites_are_rebuilt_and_leave_the_list(client: aioredis.Redis) -> None:
    sites = {}
    for name, seed in (("rebuilt", 15), ("busy", 16), ("covered", 17)):
        sites[name] = await _site(client, OLD)
        await _store(client, sites[name], _data(seed=seed, sessions=20).events, OLD)
    for name in ("rebuilt", "busy"):
        await _set_zone(client, sites[name], NEW)
    await client.set(keys.columnar_lock(sites["busy"]), "another-worker", px=60_000)
    gone_site = uuid.uuid4().hex
    # A list of its own: the session's running worker works through RollupRebuilds too.
    listing = f"test:rebuilds:{uuid.uuid4().hex}"
    await client.sadd(listing, *sites.values(), gone_site)

    assert await rebuild_pending_sites(client, listing=listing, grace_seconds=0) == 1
    listed = await client.smembers(listing)
    assert listed & {*sites.values(), gone_site} == {sites["rebuilt"], sites["busy"]}
    await _store(client, sites["rebuilt"], _data(seed=18, sessions=5).events, OLD)  # lagging

    # Rebuilt once more, then done.
    assert await rebuild_pending_sites(client, listing=listing, grace_seconds=0) == 1
    assert await rebuild_pending_sites(client, listing=listing, grace_seconds=0) == 0

    listed = await client.smembers(listing)
    assert listed & {*sites.values(), gone_site} == {sites["busy"]}
    assert await rollups.covers(client, site_id=sites["rebuilt"], tz=NEW) == f"{NEW}#2"
    covered_meta = await client.hgetall(rollups.meta(sites["covered"]))
    assert rollups.generation_field(OLD) not in covered_meta  # nothing to rebuild: left alone
    await client.delete(listing)


async def test_after_retention_a_zone_change_keeps_the_deleted_days_counts_and_covers(
    client: aioredis.Redis,
) -> None:
    data = _data(seed=19, sessions=120)
    site_id = await _site(client, OLD)
    await _store(client, site_id, data.events + data.bots, OLD)
    await compact_all(client, site_id)
    now = int(datetime.now(UTC).timestamp() * 1000)
    assert await hot.drop_expired(client, site_id, now_ms=now, days=8)  # raw days deleted
    keep = int(str(await client.hget(rollups.meta(site_id), rollups.KEEP_FROM_FIELD)))
    await _set_zone(client, site_id, NEW)

    rebuilt = await rebuild_rollups(client, site_id, grace_seconds=0)

    assert rebuilt is not None
    assert await rollups.covers(client, site_id=site_id, tz=NEW, filters=True) == f"{NEW}#1"
    period = Period(NEW, dataset.local_day(min(e.time for e in data.events), OLD),
                    datetime.now(UTC).date() + timedelta(days=1))  # fmt: skip
    summary = await queries.get_summary(redis=client, site_id=site_id, period=period, filters=[])
    assert summary["events"] == len(data.events)  # the deleted days as the old zone counted them
    # Days after the one where what is kept starts are the new zone's, replayed.
    later = [e for e in data.events if e.time >= keep + 86_400_000]
    first = dataset.local_day(keep + 86_400_000, NEW) + timedelta(days=1)
    recent = Period(NEW, first, period.last)
    lo, hi = dataset.day_bounds(recent.first, recent.last, NEW)
    got = await queries.get_summary(redis=client, site_id=site_id, period=recent, filters=[])
    assert got["events"] == dataset.summary(later, lo, hi)["events"]
