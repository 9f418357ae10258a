"""Agents through the real gateway and worker: HTTP libraries are counted, crawlers and headless
browsers are stored flagged and not counted (and the 202 says so), an event's own `userAgent`
overrides the header, and a bad one is refused naming the field."""

from __future__ import annotations

import time
from typing import Any

import httpx
import pytest
import redis

from tests.support.accounts import Account, register
from tests.support.events import GOOGLEBOT, IPHONE, make_event, send, stored_events, wait_for_stored

HEADLESS_CHROME = (
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "HeadlessChrome/120.0.0.0 Safari/537.36"
)
SERVER_AGENTS = ["curl/8.4.0", "python-requests/2.31.0", "Go-http-client/1.1"]


@pytest.fixture
def account(api: httpx.Client) -> Account:
    return register(api)


def _key(account: Account) -> str:
    return str(account.user["apiKey"])


def _lifetime_events(api: httpx.Client, account: Account, expected: int) -> int:
    """The overview's lifetime count, once it reaches `expected` (or the last value seen)."""
    deadline = time.monotonic() + 15
    while True:
        response = api.get("/api/v1/stats/overview", headers=account.auth())
        response.raise_for_status()
        count = int(response.json()["data"]["eventsRecorded"]["lifetime"])
        if count >= expected or time.monotonic() > deadline:
            return count
        time.sleep(0.1)


@pytest.mark.parametrize("agent", SERVER_AGENTS)
def test_http_library_events_are_counted(
    api: httpx.Client, account: Account, redis_sync: redis.Redis, agent: str
) -> None:
    response = send(api, _key(account), [make_event(eventName="Purchase")] * 2, user_agent=agent)
    assert response.status_code == 202
    assert response.json()["data"] == {"accepted": 2, "rejected": [], "excluded": {}}
    assert wait_for_stored(redis_sync, account.user["id"], 1) == 1  # the same eventId twice
    (stored,) = stored_events(redis_sync, account.user["id"])
    assert stored["bot"] == "0"
    assert stored["device"] != "bot"
    assert _lifetime_events(api, account, 1) == 1


@pytest.mark.parametrize("agent", [GOOGLEBOT, HEADLESS_CHROME])
def test_crawlers_and_headless_browsers_are_stored_flagged_and_reported_excluded(
    api: httpx.Client, account: Account, redis_sync: redis.Redis, agent: str
) -> None:
    person = make_event(eventName="Person", userAgent=IPHONE)
    bots = [make_event(eventName="Bot"), make_event(eventName="Bot")]
    response = send(api, _key(account), [*bots, person, {"sessionId": "x"}], user_agent=agent)
    assert response.status_code == 202
    data = response.json()["data"]
    assert data["accepted"] == 3
    assert [r["index"] for r in data["rejected"]] == [3]
    assert data["excluded"] == {"bot": 2}
    assert wait_for_stored(redis_sync, account.user["id"], 3) == 3
    flags = {e["eventId"]: e["bot"] for e in stored_events(redis_sync, account.user["id"])}
    assert flags == {bots[0]["eventId"]: "1", bots[1]["eventId"]: "1", person["eventId"]: "0"}
    assert _lifetime_events(api, account, 1) == 1
    time.sleep(0.5)  # nothing late makes the bots count
    assert _lifetime_events(api, account, 1) == 1


def test_an_events_own_user_agent_overrides_the_header(
    api: httpx.Client, account: Account, redis_sync: redis.Redis
) -> None:
    """A backend posting with python-requests forwards its visitor's iPhone agent."""
    event = make_event(userAgent=IPHONE)
    response = send(api, _key(account), [event], user_agent="python-requests/2.31.0")
    assert response.json()["data"]["excluded"] == {}
    wait_for_stored(redis_sync, account.user["id"], 1)
    (stored,) = stored_events(redis_sync, account.user["id"])
    assert stored["browser"] == "Mobile Safari"
    assert stored["os"] == "iOS"
    assert stored["device"] == "mobile"
    assert stored["bot"] == "0"
    assert "userAgent" not in stored
    assert _lifetime_events(api, account, 1) == 1


def test_a_forwarded_crawler_agent_is_excluded_though_the_header_is_a_browser(
    api: httpx.Client, account: Account, redis_sync: redis.Redis
) -> None:
    response = send(api, _key(account), [make_event(userAgent=GOOGLEBOT)], user_agent=IPHONE)
    assert response.json()["data"]["excluded"] == {"bot": 1}
    wait_for_stored(redis_sync, account.user["id"], 1)
    assert stored_events(redis_sync, account.user["id"])[0]["bot"] == "1"


def test_a_single_bot_event_answers_excluded(api: httpx.Client, account: Account) -> None:
    response = api.post(
        "/api/v1/events",
        json={"apiKey": _key(account), **make_event()},
        headers={"User-Agent": GOOGLEBOT},
    )
    assert response.status_code == 202
    assert response.json() == {
        "data": {"accepted": 1, "rejected": [], "excluded": {"bot": 1}},
        "errors": None,
    }


@pytest.mark.parametrize(
    "value",
    ["M" * 1025, "Mozilla/5.0\nInjected: yes", "tab\there", 42, ["Mozilla/5.0"], {"ua": "x"}],
)
def test_an_invalid_user_agent_is_refused_naming_it(
    api: httpx.Client, account: Account, value: Any
) -> None:
    response = send(api, _key(account), [make_event(userAgent=value)])
    assert response.status_code == 400, response.text
    (error,) = response.json()["errors"]["events"]
    assert set(error["errors"]) == {"userAgent"}
    assert error["errors"]["userAgent"]


def test_a_user_agent_of_1024_characters_is_accepted(api: httpx.Client, account: Account) -> None:
    response = send(api, _key(account), [make_event(userAgent="M" * 1024)])
    assert response.status_code == 202


def test_the_event_schema_documents_user_agent(api: httpx.Client) -> None:
    document = api.get("/api/v1/openapi.json").json()
    body = document["paths"]["/api/v1/events"]["post"]["requestBody"]
    schema = body["content"]["application/json"]["schema"]
    event = next(s for s in schema["anyOf"] if "sessionId" in s.get("properties", {}))
    field = event["properties"]["userAgent"]
    assert any(option.get("maxLength") == 1024 for option in field.get("anyOf", [field]))
