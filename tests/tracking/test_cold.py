"""The explorer and the export before the hot window: events whose hashes the worker removed are
read from the columnar tier, every event once, the same items as before the removal."""

from __future__ import annotations

import asyncio
import csv
import io
import time
from datetime import UTC, datetime
from typing import Any

import httpx
import orjson
import pytest
import redis
from ulid import ULID

from tests.support.accounts import Account, register
from tests.support.columnar import evict
from tests.support.events import GOOGLEBOT, make_event, now_ms, send_stored
from tests.support.redis_server import RedisServer
from tracking_system.common import columnar, keys, rollups
from tracking_system.common.columnar import DayMeta
from tracking_system.common.redis import create_client
from tracking_system.common.zones import DAY_MS
from tracking_system.tracking import explorer
from tracking_system.tracking.explorer import EventFilters

HOUR = 3_600_000
# The hot window starts two UTC midnights ago; events lie on both sides of it.
HOT_FROM = (now_ms() // DAY_MS - 2) * DAY_MS


def _pages(
    api: httpx.Client, account: Account, *, first: str | None = None, **params: Any
) -> tuple[list[dict[str, Any]], int]:
    """Every item of the explorer, page after page from the cursor `first`, and the pages."""
    items: list[dict[str, Any]] = []
    cursor, pages = first, 0
    while True:
        query = {"limit": 3, **params, **({"cursor": cursor} if cursor else {})}
        response = api.get("/api/v1/events", params=query, headers=account.auth())
        assert response.status_code == 200, response.text
        data = response.json()["data"]
        items += data["items"]
        pages += 1
        cursor = data["nextCursor"]
        if cursor is None:
            return items, pages


@pytest.fixture
def account(api: httpx.Client, redis_sync: redis.Redis) -> Account:
    """An account with events on both sides of HOT_FROM: several on one millisecond each side of
    it, bots among them, varied names, users and pages."""
    account = register(api)
    times = [HOT_FROM - 1] * 4 + [HOT_FROM] * 4
    times += [HOT_FROM - k * 7 * HOUR for k in range(1, 9)]
    times += [HOT_FROM + k * 5 * HOUR for k in range(1, 7)]
    events = [
        make_event(eventTime=t, eventName="AB"[i % 2], userId=f"u{i % 3}",
                   page=f"https://shop.example.com/{'b' if i % 5 == 0 else 'a'}",
                   context={"i": i} if i % 4 else None)
        for i, t in enumerate(times)
    ]  # fmt: skip
    send_stored(api, redis_sync, account, events)
    bots = [make_event(eventTime=t, userId="crawler") for t in (HOT_FROM - 1, HOT_FROM + HOUR,
                                                                 HOT_FROM - 30 * HOUR)]  # fmt: skip
    send_stored(api, redis_sync, account, bots, user_agent=GOOGLEBOT)
    return account


def _day(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, UTC).date().isoformat()


QUERIES: list[dict[str, Any]] = [
    {},
    {"eventName": "A"},
    {"userId": "u2"},
    {"page": "/b"},
    {"filter": "bot:true"},
    {"filter": "bot:false", "eventName": "B"},
    {"from": _day(HOT_FROM - DAY_MS), "to": _day(HOT_FROM), "tz": "UTC"},
    {"to": _day(HOT_FROM - DAY_MS), "tz": "UTC"},
    {"from": _day(HOT_FROM), "tz": "UTC", "userId": "u0"},
]


def test_pages_after_eviction_are_the_pages_before(
    api: httpx.Client, account: Account, redis_server: RedisServer
) -> None:
    before = [_pages(api, account, **params)[0] for params in QUERIES]
    assert len(before[0]) == 25
    assert evict(redis_server, account.user["id"], HOT_FROM) == 14
    after = [_pages(api, account, **params)[0] for params in QUERIES]
    for params, old, new in zip(QUERIES, before, after, strict=True):
        assert new == old, params
    assert all(before[1:])
    assert len({len(items) for items in before}) > 3


def test_an_old_event_stored_after_eviction_shows_once(
    api: httpx.Client, account: Account, redis_server: RedisServer, redis_sync: redis.Redis
) -> None:
    evict(redis_server, account.user["id"], HOT_FROM)
    late = make_event(eventTime=HOT_FROM - 1, eventName="late")
    send_stored(api, redis_sync, account, [late])
    items, _ = _pages(api, account)
    assert len(items) == 26
    assert [item["eventId"] for item in items].count(late["eventId"]) == 1
    assert len({item["id"] for item in items}) == 26
    assert [item["eventName"] for item in _pages(api, account, eventName="late")[0]] == ["late"]


def _exported(api: httpx.Client, account: Account) -> tuple[set[tuple[str, ...]], list[Any]]:
    """The export's CSV rows (as a set) and NDJSON items (sorted by id)."""
    headers = account.auth()
    response = api.get("/api/v1/events/export", params={"format": "csv"}, headers=headers)
    assert response.status_code == 200, response.text
    rows = {tuple(row) for row in csv.reader(io.StringIO(response.content.decode()))}
    response = api.get("/api/v1/events/export", params={"format": "ndjson"}, headers=headers)
    assert response.status_code == 200, response.text
    items = sorted(map(orjson.loads, response.content.splitlines()), key=lambda i: i["id"])
    return rows, items


def test_export_after_eviction_is_the_export_before(
    api: httpx.Client, account: Account, redis_server: RedisServer
) -> None:
    rows, items = _exported(api, account)
    assert len(rows) == len(items) + 1 == 26
    evict(redis_server, account.user["id"], HOT_FROM)
    assert _exported(api, account) == (rows, items)
    explored, _ = _pages(api, account)
    assert sorted(explored, key=lambda i: i["id"]) == items


def test_a_hot_window_moving_between_pages_lists_every_event_once(
    api: httpx.Client, account: Account, redis_server: RedisServer
) -> None:
    everything, _ = _pages(api, account)
    evict(redis_server, account.user["id"], HOT_FROM - DAY_MS)
    response = api.get("/api/v1/events", params={"limit": 13}, headers=account.auth())
    data = response.json()["data"]
    # The cursor is between the two windows' starts: what was hot is now read from the blobs.
    assert HOT_FROM - DAY_MS <= data["items"][-1]["eventTime"] < HOT_FROM
    evict(redis_server, account.user["id"], HOT_FROM)
    rest, _ = _pages(api, account, first=data["nextCursor"])
    assert data["items"] + rest == everything


def test_a_page_whose_hot_window_moved_while_read_is_read_again(
    account: Account, redis_server: RedisServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    site_id = account.user["id"]
    evict(redis_server, site_id, HOT_FROM - DAY_MS)
    reads: list[int] = []  # the events each read of the hashes found
    hot_page = explorer._hot_page

    async def moving(*args: Any) -> tuple[list[dict[str, Any]], bool]:
        page = await hot_page(*args)
        reads.append(len(page[0]))
        if len(reads) == 1:  # the worker moves the window as the first read ends
            await asyncio.to_thread(evict, redis_server, site_id, HOT_FROM)
        return page

    async def page() -> list[dict[str, Any]]:
        client = create_client(redis_server.url, cluster=redis_server.is_cluster)
        try:
            items, _ = await explorer.list_events(
                redis=client, site_id=site_id, filters=EventFilters(), limit=100, cursor=None
            )
        finally:
            await client.aclose()
        return items

    everything = asyncio.run(page())
    monkeypatch.setattr(explorer, "_hot_page", moving)
    assert asyncio.run(page()) == everything
    assert reads == [19, 11]


def test_a_cold_month_page_time(api: httpx.Client, redis_sync: redis.Redis) -> None:
    """Prints how long a page takes over 30 cold days of 5,000 events: selective filters read
    every day, the others the newest one."""
    account = register(api)
    site_id = account.user["id"]
    first_day = now_ms() // DAY_MS - 40
    for day in range(first_day, first_day + 30):
        rows: list[list[Any]] = [
            [str(ULID()), day * DAY_MS + i * 17, day * DAY_MS + i * 17, 0,
             *(f"v{i % 7}" for _ in columnar.TEXT_FIELDS), "", ""]
            for i in range(5000)
        ]  # fmt: skip
        user = 4 + columnar.TEXT_FIELDS.index("userId")
        rows[2500][user] = "daily"  # a user seen every day, and one seen every tenth day
        rows[1000][user] = "now-and-then" if day % 10 == 0 else rows[1000][user]
        blob = columnar.to_blob(columnar.table_of_rows(rows))
        redis_sync.set(keys.columnar_blob(site_id, day, "v1"), blob)
        meta = DayMeta("v1", len(rows), rows[0][1], rows[-1][1])
        redis_sync.hset(keys.columnar_catalog(site_id), str(day), meta.dump())
    redis_sync.hset(rollups.meta(site_id), rollups.HOT_FROM_FIELD, (first_day + 30) * DAY_MS)
    queries: list[dict[str, Any]] = [{"userId": "daily", "limit": 50},
                                     {"userId": "now-and-then", "limit": 50}, {"limit": 50},
                                     {"eventName": "v3", "limit": 50}]  # fmt: skip
    for params in queries:
        started = time.perf_counter()
        response = api.get("/api/v1/events", params=params, headers=account.auth())
        took = time.perf_counter() - started
        assert response.status_code == 200, response.text
        print(f"\ncold page {params}: {len(response.json()['data']['items'])} items, "
              f"{took * 1000:.0f} ms")  # fmt: skip
