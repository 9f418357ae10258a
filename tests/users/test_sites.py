"""/api/v1/sites through the real gateway: the account's sites, their keys, domains and zones."""

from __future__ import annotations

import time
import uuid
from typing import Any

import httpx
import pytest
import redis

from tests.support.accounts import Account, register
from tests.support.columnar import compact
from tests.support.events import make_event, send, wait_for_stored
from tests.support.redis_server import RedisServer
from tracking_system.common import keys, rollups


def _domain() -> str:
    return f"shop-{uuid.uuid4().hex[:10]}.example.com"


def _create(api: httpx.Client, account: Account, **body: Any) -> httpx.Response:
    return api.post("/api/v1/sites", json={"name": "Shop", **body}, headers=account.auth())


def _site(api: httpx.Client, account: Account, **body: Any) -> dict[str, Any]:
    response = _create(api, account, **body)
    assert response.status_code == 201, response.text
    site: dict[str, Any] = response.json()["data"]
    return site


def _refused_within(api: httpx.Client, api_key: str, *, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if send(api, api_key, [make_event()]).status_code == 401:
            return True
        time.sleep(0.05)
    return False


@pytest.fixture
def account(api: httpx.Client) -> Account:
    """A fresh account."""
    return register(api, timezone="Europe/Berlin")


def test_registration_creates_the_first_site_that_user_fields_describe(
    api: httpx.Client, account: Account
) -> None:
    response = api.get("/api/v1/sites", headers=account.auth())
    assert response.status_code == 200
    [first] = response.json()["data"]
    user = account.user
    assert first["id"] == user["id"]
    assert first["name"] == "Test User"
    assert first["domain"] is None
    assert (first["apiKey"], first["timezone"]) == (user["apiKey"], "Europe/Berlin")
    assert first["allowedOrigins"] == user["allowedOrigins"] == []
    assert first["retentionDays"] is None  # raw events kept forever
    assert set(first) == {"id", "name", "domain", "apiKey", "timezone", "allowedOrigins",
                          "retentionDays", "createdAt", "updatedAt"}  # fmt: skip


def test_a_new_site_has_its_own_key_and_comes_after_the_first(
    api: httpx.Client, account: Account
) -> None:
    domain = _domain()
    site = _site(api, account, name="Blog", domain=f"https://WWW.{domain.upper()}:8443/x?y",
                 timezone="Asia/Kolkata", allowedOrigins=["https://blog.example.com/"])  # fmt: skip
    assert site["domain"] == domain
    assert site["timezone"] == "Asia/Kolkata"
    assert site["allowedOrigins"] == ["https://blog.example.com"]
    assert site["apiKey"] != account.user["apiKey"]
    listed = api.get("/api/v1/sites", headers=account.auth()).json()["data"]
    assert [s["id"] for s in listed] == [account.user["id"], site["id"]]
    assert api.get(f"/api/v1/sites/{site['id']}", headers=account.auth()).json()["data"] == site
    me = api.get("/api/v1/users/me", headers=account.auth()).json()["data"]
    assert me["apiKey"] == account.user["apiKey"]  # still the first site's


def test_an_internationalised_domain_is_stored_as_punycode(
    api: httpx.Client, account: Account
) -> None:
    label = uuid.uuid4().hex[:8]
    site = _site(api, account, domain=f"bücher-{label}.example")
    # Python's own IDNA 2003 codec agrees with the IDNA 2008 library the service uses here.
    assert site["domain"] == f"bücher-{label}.example".encode("idna").decode()
    assert site["domain"].startswith("xn--bcher-")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": ""}, "name"),
        ({"name": "x", "domain": "not a domain"}, "domain"),
        ({"name": "x", "domain": "localhost"}, "domain"),
        ({"name": "x", "timezone": "Mars/Olympus"}, "timezone"),
        ({"name": "x", "allowedOrigins": ["ftp://x.example.com"]}, "allowedOrigins"),
        ({"name": "x", "color": "red"}, "color"),
    ],
)
def test_invalid_site_fields_are_a_400_naming_the_field(
    api: httpx.Client, account: Account, body: dict[str, Any], field: str
) -> None:
    response = api.post("/api/v1/sites", json=body, headers=account.auth())
    assert response.status_code == 400, response.text
    assert field in response.json()["errors"]
    assert len(api.get("/api/v1/sites", headers=account.auth()).json()["data"]) == 1


def test_retention_is_forever_until_set_and_null_sets_it_back(
    api: httpx.Client, account: Account
) -> None:
    site = _site(api, account)
    assert site["retentionDays"] is None
    url = f"/api/v1/sites/{site['id']}"
    for days in (90, 1, 36_500, None):
        response = api.patch(url, json={"retentionDays": days}, headers=account.auth())
        assert response.status_code == 200, response.text
        assert response.json()["data"]["retentionDays"] == days
        assert api.get(url, headers=account.auth()).json()["data"]["retentionDays"] == days


@pytest.mark.parametrize("days", [0, -5, 36_501, "90", 2.5, True, [30]])
def test_an_invalid_retention_is_a_400_naming_it_and_changes_nothing(
    api: httpx.Client, account: Account, days: Any
) -> None:
    site = _site(api, account, retentionDays=30)
    url = f"/api/v1/sites/{site['id']}"
    response = api.patch(url, json={"retentionDays": days}, headers=account.auth())
    assert response.status_code == 400, response.text
    assert "retentionDays" in response.json()["errors"]
    assert api.get(url, headers=account.auth()).json()["data"]["retentionDays"] == 30
    assert _create(api, account, name="Other", retentionDays=days).status_code == 400


def test_a_domain_belongs_to_one_site_across_the_instance(
    api: httpx.Client, account: Account
) -> None:
    domain = _domain()
    first = _site(api, account, domain=domain)
    other = register(api)
    response = _create(api, other, domain=f"www.{domain}")
    assert response.status_code == 409
    assert "domain" in response.json()["errors"]
    # Released when the owner changes it, then free for anyone.
    patched = api.patch(f"/api/v1/sites/{first['id']}", json={"domain": None},
                        headers=account.auth())  # fmt: skip
    assert patched.status_code == 200
    assert patched.json()["data"]["domain"] is None
    assert _site(api, other, domain=domain)["domain"] == domain


def test_patch_changes_only_the_fields_sent(api: httpx.Client, account: Account) -> None:
    site = _site(api, account, domain=_domain(), timezone="UTC")
    response = api.patch(f"/api/v1/sites/{site['id']}",
                         json={"name": "Renamed", "timezone": "America/New_York"},
                         headers=account.auth())  # fmt: skip
    assert response.status_code == 200
    updated = response.json()["data"]
    assert (updated["name"], updated["timezone"]) == ("Renamed", "America/New_York")
    assert (updated["domain"], updated["apiKey"]) == (site["domain"], site["apiKey"])
    assert updated["updatedAt"] is not None


def test_patch_of_the_profile_zone_and_origins_changes_the_first_site(
    api: httpx.Client, account: Account
) -> None:
    body = {"timezone": "Asia/Tokyo", "allowedOrigins": ["https://a.example.com"]}
    me = api.patch("/api/v1/users/me", json=body, headers=account.auth()).json()["data"]
    assert (me["timezone"], me["allowedOrigins"]) == ("Asia/Tokyo", ["https://a.example.com"])
    first = api.get(f"/api/v1/sites/{account.user['id']}", headers=account.auth()).json()["data"]
    assert (first["timezone"], first["allowedOrigins"]) == ("Asia/Tokyo", ["https://a.example.com"])


def test_a_zone_change_has_the_worker_rebuild_the_sites_rollups_in_it(
    api: httpx.Client, account: Account, redis_sync: redis.Redis
) -> None:
    site = _site(api, account, domain=_domain(), timezone="UTC")
    now = int(time.time() * 1000)
    events = [make_event(eventTime=now - n * 3_600_000, sessionId=f"s{n % 9}",
                         eventName="PAGE_VIEW" if n % 3 else "signup")
              for n in range(60)]  # fmt: skip
    assert send(api, site["apiKey"], events).status_code == 202
    assert wait_for_stored(redis_sync, site["id"], len(events)) == len(events)
    renamed = api.patch(f"/api/v1/sites/{site['id']}", json={"name": "Renamed"},
                        headers=account.auth())  # fmt: skip
    assert renamed.status_code == 200
    assert not redis_sync.sismember(keys.ROLLUP_REBUILDS, site["id"])  # the zone is the same

    response = api.patch(f"/api/v1/sites/{site['id']}", json={"timezone": "Asia/Kolkata"},
                         headers=account.auth())  # fmt: skip

    assert response.status_code == 200
    meta = rollups.meta(site["id"])
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not (
        redis_sync.hget(meta, rollups.generation_field("Asia/Kolkata"))
        and not redis_sync.sismember(keys.ROLLUP_REBUILDS, site["id"])
    ):
        time.sleep(0.1)
    assert redis_sync.hget(meta, rollups.generation_field("Asia/Kolkata")) == "1"
    assert not redis_sync.sismember(keys.ROLLUP_REBUILDS, site["id"])
    answers = [
        api.get("/api/v1/stats/summary", headers=account.auth(),
                params={"site": site["id"], "source": source}).json()["data"]
        for source in ("auto", "raw")
    ]  # fmt: skip
    assert answers[0]["events"] == answers[1]["events"] == len(events)
    assert answers[0]["pageviews"] == answers[1]["pageviews"] == 40


def test_with_a_retention_the_worker_deletes_older_raw_events_and_the_counts_stay(
    api: httpx.Client, account: Account, redis_sync: redis.Redis, redis_server: RedisServer
) -> None:
    site = _site(api, account, domain=_domain(), timezone="UTC")
    now = int(time.time() * 1000)
    old = [make_event(eventTime=now - (40 + n) * 86_400_000) for n in range(3)]
    recent = [make_event(eventTime=now - n * 3_600_000) for n in range(1, 3)]
    assert send(api, site["apiKey"], old + recent).status_code == 202
    assert wait_for_stored(redis_sync, site["id"], 5) == 5
    compact(redis_server, [site["id"]])  # the worker's own compaction waits for more rows
    since = time.strftime("%Y-%m-%d", time.gmtime(now / 1000 - 50 * 86_400))
    params = {"site": site["id"], "from": since}

    response = api.patch(f"/api/v1/sites/{site['id']}", json={"retentionDays": 30},
                         headers=account.auth())  # fmt: skip

    assert response.status_code == 200
    deadline = time.monotonic() + 30
    oldest_kept = now // 86_400_000 - 30  # a UTC day number

    def days() -> list[int]:
        return [int(day) for day in redis_sync.hkeys(keys.columnar_catalog(site["id"]))]

    while min(days()) < oldest_kept:
        assert time.monotonic() < deadline, "the worker did not apply the retention"
        time.sleep(0.2)
    listed = api.get("/api/v1/events", params={"site": site["id"]}, headers=account.auth())
    assert sorted(e["eventId"] for e in listed.json()["data"]["items"]) == sorted(
        e["eventId"] for e in recent
    )
    summary = api.get("/api/v1/stats/summary", params=params, headers=account.auth())
    assert summary.json()["data"]["events"] == 5  # the rollups still count the deleted days


def test_rotating_a_sites_key_refuses_the_old_one_and_leaves_others_alone(
    api: httpx.Client, account: Account, redis_sync: redis.Redis
) -> None:
    site = _site(api, account)
    response = api.post(f"/api/v1/sites/{site['id']}/api-key", headers=account.auth())
    assert response.status_code == 200
    new_key = response.json()["data"]["apiKey"]
    assert redis_sync.get(keys.api_key(site["apiKey"])) is None
    assert redis_sync.get(keys.api_key(new_key)) == site["id"]
    assert redis_sync.get(keys.api_key(account.user["apiKey"])) == account.user["id"]
    assert (
        api.get(f"/api/v1/sites/{site['id']}", headers=account.auth()).json()["data"]["apiKey"]
        == new_key
    )


def test_ingestion_resolves_each_key_to_its_site_and_its_origins(
    api: httpx.Client, account: Account
) -> None:
    site = _site(api, account, allowedOrigins=["https://blog.example.com"])
    event = make_event()
    refused = send(api, site["apiKey"], [event], headers={"Origin": "https://evil.example.com"})
    assert refused.status_code == 403
    # The first site allows any origin.
    accepted = send(api, account.user["apiKey"], [event],
                    headers={"Origin": "https://evil.example.com"})  # fmt: skip
    assert accepted.status_code == 202


def test_another_accounts_site_is_404_on_every_route(api: httpx.Client, account: Account) -> None:
    theirs = _site(api, register(api))
    base = f"/api/v1/sites/{theirs['id']}"
    for method, path in (("GET", base), ("PATCH", base), ("POST", f"{base}/api-key"),
                         ("DELETE", base)):  # fmt: skip
        body = {"name": "stolen"} if method == "PATCH" else None
        response = api.request(method, path, json=body, headers=account.auth())
        assert response.status_code == 404, (method, path, response.text)
    for path in ("/api/v1/stats/overview", "/api/v1/stats/summary", "/api/v1/stats/daily",
                 "/api/v1/stats/realtime", "/api/v1/events", "/api/v1/events/export",
                 "/api/v1/events/live"):  # fmt: skip
        for site_id in (theirs["id"], "01NOSUCHSITE0000000000000", "x} | @site:{*"):
            response = api.get(path, params={"site": site_id}, headers=account.auth())
            assert response.status_code == 404, (path, site_id, response.text)


def test_the_last_site_cannot_be_deleted(api: httpx.Client, account: Account) -> None:
    response = api.delete(f"/api/v1/sites/{account.user['id']}", headers=account.auth())
    assert response.status_code == 409
    assert response.json()["errors"]["message"]


def test_deleting_a_site_refuses_its_key_at_once_and_frees_its_domain(
    api: httpx.Client, account: Account, redis_sync: redis.Redis
) -> None:
    domain = _domain()
    site = _site(api, account, domain=domain)
    assert send(api, site["apiKey"], [make_event()]).status_code == 202
    response = api.delete(f"/api/v1/sites/{site['id']}", headers=account.auth())
    assert response.status_code == 200
    assert response.json() == {"data": {}, "errors": None}
    # Refused within the key cache's second (API_KEY_CACHE_SECONDS); anything accepted in that
    # second is dropped by the worker, since the site is marked gone.
    assert _refused_within(api, site["apiKey"], seconds=1.5)
    assert api.get(f"/api/v1/sites/{site['id']}", headers=account.auth()).status_code == 404
    listed = api.get("/api/v1/sites", headers=account.auth()).json()["data"]
    assert [s["id"] for s in listed] == [account.user["id"]]
    assert _site(api, register(api), domain=domain)["domain"] == domain
    assert redis_sync.exists(keys.site_gone(site["id"]))


def test_deleting_the_first_site_makes_the_next_one_first(
    api: httpx.Client, account: Account
) -> None:
    second = _site(api, account, timezone="Asia/Kolkata")
    assert (
        api.delete(f"/api/v1/sites/{account.user['id']}", headers=account.auth()).status_code == 200
    )
    me = api.get("/api/v1/users/me", headers=account.auth()).json()["data"]
    assert (me["apiKey"], me["timezone"]) == (second["apiKey"], "Asia/Kolkata")
    assert _refused_within(api, account.user["apiKey"], seconds=1.5)


def test_clearing_the_origins_leaves_an_empty_list(api: httpx.Client, account: Account) -> None:
    site = _site(api, account, allowedOrigins=["https://a.example.com"])
    path = f"/api/v1/sites/{site['id']}"
    response = api.patch(path, json={"allowedOrigins": []}, headers=account.auth())
    assert response.status_code == 200, response.text
    assert response.json()["data"]["allowedOrigins"] == []
    me = api.patch("/api/v1/users/me", json={"allowedOrigins": []}, headers=account.auth())
    assert me.status_code == 200, me.text
    assert me.json()["data"]["allowedOrigins"] == []


def test_an_internationalised_origin_matches_what_browsers_send(
    api: httpx.Client, account: Account
) -> None:
    site = _site(api, account, allowedOrigins=["https://bücher.example"])
    assert site["allowedOrigins"] == ["https://xn--bcher-kva.example"]
    accepted = send(api, site["apiKey"], [make_event()],
                    headers={"Origin": "https://xn--bcher-kva.example"})  # fmt: skip
    assert accepted.status_code == 202
