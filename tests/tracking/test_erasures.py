"""/api/v1/erasures through the real gateway and worker: a visitor's events, those still in the
stream when the request came among them, leave the explorer, the export and every number, the
request forgets the userId, and bad requests are a 400 naming the field."""

from __future__ import annotations

import time
from typing import Any

import httpx
import orjson
import pytest
import redis

from tests.support.accounts import Account, register
from tests.support.events import make_event, send, wait_for_stored


@pytest.fixture
def account(api: httpx.Client) -> Account:
    return register(api)


def _erasures(api: httpx.Client, account: Account) -> list[dict[str, Any]]:
    response = api.get("/api/v1/erasures", headers=account.auth())
    assert response.status_code == 200, response.text
    listed: list[dict[str, Any]] = response.json()["data"]
    return listed


def _wait_done(api: httpx.Client, account: Account, *, within: float = 90) -> dict[str, Any]:
    deadline = time.monotonic() + within
    while True:
        latest = _erasures(api, account)[0]
        if latest["status"] == "done":
            return latest
        assert time.monotonic() < deadline, f"the erasure did not finish: {latest}"
        time.sleep(0.2)


@pytest.mark.on_cluster  # once more on a 3-shard cluster
def test_an_erased_visitor_leaves_the_explorer_the_export_and_the_numbers(
    api: httpx.Client, account: Account, redis_sync: redis.Redis
) -> None:
    site_id, key = account.user["id"], account.user["apiKey"]
    now = int(time.time() * 1000)
    gone, stays = "visitor-to-forget", "visitor-who-stays"
    theirs = [make_event(userId=gone, sessionId=f"g{n % 2}", eventTime=now - n * 60_000)
              for n in range(1, 4)]  # fmt: skip
    others = [make_event(userId=stays, sessionId="k", eventTime=now - n * 60_000)
              for n in range(1, 3)]  # fmt: skip
    assert send(api, key, theirs + others).status_code == 202
    assert wait_for_stored(redis_sync, site_id, 5) == 5
    late = make_event(userId=gone, sessionId="g9", eventTime=now - 30_000)
    assert send(api, key, [late]).status_code == 202  # not stored yet, most likely

    created = api.post("/api/v1/erasures", json={"userId": gone}, headers=account.auth())

    assert created.status_code == 202, created.text
    request = created.json()["data"]
    assert (request["userId"], request["status"], request["eventsErased"]) == (gone, "pending", 0)
    done = _wait_done(api, account)
    assert {k: done[k] for k in ("id", "userId", "status", "eventsErased")} == {
        "id": request["id"],
        "userId": None,
        "status": "done",
        "eventsErased": 4,
    }
    assert done["finishedAt"]
    auth = account.auth()
    mine = api.get("/api/v1/events", params={"userId": gone}, headers=auth).json()["data"]
    assert mine["items"] == []
    listed = api.get("/api/v1/events", headers=auth).json()["data"]["items"]
    assert sorted(e["eventId"] for e in listed) == sorted(e["eventId"] for e in others)
    export = api.get("/api/v1/events/export", params={"format": "ndjson"}, headers=auth)
    lines = [orjson.loads(line) for line in export.text.splitlines()]
    assert sorted(e["userId"] for e in lines) == [stays, stays]
    for source in ("auto", "raw"):
        summary = api.get("/api/v1/stats/summary", params={"source": source}, headers=auth)
        numbers = summary.json()["data"]
        assert (numbers["events"], numbers["visitors"]) == (2, 1), (source, numbers)
    assert gone not in export.text


def test_events_sent_after_the_request_are_kept(
    api: httpx.Client, account: Account, redis_sync: redis.Redis
) -> None:
    site_id, key = account.user["id"], account.user["apiKey"]
    assert send(api, key, [make_event(userId="returning")]).status_code == 202
    assert wait_for_stored(redis_sync, site_id, 1) == 1
    assert api.post("/api/v1/erasures", json={"userId": "returning"},
                    headers=account.auth()).status_code == 202  # fmt: skip
    _wait_done(api, account)

    assert send(api, key, [make_event(userId="returning")]).status_code == 202

    assert wait_for_stored(redis_sync, site_id, 1) == 1
    listed = api.get("/api/v1/events", params={"userId": "returning"}, headers=account.auth())
    assert len(listed.json()["data"]["items"]) == 1


@pytest.mark.parametrize(
    "body",
    [{}, {"userId": ""}, {"userId": "x" * 257}, {"userId": "a\nb"}, {"userId": 7},
     {"userId": "u", "also": 1}],
    ids=["missing", "empty", "too-long", "control-character", "not-text", "unknown-field"],
)  # fmt: skip
def test_a_bad_request_is_a_400_naming_the_field_and_records_nothing(
    api: httpx.Client, account: Account, body: dict[str, Any]
) -> None:
    response = api.post("/api/v1/erasures", json=body, headers=account.auth())

    assert response.status_code == 400, response.text
    assert set(response.json()["errors"]) <= {"userId", "also"}
    assert _erasures(api, account) == []


def test_erasures_need_a_sign_in_and_are_the_sites_own(api: httpx.Client, account: Account) -> None:
    assert api.post("/api/v1/erasures", json={"userId": "u"}).status_code == 401
    other = register(api)
    response = api.post("/api/v1/erasures", json={"userId": "u"}, headers=other.auth(),
                        params={"site": account.user["id"]})  # fmt: skip
    assert response.status_code == 404
    assert _erasures(api, account) == []
