"""The drop-in routes through the real gateway: the seed's SDK, Plausible's and Umami's trackers
land in the right site, through the one pipeline, and unknown sites are dropped with the
tracker's own signal (never a 5xx)."""

from __future__ import annotations

import base64
import time
import uuid
from typing import Any

import httpx
import orjson
import pytest
import redis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.support.accounts import Account, fresh_ip, register
from tests.support.events import (
    CHROME,
    GOOGLEBOT,
    IPHONE,
    context_of,
    stored_events,
    wait_for_stored,
)
from tracking_system.common import keys

SEED = "/api/tracking-service/v1/public/events/"
PLAUSIBLE = "/api/event"
UMAMI = "/api/send"
PAGE_ORIGIN = "https://blog.example"


@pytest.fixture
def account(api: httpx.Client) -> Account:
    return register(api)


def _with_domain(api: httpx.Client, account: Account) -> str:
    domain = f"d{uuid.uuid4().hex[:10]}.example"
    response = api.patch(
        f"/api/v1/sites/{account.user['id']}",
        json={"domain": f"https://www.{domain}/"},
        headers=account.auth(),
    )
    assert response.status_code == 200, response.text
    return domain


def _client_headers(ip: str, agent: str = CHROME, **more: str) -> dict[str, str]:
    return {"User-Agent": agent, "X-Forwarded-For": ip, "Origin": PAGE_ORIGIN, **more}


def _events(redis_sync: redis.Redis, site_id: str, n: int) -> list[dict[str, str]]:
    assert wait_for_stored(redis_sync, site_id, n) == n
    time.sleep(0.3)  # nothing more arrives
    events = stored_events(redis_sync, site_id)
    assert len(events) == n
    return sorted(events, key=lambda e: int(e["eventTime"]))


# --- the seed's inline SDK -----------------------------------------------------------------


def test_the_seed_snippet_request_is_stored_and_answered_as_the_seed_did(
    api: httpx.Client, account: Account, redis_sync: redis.Redis
) -> None:
    body = {
        "apiKey": account.user["apiKey"],
        "eventName": "Signup",
        "context": {"plan": "pro"},
        "userId": "u-7",
        "sessionId": "s-7",
        "page": "https://blog.example/pricing?utm_source=news",
        "referrer": "https://search.example/q",
        "eventTime": int(time.time() * 1000),
    }
    response = api.post(
        SEED, content=orjson.dumps(body),
        headers={**_client_headers(fresh_ip()), "Content-Type": "application/json"},
    )  # fmt: skip
    assert response.status_code == 201
    assert response.json() == {"data": {}, "errors": None}
    assert response.headers["access-control-allow-origin"] == "*"
    (stored,) = _events(redis_sync, account.user["id"], 1)
    assert (stored["eventName"], stored["userId"], stored["sessionId"]) == ("Signup", "u-7", "s-7")
    assert stored["path"] == "/pricing"
    assert stored["utmSource"] == "news"
    assert context_of(stored)["plan"] == "pro"


def test_the_seed_route_takes_its_loose_spellings(
    api: httpx.Client, account: Account, redis_sync: redis.Redis
) -> None:
    body = {"apiKey": account.user["apiKey"], "eventName": "PAGE_VIEW", "context": '{"a": 1}',
            "userId": "", "sessionId": "s-8", "page": "/home", "referrer": "",
            "eventTime": "2026-01-02T03:04:05.000Z"}  # fmt: skip
    assert api.post(SEED, json=body).status_code == 201
    (stored,) = _events(redis_sync, account.user["id"], 1)
    assert stored["eventTime"] == "1767323045000"
    assert stored["userId"] == "temp:s-8"
    assert context_of(stored)["a"] == "1"


def test_the_seed_route_refuses_like_the_contract(api: httpx.Client, account: Account) -> None:
    unknown = api.post(SEED, json={"apiKey": "ts_nope", "eventName": "x", "sessionId": "s",
                                   "page": "/", "eventTime": 1})  # fmt: skip
    assert unknown.status_code == 401
    invalid = api.post(SEED, json={"apiKey": account.user["apiKey"], "eventName": "x"})
    assert invalid.status_code == 400
    assert set(invalid.json()["errors"]) == {"sessionId", "page", "eventTime"}
    assert api.post(SEED, content=b"{nope").status_code == 400


def test_the_seed_route_answers_the_cors_preflight(api: httpx.Client) -> None:
    response = api.options(
        SEED,
        headers={"Origin": PAGE_ORIGIN, "Access-Control-Request-Method": "POST",
                 "Access-Control-Request-Headers": "content-type"},
    )  # fmt: skip
    assert response.status_code == 204
    assert response.headers["access-control-allow-origin"] == "*"
    assert "content-type" in response.headers["access-control-allow-headers"]


# --- Plausible -------------------------------------------------------------------------------


def _plausible(api: httpx.Client, payload: dict[str, Any], headers: dict[str, str]) -> Any:
    return api.post(
        PLAUSIBLE, content=orjson.dumps(payload), headers={**headers, "Content-Type": "text/plain"}
    )


def test_plausible_events_land_in_the_site_of_their_domain(
    api: httpx.Client, account: Account, redis_sync: redis.Redis
) -> None:
    domain = _with_domain(api, account)
    visitor = _client_headers(fresh_ip())
    url = f"https://{domain}/post?utm_source=mastodon&utm_campaign=launch"
    first = _plausible(api, {"n": "pageview", "u": url, "d": domain.upper(),
                             "r": "https://news.example/item", "v": 36}, visitor)  # fmt: skip
    assert (first.status_code, first.text) == (202, "ok")
    assert "x-plausible-dropped" not in first.headers
    _plausible(api, {"n": "Signup", "u": url, "d": domain, "p": {"plan": "pro"}}, visitor)
    _plausible(api, {"n": "Download", "u": url, "d": domain, "m": '{"file":"a.pdf"}',
                     "$": {"amount": "9.5", "currency": "EUR"}}, visitor)  # fmt: skip
    # Time on page is not an event of this model.
    ping = _plausible(api, {"n": "engagement", "u": url, "d": domain, "sd": 40, "e": 3000}, visitor)
    assert ping.status_code == 202
    other = _plausible(
        api, {"n": "pageview", "u": url, "d": domain}, {**visitor, "User-Agent": IPHONE}
    )
    assert other.status_code == 202

    events = _events(redis_sync, account.user["id"], 4)
    assert [e["eventName"] for e in events].count("PAGE_VIEW") == 2
    page_view, signup, download, second_visitor = events
    assert (page_view["utmSource"], page_view["utmCampaign"]) == ("mastodon", "launch")
    assert page_view["referrerDomain"] == "news.example"
    assert context_of(signup)["plan"] == "pro"
    assert context_of(download)["file"] == "a.pdf"
    assert orjson.loads(download["_context"])["$revenue"] == {"amount": "9.5", "currency": "EUR"}
    # One visitor, one session: a daily salted hash of site, address and agent, nothing of them.
    assert page_view["userId"] == signup["userId"] == download["userId"]
    assert page_view["sessionId"] == signup["sessionId"] == download["sessionId"]
    assert second_visitor["userId"] != page_view["userId"]
    assert visitor["X-Forwarded-For"] not in page_view["userId"]


def test_plausible_drops_unknown_domains_and_bots_with_its_header(
    api: httpx.Client, account: Account, redis_sync: redis.Redis
) -> None:
    domain = _with_domain(api, account)
    visitor = _client_headers(fresh_ip())
    unknown = _plausible(api, {"n": "pageview", "u": "https://x.example/", "d": "nobody.example"},
                         visitor)  # fmt: skip
    assert (unknown.status_code, unknown.text, unknown.headers["x-plausible-dropped"]) == (
        202, "ok", "1",
    )  # fmt: skip
    bot = _plausible(api, {"n": "pageview", "u": f"https://{domain}/", "d": domain},
                     {**visitor, "User-Agent": GOOGLEBOT})  # fmt: skip
    assert (bot.status_code, bot.headers["x-plausible-dropped"]) == (202, "1")
    two = f"{domain},gone.example"
    both = _plausible(api, {"n": "pageview", "u": f"https://{domain}/", "d": two}, visitor)
    assert (both.status_code, both.headers["x-plausible-dropped"]) == (202, "1")
    events = _events(redis_sync, account.user["id"], 2)
    assert sorted(e["bot"] for e in events) == ["0", "1"]


def test_plausible_field_errors_are_plausibles(api: httpx.Client) -> None:
    visitor = _client_headers(fresh_ip())
    missing = _plausible(api, {"u": "https://a.example/"}, visitor)
    assert missing.status_code == 400
    assert missing.json() == {"errors": {"name": ["can't be blank"], "domain": ["can't be blank"]}}
    bad_props = _plausible(api, {"n": "x", "u": "/", "d": "a.example", "p": "[1]"}, visitor)
    assert bad_props.json()["errors"] == {"props": ["must be a JSON object"]}
    garbage = api.post(PLAUSIBLE, content=b"\xff\x00", headers={"Content-Type": "text/plain"})
    assert garbage.status_code == 400
    assert "request" in garbage.json()["errors"]


def test_a_plausible_url_that_is_not_one_is_a_400_on_url(
    api: httpx.Client, account: Account
) -> None:
    domain = _with_domain(api, account)
    response = _plausible(api, {"n": "pageview", "u": "javascript:alert(1)", "d": domain},
                          _client_headers(fresh_ip()))  # fmt: skip
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["url"]


# --- Umami -----------------------------------------------------------------------------------


def _umami(api: httpx.Client, body: dict[str, Any], headers: dict[str, str]) -> httpx.Response:
    return api.post(UMAMI, json=body, headers=headers)


def test_umami_events_identify_and_cache(
    api: httpx.Client, account: Account, redis_sync: redis.Redis
) -> None:
    site = account.user["id"]
    visitor = _client_headers(fresh_ip())
    base = {"website": site, "hostname": "blog.example", "screen": "1280x800", "language": "en",
            "title": "Home"}  # fmt: skip
    landing = {**base, "url": "/?utm_medium=email", "referrer": "https://mail.example/"}
    view = _umami(api, {"type": "event", "payload": landing}, visitor)
    assert view.status_code == 200
    answer = view.json()
    assert set(answer) == {"cache", "sessionId", "visitId"}
    # Umami 2.10's tracker sends back the whole answer as the cache.
    cache = {"x-umami-cache": view.text}
    cta = {**base, "url": "/", "name": "cta", "data": {"place": "hero"}}
    click = _umami(api, {"type": "event", "payload": cta}, {**visitor, **cache})
    assert click.json()["visitId"] == answer["visitId"]
    who = _umami(
        api, {"type": "identify", "payload": {**base, "id": "member-9"}}, {**visitor, **cache}
    )
    assert who.status_code == 200
    # A new address, but the token names the visitor: the identified user carries on.
    moved = {**_client_headers(fresh_ip()), "x-umami-cache": who.json()["cache"]}
    nav = _umami(
        api, {"type": "event", "payload": {**base, "url": "/about", "referrer": "/"}}, moved
    )
    assert nav.json()["sessionId"] == answer["sessionId"]

    view_e, click_e, nav_e = _events(redis_sync, site, 3)
    assert (view_e["eventName"], click_e["eventName"], nav_e["eventName"]) == (
        "PAGE_VIEW", "cta", "PAGE_VIEW",
    )  # fmt: skip
    assert view_e["page"] == "https://blog.example/?utm_medium=email"
    assert view_e["utmMedium"] == "email"
    assert context_of(click_e)["place"] == "hero"
    assert view_e["userId"] == click_e["userId"] == answer["sessionId"]
    assert nav_e["userId"] == "member-9"
    assert nav_e["path"] == "/about"
    assert not nav_e.get("referrerDomain")  # the previous page of the same site
    assert view_e["sessionId"] == click_e["sessionId"] == nav_e["sessionId"] == answer["visitId"]


def test_umami_never_trusts_a_forged_cache(
    api: httpx.Client, account: Account, redis_sync: redis.Redis
) -> None:
    site = account.user["id"]
    visitor = _client_headers(fresh_ip())
    body = orjson.dumps({"s": site, "v": "victim", "i": "x", "u": "admin", "t": int(time.time())})
    forged = base64.urlsafe_b64encode(body).decode().rstrip("=") + ".c2lnbmF0dXJl"
    response = _umami(api, {"payload": {"website": site, "url": "/"}},
                      {**visitor, "x-umami-cache": forged})  # fmt: skip
    assert response.status_code == 200
    assert response.json()["sessionId"] != "victim"
    (stored,) = _events(redis_sync, site, 1)
    assert stored["userId"] not in ("victim", "admin")


def test_umami_unknown_websites_bots_and_bad_payloads(
    api: httpx.Client, account: Account, redis_sync: redis.Redis
) -> None:
    visitor = _client_headers(fresh_ip())
    for website in ("01NOSUCHSITE000000000000000", "x}y", "a" * 100):
        unknown = _umami(api, {"type": "event", "payload": {"website": website, "url": "/"}},
                         visitor)  # fmt: skip
        assert (unknown.status_code, unknown.text) == (400, "Website not found.")
    bot = _umami(api, {"type": "event", "payload": {"website": account.user["id"], "url": "/"}},
                 {**visitor, "User-Agent": GOOGLEBOT})  # fmt: skip
    assert (bot.status_code, bot.json()) == (200, {"beep": "boop"})
    assert _umami(api, {"type": "nope", "payload": {}}, visitor).status_code == 400
    assert _umami(api, {"type": "event"}, visitor).status_code == 400
    assert api.post(UMAMI, content=b"[]").status_code == 400
    (stored,) = _events(redis_sync, account.user["id"], 1)
    assert stored["bot"] == "1"


def test_the_sdk_may_name_its_site_by_domain_or_id(
    api: httpx.Client, account: Account, redis_sync: redis.Redis
) -> None:
    domain = _with_domain(api, account)
    event = {"sessionId": "s", "eventTime": int(time.time() * 1000), "eventName": "PAGE_VIEW",
             "page": "/"}  # fmt: skip
    for ref in (f"domain:{domain}", f"site:{account.user['id']}"):
        response = api.post(
            "/api/v1/events", json={"apiKey": ref, "events": [{**event, "apiKey": ref}]}
        )
        assert response.status_code == 202, response.text
    for ref in ("domain:nobody.example", "site:nobody", "site:a}b"):
        assert api.post("/api/v1/events", json={"apiKey": ref, **event}).status_code == 401
    _events(redis_sync, account.user["id"], 2)


def test_a_deleted_site_is_unknown_to_every_route(api: httpx.Client, account: Account) -> None:
    doomed = {"name": "Doomed", "domain": f"z{uuid.uuid4().hex[:8]}.example"}
    created = api.post("/api/v1/sites", json=doomed, headers=account.auth())
    site = created.json()["data"]
    assert api.delete(f"/api/v1/sites/{site['id']}", headers=account.auth()).status_code == 200
    time.sleep(1.1)  # the resolver's cache
    umami = _umami(
        api, {"payload": {"website": site["id"], "url": "/"}}, _client_headers(fresh_ip())
    )
    assert umami.status_code == 400
    plausible = _plausible(api, {"n": "pageview", "u": "/", "d": site["domain"]},
                           _client_headers(fresh_ip()))  # fmt: skip
    assert plausible.headers["x-plausible-dropped"] == "1"


def test_salts_expire_and_visits_end_after_30_idle_minutes(
    api: httpx.Client, account: Account, redis_sync: redis.Redis
) -> None:
    domain = _with_domain(api, account)
    visitor = _client_headers(fresh_ip())
    page = {"n": "pageview", "u": f"https://{domain}/", "d": domain}
    _plausible(api, page, visitor)
    salts = list(redis_sync.scan_iter(match=keys.VISITOR_SALT_PREFIX + "*"))
    assert salts
    assert all(0 < int(redis_sync.ttl(s)) <= keys.VISITOR_SALT_TTL_SECONDS for s in salts)
    visits = list(redis_sync.scan_iter(match=keys.visit_prefix(account.user["id"]) + "*"))
    assert len(visits) == 1
    assert 0 < int(redis_sync.ttl(visits[0])) <= keys.VISIT_IDLE_SECONDS
    redis_sync.delete(visits[0])  # 30 minutes later
    _plausible(api, page, visitor)
    first, second = _events(redis_sync, account.user["id"], 2)
    assert first["userId"] == second["userId"]
    assert first["sessionId"] != second["sessionId"]


# --- whatever a tracker sends: never a 5xx ---------------------------------------------------

_json = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**63), 2**63 - 1) | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=6,
)


def _documents(fields: list[str]) -> st.SearchStrategy[bytes]:
    documents = st.dictionaries(st.sampled_from(fields), _json) | _json
    return documents.map(orjson.dumps) | st.binary(max_size=40)


@pytest.mark.parametrize(
    ("path", "fields"),
    [
        (SEED, ["apiKey", "eventName", "context", "userId", "sessionId", "page", "eventTime"]),
        (PLAUSIBLE, ["n", "u", "d", "r", "p", "m", "props", "$", "h", "i"]),
        (UMAMI, ["type", "payload", "website"]),
    ],
)
def test_drop_in_routes_never_answer_5xx(api: httpx.Client, path: str, fields: list[str]) -> None:
    @settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
    @given(body=_documents(fields), cache=st.none() | st.text(max_size=30))
    def check(body: bytes, cache: str | None) -> None:
        headers = {"Content-Type": "text/plain", "X-Forwarded-For": fresh_ip()}
        # What HTTP can carry: printable ASCII, no whitespace around it (clients refuse it).
        if cache is not None and cache.isascii() and cache.isprintable() and cache == cache.strip():
            headers["x-umami-cache"] = cache
        response = api.post(path, content=body, headers=headers)
        assert response.status_code < 500, (body, response.text)

    check()
