"""Each ingestion route answers the same whether the HTTP protocol serves it (a plain path) or
the ASGI app does (the same path percent-encoded, which the protocol leaves to the app): both
are called straight on the tracking service, with the gateway's credential."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from typing import Any

import httpx
import orjson
import pytest
import redis

from tests.support.accounts import Account, fresh_ip, register
from tests.support.events import CHROME, wait_for_stored
from tests.support.system import TEST_INTERNAL_SECRET, System

# The protocol-level path, and the same path as the ASGI app gets it (one letter encoded).
ROUTES = {
    "ours": ("/api/v1/events", "/api/v1/event%73"),
    "seed": (
        "/api/tracking-service/v1/public/events/",
        "/api/tracking-service/v1/public/event%73/",
    ),
    "plausible": ("/api/event", "/api/even%74"),
    "umami": ("/api/send", "/api/sen%64"),
}


@pytest.fixture(scope="module")
def account(system: System) -> Account:
    with httpx.Client(base_url=system.gateway_url, timeout=30) as api:
        account = register(api)
        domain = f"p{uuid.uuid4().hex[:10]}.example"
        response = api.patch(
            f"/api/v1/sites/{account.user['id']}", json={"domain": domain},
            headers=account.auth(),
        )  # fmt: skip
        assert response.status_code == 200, response.text
    account.user["domain"] = domain
    return account


def _body(route: str, account: Account) -> bytes:
    now = int(time.time() * 1000)
    event_id = uuid.uuid4().hex
    bodies: dict[str, Callable[[], dict[str, Any]]] = {
        "ours": lambda: {"apiKey": account.user["apiKey"], "eventName": "PAGE_VIEW",
                         "userId": "u1", "sessionId": "s1", "eventTime": now,
                         "page": "https://blog.example/a", "eventId": event_id},
        "seed": lambda: {"apiKey": account.user["apiKey"], "eventName": "Signup",
                         "userId": "u1", "sessionId": "s1", "eventTime": now,
                         "page": "https://blog.example/b"},
        "plausible": lambda: {"n": "pageview", "u": f"https://{account.user['domain']}/c",
                              "d": account.user["domain"]},
        "umami": lambda: {"type": "event", "payload": {
            "website": account.user["id"], "hostname": "blog.example", "url": "/d",
            "title": "D", "language": "en", "screen": "1x1"}},
    }  # fmt: skip
    return orjson.dumps(bodies[route]())


def _post(system: System, path: str, body: bytes, **headers: str) -> httpx.Response:
    return httpx.post(
        system.service_url("tracking") + path,
        content=body,
        headers={"X-Internal-Token": TEST_INTERNAL_SECRET, "X-Client-Ip": fresh_ip(),
                 "User-Agent": CHROME, "Content-Type": "text/plain", **headers},
        timeout=30,
    )  # fmt: skip


def _shape(response: httpx.Response) -> tuple[int, str, object]:
    """Status, media type and the answer with its per-request values blanked."""
    media = response.headers["content-type"].split(";")[0]
    if media != "application/json":
        return response.status_code, media, response.text
    payload = response.json()
    if isinstance(payload, dict) and {"cache", "sessionId", "visitId"} <= payload.keys():
        payload = dict.fromkeys(payload, "…")
    return response.status_code, media, payload


@pytest.mark.parametrize("route", sorted(ROUTES))
def test_both_paths_answer_alike_and_store_both_events(
    system: System, account: Account, redis_sync: redis.Redis, route: str
) -> None:
    fast, asgi = ROUTES[route]
    before = wait_for_stored(redis_sync, account.user["id"], 0)
    by_protocol = _post(system, fast, _body(route, account))
    by_app = _post(system, asgi, _body(route, account))
    assert by_protocol.status_code < 300, by_protocol.text
    assert _shape(by_protocol) == _shape(by_app)
    assert wait_for_stored(redis_sync, account.user["id"], before + 2) == before + 2


@pytest.mark.parametrize("route", sorted(ROUTES))
def test_both_paths_refuse_a_compressed_body_alike(system: System, route: str) -> None:
    fast, asgi = ROUTES[route]
    answers = [_post(system, path, b"\x1f\x8b", **{"Content-Encoding": "gzip"})
               for path in (fast, asgi)]  # fmt: skip
    assert answers[0].status_code == 400
    assert _shape(answers[0]) == _shape(answers[1])


@pytest.mark.parametrize("route", sorted(ROUTES))
def test_both_paths_refuse_a_body_over_the_limit_alike(system: System, route: str) -> None:
    fast, asgi = ROUTES[route]
    body = b"x" * (600 * 1024)
    answers = [_post(system, path, body) for path in (fast, asgi)]
    assert answers[0].status_code == 413
    assert _shape(answers[0]) == _shape(answers[1])
