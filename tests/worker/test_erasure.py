"""Erasing a visitor against the real Redis: its events leave the day blobs, the tail, the hot
hashes and the lifetime totals, nothing left names it, and once the rollups are rebuilt they
answer like brute force over the other visitors' events (days retention deleted keep theirs)."""

from __future__ import annotations

import itertools
import uuid
from collections import Counter
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any, cast

import orjson
import pytest
import redis.asyncio as aioredis

from tests.support import dataset
from tests.support.dataset import Sent
from tests.support.rollup_checks import assert_rollups_answer_like_brute_force
from tracking_system.common import keys, rollups
from tracking_system.common.stream import encode_entry
from tracking_system.tracking.stats import queries
from tracking_system.tracking.stats.columnar import all_rows
from tracking_system.tracking.stats.params import Period
from tracking_system.worker import erasure
from tracking_system.worker.compaction import compact_all
from tracking_system.worker.erasure import erase_site, erase_users
from tracking_system.worker.hot import drop_expired, evict_site
from tracking_system.worker.rebuild import rebuild_rollups
from tracking_system.worker.store import PAGE_VIEW, STORED, Store, event_ulid, prepare

pytestmark = [pytest.mark.anyio, pytest.mark.on_cluster]  # once more on a 3-shard cluster

TZ = "Asia/Kolkata"
_entries = itertools.count()
BOT_PREFIX = "bot-"


def _now_ms() -> int:
    return int(datetime.now(UTC).timestamp() * 1000)


async def _site(client: aioredis.Redis) -> str:
    site_id = uuid.uuid4().hex
    await client.json().set(keys.site(site_id), "$", {"id": site_id, "timezone": TZ})
    return site_id


async def _store(client: aioredis.Redis, site_id: str, sent: list[Sent]) -> None:
    batch = [prepare(f"{next(_entries)}-0", site_id,
                     {**s.event, "userAgent": s.agent, "ip": s.ip}, tz=TZ)
             for s in sent]  # fmt: skip
    for i in range(0, len(batch), 200):
        done = await Store(client).store(batch[i : i + 200], stream="test:erasure:stream")
        assert set(done.values()) == {STORED}


def _data(seed: int) -> tuple[list[Sent], str]:
    """Generated events over 20 days (bots among them) with the busiest visitor renamed to an
    id nothing else contains; the events and that id."""
    now = datetime.now(UTC)
    generated = dataset.generate(seed=seed, start=now - timedelta(days=20),
                                 end=now - timedelta(hours=1), sessions=200)  # fmt: skip
    bots = [replace(s, event={**s.event, "eventId": BOT_PREFIX + s.event["eventId"]})
            for s in generated.bots]  # fmt: skip
    sent = generated.events + bots
    busiest = Counter(s.event["userId"] for s in generated.events).most_common(1)[0][0]
    user = f"erase-me-{uuid.uuid4().hex}"
    renamed = [replace(s, event={**s.event, "userId": user}) if s.event["userId"] == busiest
               else s for s in sent]  # fmt: skip
    return sorted(renamed, key=lambda s: s.time), user


async def _stored_site(client: aioredis.Redis, sent: list[Sent]) -> str:
    """A site with the events stored: the older 60% compacted into day blobs and their hashes
    past a 5-day hot window gone, the rest in the tail."""
    site_id = await _site(client)
    cut = len(sent) * 6 // 10
    await _store(client, site_id, sent[:cut])
    await compact_all(client, site_id)
    await evict_site(client, site_id, now_ms=_now_ms(), hot_days=5)
    await _store(client, site_id, sent[cut:])
    return site_id


def _counted(sent: list[Sent]) -> list[Sent]:
    """The events the rollups count (crawlers' are stored, not counted)."""
    return [s for s in sent if not s.event["eventId"].startswith(BOT_PREFIX)]


async def _lifetime(client: aioredis.Redis, site_id: str) -> tuple[int, int, dict[str, float]]:
    totals = cast(dict[str, str], await client.hgetall(rollups.lifetime_totals(site_id)))
    top = rollups.lifetime_top(site_id, "eventName")
    names = cast(list[tuple[str, float]], await client.zrange(top, 0, -1, withscores=True))
    return int(totals.get("e", 0)), int(totals.get("pv", 0)), dict(names)


async def test_the_visitors_events_leave_every_raw_tier_and_the_lifetime_totals(
    client: aioredis.Redis,
) -> None:
    sent, user = _data(seed=21)
    site_id = await _stored_site(client, sent)
    mine = [s for s in sent if s.event["userId"] == user]
    rest = [s for s in sent if s.event["userId"] != user]
    assert await client.xlen(keys.columnar_tail(site_id)) > 0
    e_before, pv_before, names_before = await _lifetime(client, site_id)
    escaped = user.replace("-", "\\-")
    search = client.ft(keys.event_index(site_id))
    assert (await search.search(f"@userId:{{{escaped}}}")).total > 0  # hot hashes of theirs

    erased = await erase_users(client, site_id, [user])

    assert erased == {user: len(mine)}
    table = await all_rows(client, site_id=site_id)
    assert sorted(table.column("id").to_pylist()) == sorted(
        event_ulid(site_id, s.event["eventId"]) for s in rest
    )
    assert user not in table.column("userId").to_pylist()
    for s in mine:
        assert not await client.exists(keys.event(site_id, event_ulid(site_id, s.event["eventId"])))
    assert (await search.search(f"@userId:{{{escaped}}}")).total == 0
    e_after, pv_after, names_after = await _lifetime(client, site_id)
    counted_mine = [s.event for s in mine if s in _counted(sent)]
    assert e_after == e_before - len(counted_mine)
    assert pv_after == pv_before - sum(1 for e in counted_mine if e["eventName"] == PAGE_VIEW)
    for name, score in names_before.items():
        expected = score - sum(1 for e in counted_mine if e["eventName"] == name)
        assert names_after.get(name, 0) == expected, name


async def test_erasing_again_finds_nothing_and_changes_nothing(client: aioredis.Redis) -> None:
    sent, user = _data(seed=22)
    site_id = await _stored_site(client, sent)
    await erase_users(client, site_id, [user])
    before = await _lifetime(client, site_id)

    again = await erase_users(client, site_id, [user])

    assert again == {user: 0}
    assert await _lifetime(client, site_id) == before


async def test_once_rebuilt_the_rollups_answer_like_brute_force_without_the_visitor(
    client: aioredis.Redis, monkeypatch: pytest.MonkeyPatch
) -> None:
    sent, user = _data(seed=23)
    site_id = await _stored_site(client, sent)
    rest = [s for s in sent if s.event["userId"] != user]
    await erase_users(client, site_id, [user])
    assert await rollups.covers(client, site_id=site_id, tz=TZ) is None  # the raw path answers

    assert await rebuild_rollups(client, site_id, grace_seconds=0) is not None

    assert await rollups.covers(client, site_id=site_id, tz=TZ, filters=True) is not None
    await assert_rollups_answer_like_brute_force(
        client, site_id, [s for s in rest if s in _counted(sent)], monkeypatch, TZ
    )


async def _entries_of(client: aioredis.Redis, stream: str) -> list[tuple[str, dict[str, str]]]:
    return cast(list[tuple[str, dict[str, str]]], await client.xrange(stream))


async def _add(client: aioredis.Redis, stream: str, fields: dict[str, str]) -> str:
    return str(await client.xadd(stream, dict[Any, Any](fields)))


async def _values(client: aioredis.Redis, key: str) -> list[Any]:
    """Every name and value a key holds, as text (HyperLogLogs and blobs: nothing)."""
    kind = str(await client.type(key))
    if kind == "hash":
        return [*(await client.hgetall(key)).items()]
    if kind == "zset":
        return list(await client.zrange(key, 0, -1))
    if kind == "set":
        return list(await client.smembers(key))
    if kind == "stream":
        return [orjson.dumps(fields).decode() for _, fields in await _entries_of(client, key)]
    if kind == "ReJSON-RL":
        return [orjson.dumps(await client.json().get(key)).decode()]
    return []  # strings: day blobs (checked decoded above), HLLs (hashes of ids), counters


async def test_nothing_left_names_the_visitor(client: aioredis.Redis) -> None:
    sent, user = _data(seed=24)
    site_id = await _stored_site(client, sent)
    visit = keys.visit(site_id, "abc")
    await client.hset(visit, mapping={"s": "s1", "u": user})  # an open drop-in visit of theirs
    stream = f"test:erasure:{{{site_id}}}:shard"
    await _add(client, stream, encode_entry(site_id, sent[-1].event | {"userId": user}))
    await _add(client, stream, encode_entry(site_id, sent[0].event))
    await erase_users(client, site_id, [user], streams={(stream, "+")})
    await rebuild_rollups(client, site_id, grace_seconds=0)

    found = []
    for pattern in rollups.site_key_patterns(site_id):
        async for key in client.scan_iter(match=pattern):
            found += [(key, v) for v in await _values(client, str(key)) if user in str(v)]
    assert found == []
    assert not await client.exists(visit)
    assert [orjson.loads(f["e"])["userId"] for _, f in await _entries_of(client, stream)] == [
        sent[0].event["userId"]
    ]


async def test_a_request_is_carried_out_once_the_events_before_it_are_stored_then_done(
    client: aioredis.Redis,
) -> None:
    sent, user = _data(seed=25)
    site_id = await _stored_site(client, sent)
    stream = f"test:erasure:{{{site_id}}}:ingest"
    await client.xgroup_create(stream, keys.EVENTS_GROUP, id="0", mkstream=True)
    after = await _add(client, stream, encode_entry(site_id, sent[0].event))
    request = {"id": "r1", "createdAt": "2026-12-02T00:00:00.000Z", "userId": user,
               "status": "pending", "eventsErased": 0, "finishedAt": None,
               "stream": stream, "after": after}  # fmt: skip
    await client.hset(keys.erasures(site_id), "r1", orjson.dumps(request))
    rebuilds = f"test:erasure:rebuilds:{uuid.uuid4().hex}"

    async def status() -> dict[str, Any]:
        stored = await client.hget(keys.erasures(site_id), "r1")
        return cast(dict[str, Any], orjson.loads(str(stored)))

    assert not await erase_site(client, site_id, rebuilds=rebuilds)  # not delivered yet
    assert (await status())["status"] == "pending"
    await client.xreadgroup(keys.EVENTS_GROUP, "c", {stream: ">"})
    assert not await erase_site(client, site_id, rebuilds=rebuilds)  # delivered, not acknowledged
    assert (await status())["status"] == "pending"
    await client.xack(stream, keys.EVENTS_GROUP, after)

    assert not await erase_site(client, site_id, rebuilds=rebuilds)

    mine = [s for s in sent if s.event["userId"] == user]
    assert await status() | {"createdAt": ""} == request | {
        "createdAt": "",
        "userId": None,
        "status": "rebuilding",
        "eventsErased": len(mine),
    }
    assert await client.smembers(rebuilds) == {site_id}
    await rebuild_rollups(client, site_id, grace_seconds=0)

    assert await erase_site(client, site_id, rebuilds=rebuilds)

    done = await status()
    assert (done["status"], done["userId"], done["eventsErased"]) == ("done", None, len(mine))
    assert done["finishedAt"]


async def test_a_site_held_by_a_compaction_is_erased_later(client: aioredis.Redis) -> None:
    sent, user = _data(seed=26)
    site_id = await _stored_site(client, sent)
    await client.set(keys.columnar_lock(site_id), "someone else", px=60_000)

    assert await erase_users(client, site_id, [user]) is None

    await client.delete(keys.columnar_lock(site_id))
    assert await erase_users(client, site_id, [user]) == {
        user: sum(1 for s in sent if s.event["userId"] == user)
    }


async def test_days_retention_deleted_keep_their_rollups_through_the_rebuild(
    client: aioredis.Redis,
) -> None:
    sent, user = _data(seed=27)
    site_id = await _site(client)
    await _store(client, site_id, sent)
    await compact_all(client, site_id)
    now = _now_ms()
    await drop_expired(client, site_id, now_ms=now, days=10)
    keep = int(str(await client.hget(rollups.meta(site_id), rollups.KEEP_FROM_FIELD)))
    first, boundary = dataset.local_day(sent[0].time, TZ), dataset.local_day(keep, TZ)
    old_days = Period(TZ, first, boundary)  # to the local day where what is kept starts
    before = await queries.get_summary(redis=client, site_id=site_id, period=old_days, filters=[])
    assert before["events"] > 0

    await erase_users(client, site_id, [user])
    await rebuild_rollups(client, site_id, grace_seconds=0)

    label = await rollups.covers(client, site_id=site_id, tz=TZ, filters=True)
    assert label == f"{TZ}#1"  # the carried days' events are counted
    after = await queries.get_summary(redis=client, site_id=site_id, period=old_days, filters=[])
    assert after == before
    kept = [s for s in _counted(sent) if s.event["userId"] != user]
    newer = Period(TZ, boundary + timedelta(days=1), datetime.now(UTC).date() + timedelta(days=1))
    summary = await queries.get_summary(redis=client, site_id=site_id, period=newer, filters=[])
    lo, hi = dataset.day_bounds(newer.first, newer.last, TZ)
    assert summary["events"] == dataset.summary(kept, lo, hi)["events"]


async def test_a_pass_that_dies_between_two_days_is_finished_by_the_next_exactly_once(
    client: aioredis.Redis, monkeypatch: pytest.MonkeyPatch
) -> None:
    sent, user = _data(seed=28)
    site_id = await _stored_site(client, sent)
    twin = await _stored_site(client, sent)  # the same events, erased in one pass
    real = erasure._Eraser._erase_day
    done: list[int] = []

    async def dies_after_one(self: Any, day: int, *args: Any) -> None:
        if done:
            raise ConnectionError("the worker died")
        done.append(day)
        await real(self, day, *args)

    monkeypatch.setattr(erasure._Eraser, "_erase_day", dies_after_one)
    with pytest.raises(ConnectionError):
        await erase_users(client, site_id, [user])
    monkeypatch.setattr(erasure._Eraser, "_erase_day", real)
    assert not await client.exists(keys.columnar_lock(site_id))  # released on the way out

    again = await erase_users(client, site_id, [user])
    once = await erase_users(client, twin, [user])

    assert once is not None
    assert again is not None
    assert 0 < again[user] < once[user]  # the first day was done already
    assert await _lifetime(client, site_id) == await _lifetime(client, twin)
    ours = await all_rows(client, site_id=site_id)
    theirs = await all_rows(client, site_id=twin)
    assert sorted(ours.column("eventId").to_pylist()) == sorted(
        theirs.column("eventId").to_pylist()
    )
