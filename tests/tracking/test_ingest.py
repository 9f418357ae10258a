"""POST /api/v1/events through the real gateway: every rule and status of the contract."""

from __future__ import annotations

import gzip
import time
from typing import Any

import httpx
import orjson
import pytest
import redis

from tests.support.accounts import Account, register
from tests.support.events import (
    CHROME,
    GOOGLEBOT,
    IPHONE,
    context_of,
    make_event,
    now_ms,
    send,
    stored_events,
    wait_for_stored,
)
from tests.support.system import System
from tracking_system.common import keys

# Runs once more on a 3-shard Redis Cluster (TEST_REDIS_SHARDS=3).
pytestmark = pytest.mark.on_cluster


@pytest.fixture
def account(api: httpx.Client) -> Account:
    return register(api)


def _key(account: Account) -> str:
    return str(account.user["apiKey"])


def test_single_event_is_accepted_and_stored_as_sent(
    api: httpx.Client, account: Account, redis_sync: redis.Redis
) -> None:
    event = make_event(eventName="Signup Clicked", context={"plan": "pro", "seats": 3})
    response = api.post(
        "/api/v1/events", json={"apiKey": _key(account), **event}, headers={"User-Agent": CHROME}
    )
    assert response.status_code == 202
    assert response.json() == {
        "data": {"accepted": 1, "rejected": [], "excluded": {}},
        "errors": None,
    }
    assert wait_for_stored(redis_sync, account.user["id"], 1) == 1
    (stored,) = stored_events(redis_sync, account.user["id"])
    assert stored["eventName"] == "Signup Clicked"
    assert stored["eventId"] == event["eventId"]
    assert stored["sessionId"] == "session-1"
    assert stored["userId"] == "user-1"
    assert stored["eventTime"] == str(event["eventTime"])
    assert stored["page"] == "https://shop.example.com/pricing"
    assert stored["path"] == "/pricing"
    assert stored["browser"] == "Chrome"
    assert stored["os"] == "Windows"
    assert stored["device"] == "desktop"
    assert stored["bot"] == "0"
    assert stored["_context"] == '{"plan":"pro","seats":3}'
    assert context_of(stored)["plan"] == "pro"


def test_page_view_keeps_its_case(
    api: httpx.Client, account: Account, redis_sync: redis.Redis
) -> None:
    send(api, _key(account), [make_event(eventName="PAGE_VIEW"), make_event(eventName="page_view")])
    wait_for_stored(redis_sync, account.user["id"], 2)
    names = sorted(e["eventName"] for e in stored_events(redis_sync, account.user["id"]))
    assert names == ["PAGE_VIEW", "page_view"]


def test_batch_as_text_plain_like_send_beacon(
    api: httpx.Client, account: Account, redis_sync: redis.Redis
) -> None:
    import orjson

    body = orjson.dumps({"apiKey": _key(account), "events": [make_event() for _ in range(50)]})
    response = api.post(
        "/api/v1/events",
        content=body,
        headers={"Content-Type": "text/plain;charset=UTF-8", "User-Agent": CHROME},
    )
    assert response.status_code == 202
    assert response.json()["data"]["accepted"] == 50
    assert wait_for_stored(redis_sync, account.user["id"], 50) == 50


def test_api_key_in_a_header(api: httpx.Client, account: Account, redis_sync: redis.Redis) -> None:
    response = api.post(
        "/api/v1/events",
        json=make_event(),
        headers={"X-Api-Key": _key(account), "User-Agent": CHROME},
    )
    assert response.status_code == 202
    assert wait_for_stored(redis_sync, account.user["id"], 1) == 1


def test_unknown_api_key_is_401(api: httpx.Client) -> None:
    response = send(api, "ts_not-a-real-key", [make_event()])
    assert response.status_code == 401
    assert response.json() == {"data": None, "errors": {"apiKey": "Unknown API key"}}


def test_missing_api_key_is_401(api: httpx.Client) -> None:
    response = api.post("/api/v1/events", json=make_event())
    assert response.status_code == 401
    assert "apiKey" in response.json()["errors"]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"sessionId": None}, "sessionId"),
        ({"sessionId": ""}, "sessionId"),
        ({"sessionId": 12}, "sessionId"),
        ({"sessionId": "s" * 129}, "sessionId"),
        ({"userId": "u" * 257}, "userId"),
        ({"userId": ["a"]}, "userId"),
        ({"eventName": None}, "eventName"),
        ({"eventName": "n" * 257}, "eventName"),
        ({"eventName": "tab\there"}, "eventName"),
        ({"eventTime": None}, "eventTime"),
        ({"eventTime": "yesterday"}, "eventTime"),
        ({"eventTime": True}, "eventTime"),
        ({"eventTime": -1}, "eventTime"),
        ({"eventTime": 1.5}, "eventTime"),
        ({"eventTime": 2**60}, "eventTime"),
        ({"page": None}, "page"),
        ({"page": "not a url"}, "page"),
        ({"page": "javascript:alert(1)"}, "page"),
        ({"page": "https://a.example/" + "p" * 2040}, "page"),
        ({"referrer": "nowhere"}, "referrer"),
        ({"context": "plan=pro"}, "context"),
        ({"context": [1, 2]}, "context"),
        ({"context": {"blob": "x" * 9000}}, "context"),
        ({"eventId": "e" * 129}, "eventId"),
        ({"apiKey": "ts_someone-elses"}, "apiKey"),
        ({"userAgent": "M" * 1025}, "userAgent"),
        ({"userAgent": "Mozilla/5.0\r\nX: y"}, "userAgent"),
        ({"userAgent": 5}, "userAgent"),
    ],
)
def test_each_invalid_field_is_named(
    api: httpx.Client, account: Account, change: dict[str, Any], field: str
) -> None:
    event = {**make_event(), **change}
    event = {k: v for k, v in event.items() if v is not None}
    response = api.post(
        "/api/v1/events", json=event, headers={"X-Api-Key": _key(account), "User-Agent": CHROME}
    )
    assert response.status_code == 400, response.text
    errors = response.json()["errors"]
    assert set(errors) == {field}
    assert isinstance(errors[field], str)
    assert errors[field]


def test_batch_with_some_invalid_events_accepts_the_rest(
    api: httpx.Client, account: Account, redis_sync: redis.Redis
) -> None:
    events = [make_event(), {"sessionId": "x"}, make_event(), make_event(eventTime="soon")]
    response = send(api, _key(account), events)
    assert response.status_code == 202
    data = response.json()["data"]
    assert data["accepted"] == 2
    assert [r["index"] for r in data["rejected"]] == [1, 3]
    assert "eventName" in data["rejected"][0]["errors"]
    assert set(data["rejected"][1]["errors"]) == {"eventTime"}
    assert wait_for_stored(redis_sync, account.user["id"], 2) == 2


def test_batch_with_no_valid_event_is_400_listing_each(api: httpx.Client, account: Account) -> None:
    events: list[Any] = [{"sessionId": 1}, "text"]
    response = send(api, _key(account), events)
    assert response.status_code == 400
    errors = response.json()["errors"]["events"]
    assert [e["index"] for e in errors] == [0, 1]
    assert errors[1]["errors"] == {"event": "Must be a JSON object"}


def test_future_event_time_is_replaced_by_receive_time(
    api: httpx.Client, account: Account, redis_sync: redis.Redis
) -> None:
    before = now_ms()
    send(api, _key(account), [make_event(eventTime=before + 3_600_000)])
    wait_for_stored(redis_sync, account.user["id"], 1)
    (stored,) = stored_events(redis_sync, account.user["id"])
    assert before <= int(stored["eventTime"]) <= now_ms()


def test_slightly_future_and_old_times_are_kept(
    api: httpx.Client, account: Account, redis_sync: redis.Redis
) -> None:
    soon, old = now_ms() + 60_000, 978_307_200_000  # a minute ahead; 2001-01-01
    send(api, _key(account), [make_event(eventTime=soon), make_event(eventTime=old)])
    wait_for_stored(redis_sync, account.user["id"], 2)
    times = sorted(int(e["eventTime"]) for e in stored_events(redis_sync, account.user["id"]))
    assert times == [old, soon]


def test_missing_user_id_becomes_a_temporary_id_from_the_session(
    api: httpx.Client, account: Account, redis_sync: redis.Redis
) -> None:
    send(api, _key(account), [make_event(userId=None, sessionId="abc")])
    wait_for_stored(redis_sync, account.user["id"], 1)
    assert stored_events(redis_sync, account.user["id"])[0]["userId"] == "temp:abc"


def test_more_than_500_events_is_413(api: httpx.Client, account: Account) -> None:
    response = send(api, _key(account), [make_event() for _ in range(501)])
    assert response.status_code == 413
    assert "events" in response.json()["errors"]


def test_body_over_512_kb_is_413_before_parsing(api: httpx.Client, account: Account) -> None:
    response = api.post(
        "/api/v1/events",
        content=b"{" + b" " * (512 * 1024) + b"}",
        headers={"X-Api-Key": _key(account), "Content-Type": "application/json"},
    )
    assert response.status_code == 413


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (b"", "application/json"),
        (b"{not json", "application/json"),
        (b"\xff\xfe\xfa", "text/plain"),
        (b'{"apiKey": "k", "events": "many"}', "application/json"),
        (b'{"apiKey": "k", "events": []}', "application/json"),
        (b"[]", "application/json"),
        (b"a=1", "application/x-www-form-urlencoded"),
    ],
)
def test_malformed_bodies_are_400(
    api: httpx.Client, account: Account, body: bytes, content_type: str
) -> None:
    response = api.post(
        "/api/v1/events",
        content=body,
        headers={"X-Api-Key": _key(account), "Content-Type": content_type},
    )
    assert response.status_code == 400, response.text
    assert response.json()["data"] is None
    assert response.json()["errors"]


def test_allowed_origins_are_enforced(
    api: httpx.Client, account: Account, redis_sync: redis.Redis
) -> None:
    api.patch(
        "/api/v1/users/me",
        json={"allowedOrigins": ["https://shop.example.com"]},
        headers=account.auth(),
    ).raise_for_status()
    time.sleep(1.1)  # the API key cache of the tracking service
    refused = send(api, _key(account), [make_event()], headers={"Origin": "https://evil.example"})
    assert refused.status_code == 403
    assert refused.headers["access-control-allow-origin"] == "*"
    allowed = send(
        api, _key(account), [make_event()], headers={"Origin": "https://shop.example.com"}
    )
    assert allowed.status_code == 202
    server_side = send(api, _key(account), [make_event()])
    assert server_side.status_code == 202
    assert wait_for_stored(redis_sync, account.user["id"], 2) == 2


def test_each_key_is_rate_limited(api: httpx.Client, account: Account) -> None:
    statuses = []
    for _ in range(12):
        response = send(api, _key(account), [make_event() for _ in range(500)])
        statuses.append(response.status_code)
        if response.status_code == 429:
            assert int(response.headers["Retry-After"]) >= 1
            assert response.json()["errors"]["message"]
            break
    assert statuses[-1] == 429, statuses
    assert set(statuses[:-1]) == {202}


def test_same_event_id_is_stored_once(
    api: httpx.Client, account: Account, redis_sync: redis.Redis
) -> None:
    event = make_event(eventId="retry-me")
    for _ in range(3):
        assert send(api, _key(account), [event]).status_code == 202
    send(api, _key(account), [make_event()])
    assert wait_for_stored(redis_sync, account.user["id"], 2) == 2
    time.sleep(0.5)
    ids = [e["eventId"] for e in stored_events(redis_sync, account.user["id"])]
    assert ids.count("retry-me") == 1


def test_event_ids_are_scoped_to_the_account(api: httpx.Client, redis_sync: redis.Redis) -> None:
    first, second = register(api), register(api)
    send(api, _key(first), [make_event(eventId="shared-id")])
    send(api, _key(second), [make_event(eventId="shared-id")])
    assert wait_for_stored(redis_sync, first.user["id"], 1) == 1
    assert wait_for_stored(redis_sync, second.user["id"], 1) == 1


def test_enrichment_of_agent_referrer_utm_and_country(
    api: httpx.Client, account: Account, redis_sync: redis.Redis
) -> None:
    event = make_event(
        page="https://shop.example.com/landing?utm_source=newsletter&utm_medium=email"
        "&utm_campaign=black-friday",
        referrer="https://www.google.com/search?q=shop",
    )
    send(api, _key(account), [event], user_agent=IPHONE, headers={"X-Forwarded-For": "8.8.8.8"})
    wait_for_stored(redis_sync, account.user["id"], 1)
    (stored,) = stored_events(redis_sync, account.user["id"])
    assert stored["browser"] == "Mobile Safari"
    assert stored["os"] == "iOS"
    assert stored["device"] == "mobile"
    assert stored["referrerDomain"] == "google.com"
    assert stored["utmSource"] == "newsletter"
    assert stored["utmMedium"] == "email"
    assert stored["utmCampaign"] == "black-friday"
    assert stored["country"] == "US"
    assert "ip" not in stored
    assert "userAgent" not in stored  # only what was parsed from it


def test_the_stream_never_holds_the_client_address(
    system: System, api: httpx.Client, account: Account, redis_sync: redis.Redis
) -> None:
    """The stream lands in the AOF: it carries the country, never the address."""
    system.stop("worker")  # so the entry is still in the stream to be read
    try:
        response = send(api, _key(account), [make_event(eventName="IP Probe")],
                        headers={"X-Forwarded-For": "8.8.4.4"})  # fmt: skip
        assert response.status_code == 202
        entries: Any = redis_sync.xrevrange(keys.EVENTS_STREAM, count=50)
    finally:
        system.start("worker")
    probes = [fields for _, fields in entries if "IP Probe" in fields["e"]]
    assert len(probes) == 1
    assert "8.8.4.4" not in str(probes[0])
    assert '"country":"US"' in probes[0]["e"]


def test_bots_are_flagged(api: httpx.Client, account: Account, redis_sync: redis.Redis) -> None:
    response = send(api, _key(account), [make_event()], user_agent=GOOGLEBOT)
    assert response.json()["data"]["excluded"] == {"bot": 1}
    wait_for_stored(redis_sync, account.user["id"], 1)
    (stored,) = stored_events(redis_sync, account.user["id"])
    assert stored["bot"] == "1"
    assert stored["device"] == "bot"


def test_internal_links_have_no_referrer_domain(
    api: httpx.Client, account: Account, redis_sync: redis.Redis
) -> None:
    send(api, _key(account), [make_event(referrer="https://shop.example.com/home")])
    wait_for_stored(redis_sync, account.user["id"], 1)
    assert "referrerDomain" not in stored_events(redis_sync, account.user["id"])[0]


def test_hindi_and_emoji_in_names_and_context(
    api: httpx.Client, account: Account, redis_sync: redis.Redis
) -> None:
    event = make_event(eventName="खरीदें 🛒", userId="उपयोगकर्ता-1", context={"टिप्पणी": "बढ़िया 👍"})
    assert send(api, _key(account), [event]).status_code == 202
    wait_for_stored(redis_sync, account.user["id"], 1)
    (stored,) = stored_events(redis_sync, account.user["id"])
    assert stored["eventName"] == "खरीदें 🛒"
    assert stored["userId"] == "उपयोगकर्ता-1"
    assert "बढ़िया 👍" in stored["_context"]


def test_stored_events_are_published_live(
    api: httpx.Client, account: Account, redis_sync: redis.Redis
) -> None:
    pubsub = redis_sync.pubsub()  # type: ignore[no-untyped-call]
    # A shard channel (SPUBLISH): a cluster keeps it on the site's shard.
    pubsub.ssubscribe(keys.live_channel(account.user["id"]))
    read = getattr(pubsub, "get_sharded_message", pubsub.get_message)  # a cluster's own method
    read(timeout=1)  # the subscription confirmation
    send(api, _key(account), [make_event(eventName="Live One")])
    message = None
    deadline = time.monotonic() + 10
    while message is None and time.monotonic() < deadline:
        message = read(timeout=1)
    pubsub.close()
    assert message is not None
    assert '"eventName":"Live One"' in str(message["data"])


def test_a_compressed_body_is_refused_with_a_clear_message(
    api: httpx.Client, account: Account
) -> None:
    body = gzip.compress(orjson.dumps({"apiKey": _key(account), "events": [make_event()]}))
    for headers in ({"Content-Encoding": "gzip"}, {}):
        response = api.post("/api/v1/events", content=body,
                            headers={"Content-Type": "application/json", **headers})  # fmt: skip
        assert response.status_code == 400
        assert "compress" in response.json()["errors"]["body"]


def test_an_over_deep_context_is_refused_naming_the_depth(
    api: httpx.Client, account: Account
) -> None:
    context: dict[str, Any] = {}
    inner = context
    for _ in range(40):
        inner["a"] = {}
        inner = inner["a"]
    response = send(api, _key(account), [make_event(context=context)])
    assert response.status_code == 400
    assert "levels of nesting" in str(response.json()["errors"])
