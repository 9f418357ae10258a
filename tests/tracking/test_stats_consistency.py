"""Every stats endpoint against a brute-force computation over the raw events it was sent, for
accounts in UTC, Asia/Kolkata (+05:30) and America/New_York (across the 2026-11-01 DST change);
and the rollups against the raw FT.AGGREGATE path (`source=raw`) on the same questions.
Counts must match exactly; distinct counts (HyperLogLog on the rollup path) within 2%."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
import redis

from tests.support import dataset
from tests.support.accounts import Account, register
from tests.support.columnar import compact
from tests.support.dataset import Dataset, Sent
from tests.support.events import send, stored_count
from tracking_system.common.redis import create_client
from tracking_system.tracking.goals import page_matches
from tracking_system.tracking.stats import queries, raw
from tracking_system.tracking.stats.params import Period

# Runs once more on a 3-shard Redis Cluster (TEST_REDIS_SHARDS=3).
pytestmark = pytest.mark.on_cluster

DISTINCT = ("users", "sessions", "visitors")
START = datetime(2026, 9, 1, tzinfo=UTC)


@dataclass
class Loaded:
    account: Account
    tz: str
    data: Dataset

    @property
    def events(self) -> list[Sent]:
        return self.data.events


def _edge_times(tz: str, now: datetime) -> list[datetime]:
    recent = [now - timedelta(minutes=m) for m in (1, 3, 12)]
    if tz == "Asia/Kolkata":  # either side of local midnight (18:30 UTC)
        return [
            *recent,
            datetime(2026, 11, 10, 18, 29, tzinfo=UTC),
            datetime(2026, 11, 10, 18, 31, tzinfo=UTC),
        ]
    if tz == "America/New_York":  # 01:30 EDT and 01:30 EST on the day clocks go back
        return [
            *recent,
            datetime(2026, 11, 1, 5, 30, tzinfo=UTC),
            datetime(2026, 11, 1, 6, 30, tzinfo=UTC),
            datetime(2026, 11, 2, 4, 59, tzinfo=UTC),
        ]
    return recent


ZONES = ("UTC", "Asia/Kolkata", "America/New_York")


def _wait_stored(client: Any, expected: dict[str, int]) -> None:
    """Until every site has stored the events sent to it (each sent once: ids are unique)."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and any(
        stored_count(client, site) < n for site, n in expected.items()
    ):
        time.sleep(0.1)
    time.sleep(0.5)


@pytest.fixture(scope="module")
def loaded(system: Any, redis_server: Any) -> list[Loaded]:
    client = redis_server.client()
    now = datetime.now(UTC)
    datasets = [
        dataset.generate(seed=seed, start=START, end=now - timedelta(minutes=30), sessions=350,
                         extra_times=_edge_times(tz, now))
        for seed, tz in enumerate(ZONES)
    ]  # fmt: skip
    with httpx.Client(base_url=system.gateway_url, timeout=60) as api:
        accounts = [register(api, timezone=tz) for tz in ZONES]
        batches = [list(data.batches()) for data in datasets]
        # In three parts: the first compacted into day blobs, the second compacted into the same
        # days again (late events rewrite a day), the third left in the tail.
        sent_so_far = {account.user["id"]: 0 for account in accounts}
        for part in range(3):
            for account, sent in zip(accounts, batches, strict=True):
                third = -(-len(sent) // 3)
                for agent, ip, events in sent[part * third : (part + 1) * third]:
                    response = send(api, account.user["apiKey"], events, user_agent=agent,
                                    headers={"X-Forwarded-For": ip})  # fmt: skip
                    assert response.status_code == 202, response.text
                    sent_so_far[account.user["id"]] += len(events)
            _wait_stored(client, sent_so_far)
            if part < 2:
                compact(redis_server, [account.user["id"] for account in accounts])
    return [Loaded(a, tz, data) for a, tz, data in zip(accounts, ZONES, datasets, strict=True)]


def _get(api: httpx.Client, account: Account, path: str, **params: Any) -> Any:
    response = api.get(f"/api/v1/stats/{path}", params=params, headers=account.auth())
    assert response.status_code == 200, response.text
    return response.json()["data"]


def _close(actual: float, expected: float, key: str) -> bool:
    if key in DISTINCT:
        return abs(actual - expected) <= max(1.0, 0.02 * expected)
    return actual == expected


def _assert_rows(
    actual: dict[str, dict[str, Any]], expected: dict[str, dict[str, Any]], what: str
) -> None:
    assert set(actual) == set(expected), what
    for value, row in expected.items():
        for key, number in row.items():
            assert _close(actual[value][key], number, key), (what, value, key, actual[value])


SOURCES = ("auto", "raw")


def _today(tz: str) -> date:
    return datetime.now(ZoneInfo(tz)).date()


@pytest.mark.parametrize("source", SOURCES)
def test_daily_matches_brute_force(api: httpx.Client, loaded: list[Loaded], source: str) -> None:
    for item in loaded:
        first, last = START.date(), _today(item.tz)
        rows = _get(
            api,
            item.account,
            "daily",
            source=source,
            **{"from": first.isoformat(), "to": last.isoformat()},
        )
        assert next(r["day"] for r in rows) == first.isoformat()
        assert len(rows) == (last - first).days + 1
        for row in rows:
            day = date.fromisoformat(row["day"])
            lo, hi = dataset.day_bounds(day, day, item.tz)
            expected = dataset.totals(dataset.in_range(item.events, lo, hi))
            for key, number in expected.items():
                assert _close(row[key], number, key), (item.tz, source, row, expected)


def test_daily_days_parameter_counts_back_from_today(
    api: httpx.Client, loaded: list[Loaded]
) -> None:
    item = loaded[1]
    rows = _get(api, item.account, "daily", days=7)
    assert len(rows) == 7
    assert rows[-1]["day"] == _today(item.tz).isoformat()
    lo, hi = dataset.day_bounds(_today(item.tz), _today(item.tz), item.tz)
    assert rows[-1]["events"] == len(dataset.in_range(item.events, lo, hi))


@pytest.mark.parametrize("source", SOURCES)
def test_summary_and_previous_period_match(
    api: httpx.Client, loaded: list[Loaded], source: str
) -> None:
    for item in loaded:
        first, last = date(2026, 10, 16), date(2026, 11, 14)
        data = _get(
            api,
            item.account,
            "summary",
            source=source,
            **{"from": first.isoformat(), "to": last.isoformat()},
        )
        lo, hi = dataset.day_bounds(first, last, item.tz)
        plo, phi = dataset.day_bounds(
            first - timedelta(days=30), first - timedelta(days=1), item.tz
        )
        for got, expected in (
            (data, dataset.summary(item.events, lo, hi)),
            (data["previous"], dataset.summary(item.events, plo, phi)),
        ):
            for key, number in expected.items():
                if key in ("bounceRate", "avgSessionDuration", "viewsPerSession"):
                    tolerance = 0.05 * abs(number) + 0.02 if key == "viewsPerSession" else 0.01
                    assert abs(got[key] - number) <= tolerance, (
                        item.tz,
                        source,
                        key,
                        got,
                        expected,
                    )
                else:
                    assert _close(got[key], number, key), (item.tz, source, key, got, expected)


@pytest.mark.parametrize("source", SOURCES)
@pytest.mark.parametrize("table", ["events", "pages"])
def test_tables_match_over_the_lifetime_and_a_range(
    api: httpx.Client, loaded: list[Loaded], source: str, table: str
) -> None:
    key = "eventName" if table == "events" else "page"
    for item in loaded:
        rows = _get(api, item.account, table, source=source, limit=100)
        expected = dataset.table(item.events, key, page_views_only=table == "pages")
        _assert_rows({r[key]: r for r in rows}, expected, f"{table} lifetime {item.tz}")
        counts = [r["count"] for r in rows]
        assert counts == sorted(counts, reverse=True)
        first, last = date(2026, 11, 1), date(2026, 11, 7)
        rows = _get(
            api,
            item.account,
            table,
            source=source,
            limit=100,
            **{"from": first.isoformat(), "to": last.isoformat()},
        )
        lo, hi = dataset.day_bounds(first, last, item.tz)
        expected = dataset.table(
            dataset.in_range(item.events, lo, hi), key, page_views_only=table == "pages"
        )
        _assert_rows({r[key]: r for r in rows}, expected, f"{table} range {item.tz}")


DIMENSIONS = [
    "channel",
    "page",
    "entryPage",
    "exitPage",
    "referrer",
    "referrerDomain",
    "utmSource",
    "utmMedium",
    "utmCampaign",
    "browser",
    "os",
    "device",
    "country",
    "eventName",
    "context.plan",
]


@pytest.mark.parametrize("source", SOURCES)
@pytest.mark.parametrize("dimension", DIMENSIONS)
def test_breakdowns_match(
    api: httpx.Client, loaded: list[Loaded], source: str, dimension: str
) -> None:
    for item in loaded:
        first, last = date(2026, 10, 1), date(2026, 11, 20)
        rows = _get(
            api,
            item.account,
            "breakdown",
            dimension=dimension,
            source=source,
            limit=100,
            **{"from": first.isoformat(), "to": last.isoformat()},
        )
        lo, hi = dataset.day_bounds(first, last, item.tz)
        expected = dataset.breakdown(item.events, lo, hi, dimension)
        _assert_rows({r["value"]: r for r in rows}, expected, f"{dimension} {item.tz} {source}")


@pytest.mark.parametrize("source", SOURCES)
def test_overview_matches(api: httpx.Client, loaded: list[Loaded], source: str) -> None:
    for item in loaded:
        data = _get(api, item.account, "overview", source=source)
        today = _today(item.tz)
        day = dataset.in_range(item.events, *dataset.day_bounds(today, today, item.tz))
        month = dataset.in_range(
            item.events, *dataset.day_bounds(today.replace(day=1), today, item.tz)
        )
        assert data["eventsRecorded"] == {
            "today": len(day),
            "thisMonth": len(month),
            "lifetime": len(item.events),
        }
        assert _close(data["activeUsers"]["today"], dataset.totals(day)["users"], "users")
        assert _close(data["activeUsers"]["thisMonth"], dataset.totals(month)["users"], "users")


@pytest.mark.parametrize("source", SOURCES)
def test_realtime_counts_the_last_minutes(
    api: httpx.Client, loaded: list[Loaded], source: str
) -> None:
    item = loaded[0]
    data = _get(api, item.account, "realtime", source=source)
    assert len(data["perMinute"]) == 30
    now_minute = int(time.time() // 60)
    recent = [e for e in item.events if e.time // 60_000 > now_minute - 30]
    assert sum(m["events"] for m in data["perMinute"]) == len(recent)
    last5 = {e.event["userId"] for e in item.events if e.time // 60_000 > now_minute - 5}
    assert data["visitors"] == len(last5)


def test_another_zone_than_the_accounts_is_answered_exactly(
    api: httpx.Client, loaded: list[Loaded]
) -> None:
    item, tz = loaded[0], "Asia/Kolkata"  # a UTC account asked in +05:30
    first, last = date(2026, 11, 8), date(2026, 11, 12)
    rows = _get(
        api, item.account, "daily", tz=tz, **{"from": first.isoformat(), "to": last.isoformat()}
    )
    for row in rows:
        day = date.fromisoformat(row["day"])
        expected = dataset.totals(dataset.in_range(item.events, *dataset.day_bounds(day, day, tz)))
        assert row == {"day": row["day"], **expected}


FILTER_SETS = [
    ["referrerDomain:google.com"],
    ["referrerDomain:"],
    ["referrer:", "page:/pricing"],
    ["channel:Search"],
    ["referrer:https://news.ycombinator.com/item"],
    ["utmCampaign:november"],
    ["entryPage:/docs"],
    ["exitPage:/signup"],
    ["browser:Firefox", "country:IN"],
    ["page:/pricing"],
    ["eventName:signup"],
    ["context.plan:pro"],
    ["country:US", "page:/docs"],
    ["referrerDomain:google.com", "context.plan:free"],
]
FILTER_IDS = ["+".join(f) for f in FILTER_SETS]
FILTERED_FROM, FILTERED_TO = date(2026, 10, 1), date(2026, 11, 20)


def _range(item: Loaded, first: date = FILTERED_FROM, last: date = FILTERED_TO) -> dict[str, str]:
    return {"from": first.isoformat(), "to": last.isoformat()}


def _pairs(filters: list[str]) -> list[tuple[str, str]]:
    return [(d, v) for d, _, v in (f.partition(":") for f in filters)]


def _assert_summary(got: dict[str, Any], expected: dict[str, float], what: Any) -> None:
    """Counts exact; distinct counts (and ratios over them) within the HyperLogLog's error."""
    for key, number in expected.items():
        if key == "viewsPerSession":
            assert abs(got[key] - number) <= 0.05 * abs(number) + 0.02, (what, key, got, expected)
        elif key in ("bounceRate", "avgSessionDuration"):
            assert abs(got[key] - number) <= 0.01, (what, key, got, expected)
        else:
            assert _close(got[key], number, key), (what, key, got, expected)


@pytest.mark.parametrize("source", SOURCES)
@pytest.mark.parametrize("filters", FILTER_SETS, ids=FILTER_IDS)
def test_filtered_summary_matches_brute_force(
    api: httpx.Client, loaded: list[Loaded], filters: list[str], source: str
) -> None:
    item = loaded[2]
    data = _get(api, item.account, "summary", filter=filters, source=source, **_range(item))
    lo, hi = dataset.day_bounds(FILTERED_FROM, FILTERED_TO, item.tz)
    expected = dataset.summary(item.events, lo, hi, _pairs(filters))
    assert expected["sessions"] > 0, "the filter must select something to prove anything"
    if source == "raw":
        assert {k: data[k] for k in expected} == expected
    _assert_summary(data, expected, (filters, source))


def test_a_referrer_filter_keeps_whole_sessions(api: httpx.Client, loaded: list[Loaded]) -> None:
    item = loaded[2]
    data = _get(api, item.account, "summary", filter=["referrerDomain:google.com"], **_range(item))
    assert data["pageviews"] > data["sessions"], "later page views of those sessions count"
    assert data["bounceRate"] < 100
    assert data["avgSessionDuration"] > 0


@pytest.mark.parametrize("filters", FILTER_SETS, ids=FILTER_IDS)
@pytest.mark.parametrize("table", ["events", "pages"])
def test_filtered_tables_match_brute_force(
    api: httpx.Client, loaded: list[Loaded], filters: list[str], table: str
) -> None:
    item = loaded[2]
    key = "eventName" if table == "events" else "page"
    rows = _get(api, item.account, table, filter=filters, limit=100, **_range(item))
    kept, _ = dataset.select(item.events, [tuple(f.split(":", 1)) for f in filters])  # type: ignore[misc]
    lo, hi = dataset.day_bounds(FILTERED_FROM, FILTERED_TO, item.tz)
    expected = dataset.table(dataset.in_range(kept, lo, hi), key, page_views_only=key == "page")
    assert {r[key]: {k: r[k] for k in ("count", "users", "sessions")} for r in rows} == expected


@pytest.mark.parametrize("filters", FILTER_SETS, ids=FILTER_IDS)
@pytest.mark.parametrize(
    "dimension",
    ["channel", "referrerDomain", "entryPage", "exitPage", "page", "country", "context.plan"],
)
def test_filtered_breakdowns_match_brute_force(
    api: httpx.Client, loaded: list[Loaded], filters: list[str], dimension: str
) -> None:
    item = loaded[2]
    rows = _get(
        api, item.account, "breakdown", dimension=dimension, filter=filters, limit=100,
        **_range(item),
    )  # fmt: skip
    lo, hi = dataset.day_bounds(FILTERED_FROM, FILTERED_TO, item.tz)
    pairs = _pairs(filters)
    expected = dataset.breakdown(item.events, lo, hi, dimension, pairs)
    assert {r["value"]: {"count": r["count"], "visitors": r["visitors"]} for r in rows} == expected


@pytest.mark.parametrize("source", SOURCES)
@pytest.mark.parametrize(
    "filters", [["referrerDomain:google.com"], ["page:/pricing"], ["exitPage:/", "os:iOS"]]
)
def test_filtered_daily_matches_brute_force(
    api: httpx.Client, loaded: list[Loaded], filters: list[str], source: str
) -> None:
    item = loaded[2]  # New York, across the day clocks go back
    first, last = date(2026, 10, 28), date(2026, 11, 4)
    rows = _get(
        api, item.account, "daily", filter=filters, source=source, **_range(item, first, last)
    )
    kept, _ = dataset.select(item.events, _pairs(filters))
    assert len(rows) == (last - first).days + 1
    for row in rows:
        day = date.fromisoformat(row["day"])
        expected = dataset.totals(dataset.in_range(kept, *dataset.day_bounds(day, day, item.tz)))
        for key, number in expected.items():
            assert _close(row[key], number, key), (source, row, expected)


@pytest.mark.parametrize("filters", [["referrerDomain:google.com"], ["eventName:PAGE_VIEW"]])
def test_filtered_overview_and_realtime_match_brute_force(
    api: httpx.Client, loaded: list[Loaded], filters: list[str]
) -> None:
    item = loaded[0]
    kept, _ = dataset.select(item.events, [tuple(f.split(":", 1)) for f in filters])  # type: ignore[misc]
    today = _today(item.tz)
    data = _get(api, item.account, "overview", filter=filters)
    month = dataset.in_range(kept, *dataset.day_bounds(today.replace(day=1), today, item.tz))
    assert data["eventsRecorded"]["thisMonth"] == len(month)
    assert data["eventsRecorded"]["lifetime"] == len(kept)
    assert _close(data["activeUsers"]["thisMonth"], dataset.totals(month)["users"], "users")
    realtime = _get(api, item.account, "realtime", filter=filters)
    now_minute = int(time.time() // 60)
    recent = [e for e in kept if e.time // 60_000 > now_minute - 30]
    assert sum(m["events"] for m in realtime["perMinute"]) == len(recent)
    last5 = {e.event["userId"] for e in kept if e.time // 60_000 > now_minute - 5}
    assert realtime["visitors"] == len(last5)


ONE_SESSION_FILTER = [
    "channel:Email",
    "referrerDomain:google.com",
    "referrerDomain:",
    "referrer:https://news.ycombinator.com/item",
    "utmSource:ads",
    "utmMedium:email",
    "utmCampaign:november",
    "browser:Firefox",
    "os:iOS",
    "device:mobile",
    "country:IN",
]


@pytest.mark.parametrize("one", ONE_SESSION_FILTER)
def test_one_session_filter_is_answered_by_the_filter_rollups(
    loaded: list[Loaded], redis_server: Any, one: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(*_: Any, **__: Any) -> Any:
        raise AssertionError("the raw path answered")

    for name in ("series", "totals", "top_by_event", "top_by_session"):
        monkeypatch.setattr(raw, name, refuse)
    item = loaded[1]  # Asia/Kolkata: the rollups' days are local days
    period = Period(item.tz, FILTERED_FROM, FILTERED_TO)
    site_id, filters = item.account.user["id"], _pairs([one])

    async def ask() -> tuple[dict[str, Any], list[dict[str, Any]]]:
        client = create_client(redis_server.url, cluster=redis_server.is_cluster)
        try:
            return (
                await queries.get_summary(redis=client, site_id=site_id, period=period,
                                          filters=filters),
                await queries.get_daily(redis=client, site_id=site_id, period=period,
                                        filters=filters),
            )  # fmt: skip
        finally:
            await client.aclose()

    summary, daily = asyncio.run(ask())
    lo, hi = dataset.day_bounds(FILTERED_FROM, FILTERED_TO, item.tz)
    expected = dataset.summary(item.events, lo, hi, filters)
    assert expected["sessions"] > 0
    _assert_summary(summary, expected, one)
    kept, _ = dataset.select(item.events, filters)
    for row in daily:
        day = date.fromisoformat(row["day"])
        numbers = dataset.totals(dataset.in_range(kept, *dataset.day_bounds(day, day, item.tz)))
        assert {k: row[k] for k in ("events", "pageviews")} == {
            k: numbers[k] for k in ("events", "pageviews")
        }, (one, row)


@pytest.mark.parametrize(
    "filters", [["country:IN", "referrerDomain:google.com"], ["exitPage:/", "page:/docs"]]
)
def test_the_raw_path_answers_two_filters_exactly(
    loaded: list[Loaded], redis_server: Any, filters: list[str]
) -> None:
    item = loaded[0]
    period = Period(item.tz, FILTERED_FROM, FILTERED_TO)
    site_id, pairs = item.account.user["id"], _pairs(filters)

    async def ask() -> tuple[dict[str, Any], list[dict[str, Any]]]:
        client = create_client(redis_server.url, cluster=redis_server.is_cluster)
        try:
            return (
                await queries.get_summary(redis=client, site_id=site_id, period=period,
                                          filters=pairs, source="raw"),
                await queries.get_page_table(redis=client, site_id=site_id, period=period,
                                             filters=pairs, limit=100, source="raw"),
            )  # fmt: skip
        finally:
            await client.aclose()

    summary, pages = asyncio.run(ask())
    lo, hi = dataset.day_bounds(FILTERED_FROM, FILTERED_TO, item.tz)
    expected = dataset.summary(item.events, lo, hi, pairs)
    assert expected["sessions"] > 0
    assert {k: summary[k] for k in expected} == expected
    kept, _ = dataset.select(item.events, pairs)
    assert {r["page"]: {k: r[k] for k in ("count", "users", "sessions")} for r in pages} == (
        dataset.table(dataset.in_range(kept, lo, hi), "page", page_views_only=True)
    )


GOALS = [
    {"name": "Signed up", "kind": "event", "match": "signup"},
    {"name": "Bought", "kind": "event", "match": "Buy Now"},
    {"name": "Blog", "kind": "page", "match": "/blog/*"},
    {"name": "Home", "kind": "page", "match": "/"},
    {"name": "Nowhere", "kind": "page", "match": "/nowhere/*"},
]


@pytest.fixture(scope="module")
def with_goals(system: Any, loaded: list[Loaded]) -> Loaded:
    item = loaded[1]  # Asia/Kolkata
    with httpx.Client(base_url=system.gateway_url, timeout=30) as api:
        for goal in GOALS:
            response = api.post("/api/v1/goals", json=goal, headers=item.account.auth())
            assert response.status_code == 201, response.text
    return item


def _goal_brute_force(events: list[Sent], lo: int, hi: int, pairs: list[tuple[str, str]],
                      goal: dict[str, str]) -> tuple[int, int]:  # fmt: skip
    kept = dataset.in_range(dataset.select(events, pairs)[0], lo, hi)
    if goal["kind"] == "event":
        hits = [e for e in kept if e.event["eventName"] == goal["match"]]
    else:
        hits = [e for e in kept if e.event["eventName"] == dataset.PAGE_VIEW
                and page_matches(goal["match"], e.path)]  # fmt: skip
    return len(hits), len({e.event["userId"] for e in hits})


@pytest.mark.parametrize("source", SOURCES)
@pytest.mark.parametrize(
    "filters", [[], ["referrerDomain:google.com"], ["page:/docs"], ["country:IN", "os:iOS"]]
)
def test_goal_numbers_match_brute_force(
    api: httpx.Client, with_goals: Loaded, filters: list[str], source: str
) -> None:
    item = with_goals
    rows = _get(api, item.account, "goals", filter=filters, source=source, **_range(item))
    assert [r["name"] for r in rows] == [g["name"] for g in GOALS]
    lo, hi = dataset.day_bounds(FILTERED_FROM, FILTERED_TO, item.tz)
    pairs = _pairs(filters)
    visitors = dataset.totals(dataset.in_range(dataset.select(item.events, pairs)[0], lo, hi))
    assert visitors["users"] > 0
    for row, goal in zip(rows, GOALS, strict=True):
        conversions, converted = _goal_brute_force(item.events, lo, hi, pairs, goal)
        assert row["conversions"] == conversions, (goal, row)
        assert _close(row["visitors"], converted, "visitors"), (goal, row, converted)
        rate = 100 * converted / visitors["users"]
        assert abs(row["conversionRate"] - rate) <= 0.03 * rate + 0.01, (goal, row, rate)
    assert rows[-1] == {**rows[-1], "visitors": 0, "conversions": 0, "conversionRate": 0.0}


FUNNELS = [
    (["page:/", "page:/pricing"], "1d"),
    (["page:/", "page:/pricing"], "session"),
    (["page:/", "event:signup", "event:Buy Now"], "7d"),
    (["page:/blog/*", "page:/signup"], "session"),
    (["page:/", "page:/docs", "page:/"], "1d"),
]


@pytest.mark.parametrize("filters", [[], ["referrerDomain:google.com"], ["country:US"]])
@pytest.mark.parametrize(("steps", "window"), FUNNELS)
def test_funnels_match_an_exhaustive_search(
    api: httpx.Client, loaded: list[Loaded], steps: list[str], window: str, filters: list[str]
) -> None:
    item = loaded[1]  # Asia/Kolkata
    data = _get(api, item.account, "funnel", step=steps, window=window, filter=filters,
                **_range(item))  # fmt: skip
    lo, hi = dataset.day_bounds(FILTERED_FROM, FILTERED_TO, item.tz)
    window_ms = None if window == "session" else int(window[:-1]) * 86_400_000
    expected = dataset.funnel(item.events, lo, hi, _pairs(filters),
                              [(k, m) for k, _, m in (s.partition(":") for s in steps)],
                              window_ms)  # fmt: skip
    assert expected[0] > 0
    assert [s["visitors"] for s in data["steps"]] == expected
    assert [s["label"] for s in data["steps"]] == [s.partition(":")[2] for s in steps]
    first = expected[0]
    for k, row in enumerate(data["steps"]):
        assert row["conversionRate"] == round(100 * expected[k] / first, 2)
        assert row["dropOff"] == (expected[k - 1] - expected[k] if k else 0)


@pytest.mark.parametrize("filters", [[], ["referrerDomain:google.com"], ["page:/docs"]])
@pytest.mark.parametrize("unit", ["day", "week", "month"])
def test_retention_matches_brute_force(
    api: httpx.Client, loaded: list[Loaded], unit: str, filters: list[str]
) -> None:
    item = loaded[1]  # Asia/Kolkata: units are local days
    data = _get(api, item.account, "retention", unit=unit, filter=filters, **_range(item))
    expected = dataset.retention(item.events, FILTERED_FROM, FILTERED_TO, item.tz,
                                 _pairs(filters), unit)  # fmt: skip
    assert sum(c["size"] for c in expected) > 0
    if not filters and unit != "day":  # the data has visitors who come back
        assert any(len(c["retained"]) > 1 and c["retained"][1] > 0 for c in expected)
    assert data["cohorts"] == expected


def _groups(first: date, last: date, interval: str) -> list[tuple[date, date]]:
    """[first, last] cut into days, Monday weeks or months, written out independently."""
    out: dict[date, list[date]] = {}
    day = first
    while day <= last:
        key = {"day": day, "week": day - timedelta(days=day.weekday()),
               "month": day.replace(day=1)}[interval]  # fmt: skip
        out.setdefault(key, []).append(day)
        day += timedelta(days=1)
    return [(days[0], days[-1]) for days in out.values()]


@pytest.mark.parametrize("source", SOURCES)
@pytest.mark.parametrize("interval", ["day", "week", "month"])
def test_timeseries_matches_brute_force(
    api: httpx.Client, loaded: list[Loaded], interval: str, source: str
) -> None:
    for item in loaded:
        first, last = START.date(), _today(item.tz)
        rows = _get(api, item.account, "timeseries", interval=interval, source=source,
                    **_range(item, first, last))  # fmt: skip
        groups = _groups(first, last, interval)
        assert [r["start"] for r in rows] == [a.isoformat() for a, _ in groups]
        for row, (a, b) in zip(rows, groups, strict=True):
            expected = dataset.summary(item.events, *dataset.day_bounds(a, b, item.tz))
            _assert_summary(row, expected, (item.tz, interval, source, row["start"]))
        assert sum(r["events"] for r in rows) == len(item.events)


@pytest.mark.parametrize(
    "filters", [["referrerDomain:google.com"], ["page:/pricing"], ["country:US", "page:/docs"]]
)
def test_filtered_timeseries_matches_brute_force(
    api: httpx.Client, loaded: list[Loaded], filters: list[str]
) -> None:
    item = loaded[2]
    rows = _get(api, item.account, "timeseries", interval="week", filter=filters, **_range(item))
    for row, (a, b) in zip(rows, _groups(FILTERED_FROM, FILTERED_TO, "week"), strict=True):
        lo, hi = dataset.day_bounds(a, b, item.tz)
        _assert_summary(row, dataset.summary(item.events, lo, hi, _pairs(filters)), row["start"])


def test_hours_of_the_day_clocks_go_back_match_brute_force(
    api: httpx.Client, loaded: list[Loaded]
) -> None:
    item = loaded[2]  # New York: 01:30 EDT and 01:30 EST were both sent
    day = date(2026, 11, 1)
    rows = _get(api, item.account, "timeseries", interval="hour", **_range(item, day, day))
    assert len(rows) == 25
    assert [r["start"] for r in rows[1:3]] == ["2026-11-01T01:00-04:00", "2026-11-01T01:00-05:00"]
    assert rows[1]["events"] >= 1
    assert rows[2]["events"] >= 1
    lo, _ = dataset.day_bounds(day, day, item.tz)
    for i, row in enumerate(rows):
        start = lo + i * 3_600_000
        _assert_summary(row, dataset.summary(item.events, start, start + 3_600_000), row["start"])


@pytest.mark.parametrize("source", SOURCES)
def test_a_period_of_two_years_counts_every_event(
    api: httpx.Client, loaded: list[Loaded], source: str
) -> None:
    for item in loaded:
        last = _today(item.tz)
        data = _get(api, item.account, "summary", source=source,
                    **_range(item, last - timedelta(days=730), last))  # fmt: skip
        assert data["events"] == len(item.events), (item.tz, source)


def test_overview_names_the_first_day_in_the_zone(api: httpx.Client, loaded: list[Loaded]) -> None:
    for item in loaded:
        earliest = min(e.time for e in item.events)
        expected = dataset.local_day(earliest, item.tz).isoformat()
        assert _get(api, item.account, "overview")["firstDay"] == expected
        other = "Asia/Kolkata" if item.tz != "Asia/Kolkata" else "UTC"
        shown = _get(api, item.account, "overview", tz=other)["firstDay"]
        assert shown == dataset.local_day(earliest, other).isoformat()


def test_hostile_filter_matches_nothing_and_never_errors(
    api: httpx.Client, loaded: list[Loaded]
) -> None:
    mine, other = loaded[0], loaded[1]
    hostile = f"x}} | @site:{{{other.account.user['id']}"
    for path in ("summary", "events", "daily"):
        data = _get(api, mine.account, path, filter=[f"eventName:{hostile}"])
        if path == "summary":
            assert data["events"] == 0
        elif path == "events":
            assert data == []
        else:
            assert sum(r["events"] for r in data) == 0


@pytest.mark.parametrize(
    ("path", "params", "field"),
    [
        ("daily", {"days": 0}, "days"),
        ("daily", {"days": 367}, "days"),
        ("daily", {"days": "x"}, "days"),
        ("summary", {"from": "2026-13-01"}, "from"),
        ("summary", {"from": "2026-11-10", "to": "2026-11-01"}, "from"),
        ("summary", {"from": "2010-01-01", "to": "2026-01-01"}, "from"),
        ("daily", {"from": "2024-01-01", "to": "2026-01-01"}, "from"),
        ("timeseries", {"interval": "hour", "from": "2026-11-01", "to": "2026-11-10"}, "interval"),
        ("timeseries", {"interval": "day", "from": "2025-01-01", "to": "2026-11-10"}, "interval"),
        ("timeseries", {"interval": "minute"}, "interval"),
        ("retention", {"unit": "day", "from": "2024-01-01", "to": "2026-01-01"}, "unit"),
        ("summary", {"tz": "Mars/Base"}, "tz"),
        ("events", {"limit": 0}, "limit"),
        ("events", {"limit": 100000}, "limit"),
        ("summary", {"filter": "nocolon"}, "filter"),
        ("summary", {"filter": "password:x"}, "filter"),
        ("breakdown", {"dimension": "internalUserId"}, "dimension"),
        ("breakdown", {}, "dimension"),
    ],
)
def test_bad_parameters_are_400_naming_the_field(
    api: httpx.Client, loaded: list[Loaded], path: str, params: dict[str, Any], field: str
) -> None:
    response = api.get(f"/api/v1/stats/{path}", params=params, headers=loaded[0].account.auth())
    assert response.status_code == 400, response.text
    assert field in response.json()["errors"]


def test_numbers_are_json_numbers(api: httpx.Client, loaded: list[Loaded]) -> None:
    data = _get(api, loaded[0].account, "summary")
    assert all(isinstance(v, int | float) for k, v in data.items() if k != "previous")


def test_redis_is_not_touched_by_other_accounts_keys(
    loaded: list[Loaded], redis_sync: redis.Redis
) -> None:
    ids = {item.account.user["id"] for item in loaded}
    for account in ids:
        for key in redis_sync.scan_iter(match=f"R:{{{account}}}:*", count=1000):
            assert not any(other in key for other in ids - {account})
