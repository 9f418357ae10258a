"""Two sites under one login: every stats and events route answers for the site it names (the
first one without `site=`), each in its own time zone, and never mixes in the other's events."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import httpx
import orjson
import pytest
import redis

from tests.support.accounts import Account, register
from tests.support.events import make_event, now_ms, send, wait_for_stored


def _ms(iso: str) -> int:
    return int(datetime.fromisoformat(iso).replace(tzinfo=UTC).timestamp() * 1000)


class Sites:
    """An account with a first site (UTC) and a second one (New York)."""

    def __init__(self, api: httpx.Client, redis_sync: redis.Redis) -> None:
        self.api = api
        self.account: Account = register(api, timezone="UTC")
        response = api.post("/api/v1/sites", headers=self.account.auth(),
                            json={"name": "Second", "timezone": "America/New_York"})  # fmt: skip
        assert response.status_code == 201
        self.first: dict[str, Any] = {"id": self.account.user["id"],
                                      "apiKey": self.account.user["apiKey"]}  # fmt: skip
        self.second: dict[str, Any] = response.json()["data"]
        now = now_ms()
        first_events = [make_event(userId=f"a{i}", sessionId=f"sa{i}", eventTime=now - i)
                        for i in range(3)]  # fmt: skip
        second_events = [
            make_event(userId="b1", sessionId="sb1", eventName="Signup", page="https://b.example/join"),
            make_event(userId="b2", sessionId="sb2", page="https://b.example/"),
            # 23:30 in New York on the day before and after the spring-forward change (UTC here).
            make_event(userId="b3", sessionId="sb3", eventTime=_ms("2026-03-08T04:30:00")),
            make_event(userId="b4", sessionId="sb4", eventTime=_ms("2026-03-09T03:30:00")),
        ]  # fmt: skip
        assert send(api, self.first["apiKey"], first_events).status_code == 202
        assert send(api, self.second["apiKey"], second_events).status_code == 202
        assert wait_for_stored(redis_sync, self.first["id"], 3) == 3
        assert wait_for_stored(redis_sync, self.second["id"], 4) == 4

    def get(self, path: str, site: dict[str, Any] | None, **params: Any) -> Any:
        """The payload of a stats or events route for one site (None: no `site=`)."""
        if site is not None:
            params["site"] = site["id"]
        response = self.api.get(path, params=params, headers=self.account.auth())
        assert response.status_code == 200, response.text
        return response.json()["data"]


@pytest.fixture(scope="module")
def sites(api_module: httpx.Client, redis_module: redis.Redis) -> Sites:
    """Two sites with their own events, created once for the module."""
    return Sites(api_module, redis_module)


@pytest.fixture(scope="module")
def api_module(system: Any) -> Any:
    """An HTTP client to the gateway for the whole module."""
    with httpx.Client(base_url=system.gateway_url, timeout=30) as client:
        yield client


@pytest.fixture(scope="module")
def redis_module(redis_server: Any) -> Any:
    """A Redis client for the whole module."""
    client = redis_server.client()
    yield client
    client.close()


@pytest.mark.parametrize("source", ["auto", "raw"])
def test_each_site_counts_only_its_own_events(sites: Sites, source: str) -> None:
    first = sites.get("/api/v1/stats/overview", sites.first, source=source)
    second = sites.get("/api/v1/stats/overview", sites.second, source=source)
    assert first["eventsRecorded"]["lifetime"] == 3
    assert first["activeUsers"]["today"] == 3
    assert second["eventsRecorded"]["lifetime"] == 4
    assert second["activeUsers"]["today"] == 2
    events = sites.get("/api/v1/stats/events", sites.second, source=source)
    assert {r["eventName"]: r["count"] for r in events} == {"PAGE_VIEW": 3, "Signup": 1}
    pages = sites.get("/api/v1/stats/pages", sites.first, source=source)
    assert [(r["page"], r["count"]) for r in pages] == [("/pricing", 3)]
    summary = sites.get("/api/v1/stats/summary", sites.second, source=source)
    assert (summary["events"], summary["visitors"]) == (2, 2)


def test_without_site_the_first_site_answers(sites: Sites) -> None:
    for path in ("/api/v1/stats/overview", "/api/v1/stats/summary", "/api/v1/stats/events"):
        assert sites.get(path, None) == sites.get(path, sites.first)


def test_days_are_the_sites_own_zone_across_dst(sites: Sites) -> None:
    days = {"from": "2026-03-07", "to": "2026-03-09"}
    daily = sites.get("/api/v1/stats/daily", sites.second, **days)
    assert [(d["day"], d["events"]) for d in daily] == [
        ("2026-03-07", 1), ("2026-03-08", 1), ("2026-03-09", 0)]  # fmt: skip
    # The same instants in UTC fall on the next days.
    utc = sites.get("/api/v1/stats/daily", sites.second, tz="UTC", **days)
    assert [(d["day"], d["events"]) for d in utc] == [
        ("2026-03-07", 0), ("2026-03-08", 1), ("2026-03-09", 1)]  # fmt: skip


def test_explorer_and_export_hold_only_the_sites_events(sites: Sites) -> None:
    first = sites.get("/api/v1/events", sites.first)["items"]
    second = sites.get("/api/v1/events", sites.second)["items"]
    assert {e["userId"] for e in first} == {"a0", "a1", "a2"}
    assert {e["userId"] for e in second} == {"b1", "b2", "b3", "b4"}
    response = sites.api.get("/api/v1/events/export", headers=sites.account.auth(),
                             params={"site": sites.second["id"], "format": "ndjson"})  # fmt: skip
    exported = [orjson.loads(line) for line in response.text.splitlines()]
    assert sorted(e["userId"] for e in exported) == ["b1", "b2", "b3", "b4"]


def test_breakdown_and_realtime_are_per_site(sites: Sites) -> None:
    breakdown = sites.get("/api/v1/stats/breakdown", sites.second, dimension="page")
    assert [(r["value"], r["count"]) for r in breakdown] == [("/", 1)]  # page views only
    realtime = sites.get("/api/v1/stats/realtime", sites.first)
    assert realtime["visitors"] == 3
    assert sum(m["events"] for m in realtime["perMinute"]) == 3


def test_the_live_feed_carries_only_the_named_sites_events(sites: Sites, system: Any) -> None:
    with (
        httpx.Client(base_url=system.gateway_url) as client,
        client.stream("GET", "/api/v1/events/live", params={"site": sites.second["id"]},
                      headers=sites.account.auth(), timeout=10) as response,
    ):  # fmt: skip
        assert response.status_code == 200
        lines = response.iter_lines()
        for line in lines:
            if line.startswith("retry:"):
                break
        send(sites.api, sites.first["apiKey"], [make_event(userId="not-this-one")])
        send(sites.api, sites.second["apiKey"], [make_event(userId="this-one")])
        data = next(line for line in lines if line.startswith("data: "))
    assert orjson.loads(data.removeprefix("data: "))["userId"] == "this-one"


def test_the_overview_honours_the_filters(sites: Sites) -> None:
    filtered = sites.get("/api/v1/stats/overview", sites.second, filter="eventName:Signup")
    assert filtered["eventsRecorded"] == {"today": 1, "thisMonth": 1, "lifetime": 1}
    assert filtered["activeUsers"] == {"today": 1, "thisMonth": 1}
