"""GET /api/v1/events through the real gateway: order, cursor paging, filters, bounds, isolation."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
import redis

from tests.support.accounts import Account, register
from tests.support.events import (
    IPHONE,
    make_event,
    now_ms,
    send_stored,
)
from tracking_system.common import keys
from tracking_system.tracking.explorer import COLUMNS, decode_cursor, encode_cursor


def _get(api: httpx.Client, account: Account, **params: Any) -> httpx.Response:
    return api.get("/api/v1/events", params=params, headers=account.auth())


def _items(api: httpx.Client, account: Account, **params: Any) -> list[dict[str, Any]]:
    response = _get(api, account, **params)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["errors"] is None
    items: list[dict[str, Any]] = body["data"]["items"]
    return items


def _ms(text: str, tz: str = "UTC") -> int:
    """Epoch ms of a local wall-clock time like '2024-03-10 00:30'."""
    moment = datetime.strptime(text, "%Y-%m-%d %H:%M").replace(tzinfo=ZoneInfo(tz))
    return int(moment.timestamp() * 1000)


@pytest.fixture
def account(api: httpx.Client) -> Account:
    return register(api)


def test_newest_first_with_the_stored_shape(
    api: httpx.Client, account: Account, redis_sync: redis.Redis
) -> None:
    base = now_ms() - 60_000
    events = [
        make_event(eventName=f"E{i}", eventTime=base + i * 1000, context={"n": i, "tags": ["a"]})
        for i in range(5)
    ]
    events.append(make_event(eventName="Plain", eventTime=base - 5000, referrer=None))
    send_stored(api, redis_sync, account, events)

    response = _get(api, account)
    assert response.status_code == 200
    body = response.json()
    assert body["errors"] is None
    assert body["data"]["nextCursor"] is None
    items = body["data"]["items"]
    assert [item["eventName"] for item in items] == ["E4", "E3", "E2", "E1", "E0", "Plain"]
    first = items[0]
    assert list(first) == list(COLUMNS)
    assert first["eventTime"] == base + 4000
    assert isinstance(first["createdAt"], int)
    assert first["context"] == {"n": 4, "tags": ["a"]}
    assert first["bot"] is False
    assert first["eventId"] == events[4]["eventId"]
    assert first["path"] == "/pricing"
    assert first["browser"] == "Chrome"
    assert items[-1]["context"] is None
    assert items[-1]["referrer"] is None
    # The id is the stored key's ULID; internal fields never leave the service.
    assert redis_sync.hget(keys.event(account.user["id"], first["id"]), "eventName") == "E4"
    for item in items:
        assert "site" not in item
        assert "_context" not in item
        assert not any(key.startswith("ctx_") for key in item)


def test_paging_visits_every_event_once_while_new_events_arrive(
    api: httpx.Client, account: Account, redis_sync: redis.Redis
) -> None:
    base = now_ms() - 3_600_000
    # 12 distinct milliseconds, 3 events in each: ties straddle page boundaries.
    original = [
        make_event(eventName=f"old-{t}-{k}", eventTime=base + t * 10)
        for t in range(12)
        for k in range(3)
    ]
    send_stored(api, redis_sync, account, original)

    seen: list[dict[str, Any]] = []
    cursor: str | None = None
    pages = 0
    while True:
        params: dict[str, Any] = {"limit": 5}
        if cursor:
            params["cursor"] = cursor
        response = _get(api, account, **params)
        assert response.status_code == 200, response.text
        data = response.json()["data"]
        pages += 1
        seen += data["items"]
        cursor = data["nextCursor"]
        if cursor is None:
            break
        assert len(data["items"]) == 5
        # New events between pages: newer ones, and one in the very millisecond of the cursor.
        cursor_time, _ = decode_cursor(cursor)
        send_stored(
            api,
            redis_sync,
            account,
            [make_event(eventName="new"), make_event(eventName="new-tie", eventTime=cursor_time)],
        )
        assert pages < 20

    originals = [item for item in seen if item["eventName"].startswith("old-")]
    assert len(originals) == len(original)
    assert len({item["id"] for item in originals}) == len(original)
    assert {item["eventId"] for item in originals} == {e["eventId"] for e in original}
    assert not any(item["eventName"] == "new" for item in seen)
    order = [(item["eventTime"], item["id"]) for item in seen]
    assert order == sorted(order, reverse=True)
    assert len(set(order)) == len(order)
    assert pages >= 8  # 36 originals, 5 a page, plus the arrivals that sort below a cursor


def test_cursor_is_opaque_and_checked(api: httpx.Client, account: Account) -> None:
    for bad in ("nope", "!!!", encode_cursor(1, "x") + "%%", "MTIzNA"):
        response = _get(api, account, cursor=bad)
        assert response.status_code == 400, bad
        assert "cursor" in response.json()["errors"]
    # A well-formed cursor of an unknown position is simply a position.
    assert _items(api, account, cursor=encode_cursor(now_ms(), "ZZZZ")) == []


def test_filters_by_name_page_user_session_and_dimensions(
    api: httpx.Client, account: Account, redis_sync: redis.Redis
) -> None:
    t = now_ms() - 10_000
    chrome = [
        make_event(eventName="PAGE_VIEW", eventTime=t, page="https://shop.example.com/pricing?x=1"),
        make_event(
            eventName="Signup", eventTime=t + 1, userId="u-2", sessionId="s-2",
            page="https://shop.example.com/docs?utm_source=news&utm_medium=email&utm_campaign=spring",
            referrer="https://www.google.com/search?q=x",
        ),
        make_event(eventName="page_view", eventTime=t + 2, page="/pricing"),
    ]  # fmt: skip
    send_stored(api, redis_sync, account, chrome, headers={"X-Forwarded-For": "8.8.8.8"})
    send_stored(api, redis_sync, account, [make_event(eventName="Phone", eventTime=t + 3)],
                user_agent=IPHONE)  # fmt: skip

    def names(**params: Any) -> list[str]:
        return [item["eventName"] for item in _items(api, account, **params)]

    assert names(eventName="PAGE_VIEW") == ["PAGE_VIEW"]  # case kept
    assert names(eventName="page_view") == ["page_view"]
    assert names(page="/pricing") == ["Phone", "page_view", "PAGE_VIEW"]
    assert names(page="https://elsewhere.example/pricing?y=2#top") == [
        "Phone", "page_view", "PAGE_VIEW",
    ]  # fmt: skip
    assert names(page="/docs") == ["Signup"]
    assert names(userId="u-2") == ["Signup"]
    assert names(sessionId="s-2") == ["Signup"]
    assert names(userId="u-2", eventName="PAGE_VIEW") == []
    assert names(filter="utmSource:news") == ["Signup"]
    assert names(filter="utmMedium:email") == ["Signup"]
    assert names(filter="utmCampaign:spring") == ["Signup"]
    assert names(filter="referrerDomain:google.com") == ["Signup"]
    assert names(filter="browser:Mobile Safari") == ["Phone"]
    assert names(filter="os:iOS") == ["Phone"]
    assert names(filter="device:desktop") == ["page_view", "Signup", "PAGE_VIEW"]
    assert names(filter="country:US") == ["page_view", "Signup", "PAGE_VIEW"]
    assert names(filter="page:/pricing") == ["Phone", "page_view", "PAGE_VIEW"]
    assert names(filter="eventName:Signup") == ["Signup"]
    assert names(filter="bot:false", userId="u-2") == ["Signup"]
    assert names(filter="bot:true") == []
    # Repeated filters must all match.
    assert names(filter=["browser:Chrome", "page:/pricing"]) == ["page_view", "PAGE_VIEW"]
    assert names(filter=["browser:Chrome", "browser:Mobile Safari"]) == []


def test_values_are_matched_literally(
    api: httpx.Client, account: Account, redis_sync: redis.Redis
) -> None:
    odd = 'Signup: "pro" {plan} | 50% @x -y *'
    send_stored(api, redis_sync, account, [make_event(eventName=odd), make_event(eventName="pro")])
    assert [item["eventName"] for item in _items(api, account, eventName=odd)] == [odd]
    assert _items(api, account, eventName="pro*") == []
    assert _items(api, account, eventName="*") == []


def test_from_to_are_days_in_the_zone_dst_correct(
    api: httpx.Client, redis_sync: redis.Redis
) -> None:
    account = register(api, timezone="America/New_York")
    ny = "America/New_York"
    events = [
        make_event(eventName="before", eventTime=_ms("2024-03-09 23:59", ny)),
        make_event(eventName="first", eventTime=_ms("2024-03-10 00:00", ny)),
        # 2024-03-10 is 23 hours long in New York (DST starts at 02:00).
        make_event(eventName="last", eventTime=_ms("2024-03-10 23:59", ny)),
        make_event(eventName="after", eventTime=_ms("2024-03-11 00:00", ny)),
    ]
    send_stored(api, redis_sync, account, events)

    def names(**params: Any) -> list[str]:
        return [item["eventName"] for item in _items(api, account, **params)]

    # Default zone: the account's.
    assert names(**{"from": "2024-03-10", "to": "2024-03-10"}) == ["last", "first"]
    assert names(**{"from": "2024-03-10", "to": "2024-03-11"}) == ["after", "last", "first"]
    assert names(**{"from": "2024-03-11"}) == ["after"]
    assert names(to="2024-03-09") == ["before"]
    # Explicit zone: UTC days shift every boundary by 4-5 hours.
    utc_day = names(**{"from": "2024-03-10", "to": "2024-03-10", "tz": "UTC"})
    assert utc_day == ["first", "before"]
    london_day = names(**{"from": "2024-03-11", "to": "2024-03-11", "tz": "Europe/London"})
    assert london_day == ["after", "last"]
    assert datetime.fromtimestamp(_ms("2024-03-10 00:00", ny) / 1000, UTC).hour == 5


def test_limit_bounds(api: httpx.Client, account: Account, redis_sync: redis.Redis) -> None:
    t = now_ms() - 5000
    send_stored(api, redis_sync, account, [make_event(eventTime=t + i) for i in range(60)])
    assert len(_items(api, account)) == 50  # the default
    assert len(_items(api, account, limit=500)) == 60
    first = _get(api, account, limit=1).json()["data"]
    assert len(first["items"]) == 1
    assert first["nextCursor"] is not None
    for bad in ("0", "501", "-1", "abc", "1.5"):
        response = _get(api, account, limit=bad)
        assert response.status_code == 400, bad
        assert response.json()["data"] is None
        assert "limit" in response.json()["errors"]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"tz": "Mars/Phobos"}, "tz"),
        ({"tz": "../../etc/passwd", "from": "2024-01-01"}, "tz"),
        ({"from": "2024-13-01"}, "from"),
        ({"from": "yesterday"}, "from"),
        ({"from": "20240101"}, "from"),
        ({"to": "2024-02-30"}, "to"),
        ({"from": "2024-02-02", "to": "2024-02-01"}, "from"),
        ({"filter": "nope:x"}, "filter"),
        ({"filter": "browser"}, "filter"),
        ({"filter": "browser:"}, "filter"),
        ({"filter": "context.plan:pro"}, "filter"),
        ({"filter": "bot:maybe"}, "filter"),
        ({"eventName": "x" * 5000}, "eventName"),
    ],
)
def test_bad_input_is_a_400_naming_the_field(
    api: httpx.Client, account: Account, params: dict[str, str], field: str
) -> None:
    response = _get(api, account, **params)
    assert response.status_code == 400, response.text
    assert field in response.json()["errors"]


def test_requires_sign_in(api: httpx.Client) -> None:
    assert api.get("/api/v1/events").status_code == 401


def test_accounts_never_see_each_others_events(api: httpx.Client, redis_sync: redis.Redis) -> None:
    alice, mallory = register(api), register(api)
    send_stored(api, redis_sync, alice, [make_event(eventName="alice-secret", userId="a")])
    send_stored(api, redis_sync, mallory, [make_event(eventName="mallory-own", userId="m")])

    assert [i["eventName"] for i in _items(api, mallory)] == ["mallory-own"]
    assert _items(api, mallory, eventName="alice-secret") == []
    hostile = f"x}} | @site:{{{alice.user['id']}"
    for params in (
        {"userId": hostile},
        {"eventName": hostile},
        {"sessionId": hostile + "}"},
        {"page": "/" + hostile},
        {"filter": f"browser:{hostile}"},
        {"filter": f"country:{hostile})"},
    ):
        response = _get(api, mallory, **params)
        assert response.status_code == 200, (params, response.text)
        assert response.json()["data"]["items"] == [], params
    # A cursor names only a position: it cannot reach into another account either.
    alice_item = _items(api, alice)[0]
    stolen = encode_cursor(alice_item["eventTime"] + 1, "ZZZZZZZZZZZZZZZZZZZZZZZZZZ")
    assert [i["eventName"] for i in _items(api, mallory, cursor=stolen)] in ([], ["mallory-own"])
    assert all(i["eventName"] != "alice-secret" for i in _items(api, mallory, cursor=stolen))


def test_an_empty_context_comes_back_as_an_empty_object(
    api: httpx.Client, account: Account, redis_sync: redis.Redis
) -> None:
    events = [make_event(eventName="Empty", context={}), make_event(eventName="None")]
    send_stored(api, redis_sync, account, events)
    items = {item["eventName"]: item for item in _get(api, account).json()["data"]["items"]}
    assert items["Empty"]["context"] == {}
    assert items["None"]["context"] is None
