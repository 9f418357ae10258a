"""Events refused at ingestion are counted per site and reason, and the owner can read them
(GET /api/v1/stats/refused); POST /api/v1/events/test ingests the dashboard's test event for the
owner's site whatever its allowed origins."""

from __future__ import annotations

import time
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis

from tests.support.accounts import Account, register
from tests.support.events import make_event, send, stored_events, wait_for_stored
from tests.support.system import own_system
from tracking_system.common import keys, rollups

REASONS = {"retired_key", "origin", "rate_limited", "invalid", "backlog", "expired"}


@pytest.fixture
def account(api: httpx.Client) -> Account:
    return register(api)


def _site(api: httpx.Client, account: Account, **body: Any) -> dict[str, Any]:
    response = api.post("/api/v1/sites", json={"name": "Shop", **body}, headers=account.auth())
    assert response.status_code == 201, response.text
    site: dict[str, Any] = response.json()["data"]
    return site


def _refused(api: httpx.Client, account: Account, site_id: str) -> dict[str, dict[str, int]]:
    response = api.get("/api/v1/stats/refused", params={"site": site_id}, headers=account.auth())
    assert response.status_code == 200, response.text
    data: dict[str, dict[str, int]] = response.json()["data"]
    return data


def _refused_keys(redis_sync: redis.Redis, site_id: str) -> list[str]:
    return [str(k) for k in redis_sync.scan_iter(match=f"Refused:{keys.site_tag(site_id)}:*")]


def _status_within(api: httpx.Client, api_key: str, status: int, *, seconds: float) -> int:
    """Send one event until it gets `status` (the key cache lives under a second); how many
    events were sent."""
    deadline = time.monotonic() + seconds
    sent = 0
    while time.monotonic() < deadline:
        sent += 1
        if send(api, api_key, [make_event()]).status_code == status:
            return sent
        time.sleep(0.05)
    raise AssertionError(f"no {status} within {seconds} s")


def test_a_fresh_site_has_every_reason_at_zero(api: httpx.Client, account: Account) -> None:
    zero = dict.fromkeys(REASONS, 0)
    assert _refused(api, account, account.user["id"]) == {"lastHour": zero, "last24h": zero}
    # Without site=, the account's first site, as on every stats route.
    response = api.get("/api/v1/stats/refused", headers=account.auth())
    assert response.json() == {"data": {"lastHour": zero, "last24h": zero}, "errors": None}


def test_events_sent_with_a_rotated_out_key_count_as_retired_key(
    api: httpx.Client, account: Account, redis_sync: redis.Redis
) -> None:
    site = _site(api, account)
    old_key = site["apiKey"]
    assert send(api, old_key, [make_event()]).status_code == 202
    rotated = api.post(f"/api/v1/sites/{site['id']}/api-key", headers=account.auth())
    assert rotated.status_code == 200
    assert redis_sync.get(keys.api_key_retired(old_key)) == site["id"]
    ttl = int(redis_sync.ttl(keys.api_key_retired(old_key)))
    assert 6 * 24 * 3600 < ttl <= keys.API_KEY_RETIRED_TTL_SECONDS

    sent_before_401 = _status_within(api, old_key, 401, seconds=2)
    time.sleep(1.1)  # every tracking process's key cache has forgotten the old key by now
    refused = send(api, old_key, [make_event(), make_event()])
    assert refused.status_code == 401
    assert refused.json() == {"data": None, "errors": {"apiKey": "Unknown API key"}}
    counts = _refused(api, account, site["id"])
    # The 401s: the last probe of _status_within and the batch of two (earlier probes may have
    # been accepted within the key cache's second).
    assert counts["lastHour"]["retired_key"] == 3
    assert counts["last24h"]["retired_key"] == 3
    assert sent_before_401 >= 1
    # Attributed to that site only: the account's first site saw nothing.
    assert _refused(api, account, account.user["id"])["last24h"]["retired_key"] == 0


def test_events_sent_with_a_deleted_sites_key_are_attributed_to_it(
    api: httpx.Client, account: Account, redis_sync: redis.Redis
) -> None:
    site = _site(api, account)
    assert api.delete(f"/api/v1/sites/{site['id']}", headers=account.auth()).status_code == 200
    assert redis_sync.get(keys.api_key_retired(site["apiKey"])) == site["id"]
    _status_within(api, site["apiKey"], 401, seconds=2)
    hour = int(time.time()) // 3600
    fields = redis_sync.hgetall(keys.refused(site["id"], hour))
    assert sum(int(v) for f, v in fields.items() if str(f).startswith("retired_key:")) >= 1


def test_an_unknown_key_that_was_never_a_sites_counts_nowhere(
    api: httpx.Client, redis_sync: redis.Redis
) -> None:
    key = f"ts_never-{uuid.uuid4().hex}"
    assert send(api, key, [make_event()]).status_code == 401
    assert redis_sync.get(keys.api_key_retired(key)) is None


def test_an_origin_not_allowed_is_403_and_counted_as_origin(
    api: httpx.Client, account: Account
) -> None:
    site = _site(api, account, allowedOrigins=["https://shop.example.com"])
    evil = {"Origin": "https://evil.example.com"}
    assert send(api, site["apiKey"], [make_event()] * 3, headers=evil).status_code == 403
    assert send(api, site["apiKey"], [make_event()], headers=evil).status_code == 403
    ok = send(api, site["apiKey"], [make_event()], headers={"Origin": "https://shop.example.com"})
    assert ok.status_code == 202
    counts = _refused(api, account, site["id"])
    assert counts["lastHour"] == {**dict.fromkeys(REASONS, 0), "origin": 4}
    assert counts["last24h"]["origin"] == 4


def test_events_refused_by_validation_are_counted_as_invalid(
    api: httpx.Client, account: Account
) -> None:
    key = account.user["apiKey"]
    # Partly valid: a 202 whose `rejected` lists two events, counted in the same script call.
    partly = send(api, key, [make_event(), make_event(sessionId=None), make_event(page=12)])
    assert partly.status_code == 202
    assert len(partly.json()["data"]["rejected"]) == 2
    # Wholly invalid: a 400.
    none = send(api, key, [make_event(eventName=""), make_event(sessionId="")])
    assert none.status_code == 400
    counts = _refused(api, account, account.user["id"])
    assert counts["lastHour"]["invalid"] == 4
    assert counts["last24h"]["invalid"] == 4
    assert sum(counts["lastHour"].values()) == 4


def test_a_rate_limited_batch_is_counted(api: httpx.Client, account: Account) -> None:
    key = account.user["apiKey"]
    for _ in range(12):
        response = send(api, key, [make_event() for _ in range(500)])
        if response.status_code == 429:
            break
        assert response.status_code == 202
    assert response.status_code == 429
    assert _refused(api, account, account.user["id"])["lastHour"]["rate_limited"] == 500


def test_accepted_events_write_no_counter(
    api: httpx.Client, account: Account, redis_sync: redis.Redis
) -> None:
    site_id = account.user["id"]
    response = send(api, account.user["apiKey"], [make_event() for _ in range(20)])
    assert response.status_code == 202
    assert response.json()["data"]["rejected"] == []
    assert wait_for_stored(redis_sync, site_id, 20) == 20
    assert _refused_keys(redis_sync, site_id) == []


def test_counters_are_hourly_buckets_that_expire_and_read_as_sliding_windows(
    api: httpx.Client, account: Account, redis_sync: redis.Redis
) -> None:
    site_id = account.user["id"]
    assert send(api, account.user["apiKey"], [make_event(sessionId=None)]).status_code == 400
    [key] = _refused_keys(redis_sync, site_id)
    assert 24 * 3600 < int(redis_sync.ttl(key)) <= keys.REFUSED_TTL_SECONDS
    now = int(time.time())
    # Planted: 61 minutes ago (out of the hour, in the day) and 24 h 1 min ago (out of both).
    hour_ago, day_ago = now - 61 * 60, now - (24 * 60 + 1) * 60
    redis_sync.hincrby(keys.refused(site_id, hour_ago // 3600),
                       f"origin:{hour_ago % 3600 // 60:02d}", 5)  # fmt: skip
    redis_sync.hincrby(keys.refused(site_id, day_ago // 3600),
                       f"origin:{day_ago % 3600 // 60:02d}", 7)  # fmt: skip
    # (Should the minute turn meanwhile, both plants only age further out of their windows.)
    counts = _refused(api, account, site_id)
    assert counts["lastHour"]["origin"] == 0
    assert counts["last24h"]["origin"] == 5
    assert counts["lastHour"]["invalid"] == counts["last24h"]["invalid"] == 1


def test_events_older_than_the_site_keeps_are_refused_at_ingestion_naming_event_time(
    api: httpx.Client, account: Account, redis_sync: redis.Redis
) -> None:
    site = _site(api, account, retentionDays=30)
    assert site["retentionDays"] == 30
    keep_from = (int(time.time() * 1000) // 86_400_000 - 30) * 86_400_000  # a UTC midnight
    old = [make_event(eventTime=keep_from - 3_600_000 * (i + 1)) for i in range(3)]
    recent = make_event(eventTime=keep_from + 3_600_000)

    response = send(api, site["apiKey"], [old[0], recent, *old[1:]])

    assert response.status_code == 202
    answer = response.json()["data"]
    assert answer["accepted"] == 1
    assert [r["index"] for r in answer["rejected"]] == [0, 2, 3]
    assert all(set(r["errors"]) == {"eventTime"} for r in answer["rejected"])
    counts = _refused(api, account, site["id"])["lastHour"]
    assert (counts["expired"], counts["invalid"]) == (3, 0)
    assert wait_for_stored(redis_sync, site["id"], 1) == 1
    only_old = send(api, site["apiKey"], [old[0]])
    assert only_old.status_code == 400
    assert set(only_old.json()["errors"]["events"][0]["errors"]) == {"eventTime"}
    assert _refused(api, account, site["id"])["lastHour"]["expired"] == 4


def test_events_accepted_before_the_worker_moved_what_the_site_keeps_are_counted_expired(
    api: httpx.Client, account: Account, redis_sync: redis.Redis
) -> None:
    site = _site(api, account, retentionDays=30)
    # A retention shortened while these were on their way: the worker's start of what the site
    # keeps (worker/hot.py) is ahead of what ingestion checked, and its store script refuses them.
    keep_from = (int(time.time() * 1000) // 86_400_000 - 20) * 86_400_000
    redis_sync.hset(rollups.meta(site["id"]), rollups.KEEP_FROM_FIELD, keep_from)
    old = [make_event(eventTime=keep_from - 3_600_000 * (i + 1)) for i in range(3)]
    recent = make_event(eventTime=keep_from + 3_600_000)
    response = send(api, site["apiKey"], [*old, recent])
    assert response.status_code == 202
    assert response.json()["data"]["accepted"] == 4
    assert wait_for_stored(redis_sync, site["id"], 1) == 1
    deadline = time.monotonic() + 10
    while _refused(api, account, site["id"])["lastHour"]["expired"] < 3:
        assert time.monotonic() < deadline, "the worker did not count the expired events"
        time.sleep(0.1)
    assert _refused(api, account, site["id"])["lastHour"]["expired"] == 3
    assert [e["eventId"] for e in stored_events(redis_sync, site["id"])] == [recent["eventId"]]


def test_another_accounts_counters_are_404(api: httpx.Client, account: Account) -> None:
    theirs = _site(api, register(api))
    for site_id in (theirs["id"], "01NOSUCHSITE0000000000000", "x} | @site:{*"):
        response = api.get(
            "/api/v1/stats/refused", params={"site": site_id}, headers=account.auth()
        )
        assert response.status_code == 404, (site_id, response.text)
        test = api.post("/api/v1/events/test", params={"site": site_id}, headers=account.auth())
        assert test.status_code == 404, (site_id, test.text)


def test_both_routes_need_a_sign_in(api: httpx.Client) -> None:
    assert api.get("/api/v1/stats/refused").status_code == 401
    assert api.post("/api/v1/events/test").status_code == 401


def test_the_test_event_is_stored_whatever_the_allowed_origins(
    api: httpx.Client, account: Account, redis_sync: redis.Redis
) -> None:
    site = _site(api, account, allowedOrigins=["https://shop.example.com"])
    response = api.post(
        "/api/v1/events/test",
        params={"site": site["id"]},
        json={"page": "https://dashboard.example.com/setup"},
        headers={**account.auth(), "Origin": "https://dashboard.example.com"},
    )
    assert response.status_code == 202, response.text
    assert response.json()["data"] == {"accepted": 1, "rejected": [], "excluded": {}}
    assert wait_for_stored(redis_sync, site["id"], 1) == 1
    [stored] = stored_events(redis_sync, site["id"])
    assert stored["eventName"] == "TEST_EVENT"
    assert stored["page"] == "https://dashboard.example.com/setup"
    assert _refused(api, account, site["id"])["last24h"]["origin"] == 0
    # Not another site's: the account's first site stored nothing.
    assert stored_events(redis_sync, account.user["id"]) == []


def test_the_test_event_goes_through_validation(api: httpx.Client, account: Account) -> None:
    response = api.post("/api/v1/events/test", json={"eventName": ""}, headers=account.auth())
    assert response.status_code == 400
    assert "eventName" in response.json()["errors"]
    bad = api.post("/api/v1/events/test", content=b"[1]", headers=account.auth())
    assert bad.status_code == 400


def test_a_batch_refused_for_the_backlog_is_counted_with_its_invalid_events(
    tmp_path: Path,
) -> None:
    with (
        own_system(tmp_path, {"INGEST_MAX_BACKLOG": "10"}) as (system, _server),
        httpx.Client(base_url=system.gateway_url, timeout=30) as api,
    ):
        account = register(api)
        key = account.user["apiKey"]
        system.stop("worker")
        assert send(api, key, [make_event() for _ in range(10)]).status_code == 202
        refused = send(api, key, [make_event(), make_event(), make_event(sessionId=None)])
        assert refused.status_code == 503
        counts = _refused(api, account, account.user["id"])
        assert counts["lastHour"] == {**dict.fromkeys(REASONS, 0), "backlog": 2, "invalid": 1}
