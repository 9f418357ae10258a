"""Hostile or absurd query parameters on the stats and events routes: a 400 naming the field,
never a 5xx; context filters work whether or not every event carries the key."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
import redis

from tests.support.accounts import Account, register
from tests.support.events import make_event, now_ms, send, wait_for_stored


@pytest.mark.parametrize(
    ("path", "params", "field"),
    [
        ("/api/v1/events", {"eventName": "\x00"}, "eventName"),
        ("/api/v1/events", {"filter": "country:\x00"}, "filter"),
        ("/api/v1/events", {"from": "0001-01-01", "to": "9999-12-31"}, "from"),
        ("/api/v1/stats/summary", {"filter": "country:\x00"}, "filter"),
        ("/api/v1/stats/summary", {"filter": "context.plan:a\x1fb"}, "filter"),
        ("/api/v1/stats/summary", {"from": "0001-01-01", "to": "0001-01-02"}, "from"),
        (
            "/api/v1/stats/summary",
            {"from": "9999-12-30", "to": "9999-12-31", "filter": "country:US"},
            "from",
        ),
        (
            "/api/v1/stats/daily",
            {"from": "9999-12-30", "to": "9999-12-31", "filter": "country:US"},
            "from",
        ),
        (
            "/api/v1/stats/summary",
            {"tz": "Etc/GMT+12", "from": "0001-01-01", "to": "0001-01-01"},
            "from",
        ),
        ("/api/v1/stats/breakdown", {"dimension": "referrer", "to": "9999-12-31"}, "to"),
    ],
)
def test_hostile_parameters_are_a_400_naming_the_field(
    api: httpx.Client, path: str, params: dict[str, Any], field: str
) -> None:
    account = register(api)
    response = api.get(path, params=params, headers=account.auth())
    assert response.status_code == 400, response.text
    assert field in response.json()["errors"]


@pytest.fixture
def mixed_context(api: httpx.Client, redis_sync: redis.Redis) -> Account:
    """Events with `plan` in their context, with another key, and with none."""
    account = register(api)
    t = now_ms() - 10_000
    events = [
        make_event(context={"plan": "Pro"}, userId="p1", sessionId="s1", eventTime=t),
        make_event(context={"plan": "Pro"}, userId="p2", sessionId="s2", eventTime=t + 1),
        make_event(context={"plan": "Free"}, userId="f1", sessionId="s3", eventTime=t + 2),
        make_event(context={"other": 1}, userId="o1", sessionId="s4", eventTime=t + 3),
        make_event(userId="n1", sessionId="s5", eventTime=t + 4),
    ]
    assert send(api, account.user["apiKey"], events).status_code == 202
    assert wait_for_stored(redis_sync, account.user["id"], 5) == 5
    return account


def test_a_context_filter_keeps_the_matching_events_when_others_lack_the_key(
    api: httpx.Client, mixed_context: Account
) -> None:
    response = api.get("/api/v1/stats/summary", params={"filter": "context.plan:Pro"},
                       headers=mixed_context.auth())  # fmt: skip
    assert response.status_code == 200, response.text
    summary = response.json()["data"]
    assert (summary["events"], summary["visitors"]) == (2, 2)


def test_a_context_breakdown_counts_the_events_that_carry_the_key(
    api: httpx.Client, mixed_context: Account
) -> None:
    response = api.get("/api/v1/stats/breakdown", params={"dimension": "context.plan"},
                       headers=mixed_context.auth())  # fmt: skip
    assert response.status_code == 200, response.text
    rows = {r["value"]: r["count"] for r in response.json()["data"]}
    assert rows == {"Pro": 2, "Free": 1}
