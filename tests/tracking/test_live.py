"""GET /api/v1/events/live (Server-Sent Events) through the real gateway."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from typing import Any

import httpx
import orjson
import pytest
import redis
from redis.cluster import RedisCluster

from tests.support.accounts import Account, register
from tests.support.events import make_event, send
from tests.support.system import System
from tracking_system.common import keys
from tracking_system.common.redis import create_client
from tracking_system.tracking.live import LivePolicy, live_events

# Runs once more on a 3-shard Redis Cluster (TEST_REDIS_SHARDS=3).
pytestmark = pytest.mark.on_cluster

SSE_TIMEOUT = httpx.Timeout(10.0)


def _open(client: httpx.Client, account: Account) -> Any:
    return client.stream(
        "GET",
        "/api/v1/events/live",
        headers={**account.auth(), "Accept": "text/event-stream"},
        timeout=SSE_TIMEOUT,
    )


def _until_ready(lines: Iterator[str]) -> None:
    """Read up to the `retry:` field the server sends once it is subscribed."""
    for line in lines:
        if line.startswith("retry:"):
            assert line == "retry: 3000"
            return
    raise AssertionError("stream ended before it was ready")


def _next_data(lines: Iterator[str]) -> dict[str, Any]:
    for line in lines:
        if line.startswith("data: "):
            data: dict[str, Any] = orjson.loads(line.removeprefix("data: "))
            return data
    raise AssertionError("stream ended without a data line")


def _subscribers(redis_sync: redis.Redis, account: Account) -> int:
    channel = keys.live_channel(account.user["id"])
    # On a cluster, a shard channel's subscribers are known to the shard owning its slot.
    route: dict[str, Any] = {}
    if isinstance(redis_sync, RedisCluster):
        route["target_nodes"] = redis_sync.get_node_from_key(channel)
    counts: Any = redis_sync.pubsub_shardnumsub(channel, **route)
    return int(dict(counts).get(channel, 0))


def test_an_event_sent_after_connecting_arrives(
    system: System, api: httpx.Client, redis_sync: redis.Redis
) -> None:
    account = register(api)
    with httpx.Client(base_url=system.gateway_url) as client, _open(client, account) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        # The service sends no-cache; the gateway makes every API answer no-store.
        assert response.headers["cache-control"] in ("no-cache", "no-store")
        assert response.headers["x-accel-buffering"] == "no"
        lines = response.iter_lines()
        _until_ready(lines)
        assert _subscribers(redis_sync, account) == 1
        event = make_event(eventName="Live Click", userId="live-user")
        assert send(api, account.user["apiKey"], [event]).status_code == 202
        data = _next_data(lines)
    assert data["eventName"] == "Live Click"
    assert data["userId"] == "live-user"
    assert data["eventTime"] == event["eventTime"]
    assert data["path"] == "/pricing"
    assert "site" not in data
    site_id = account.user["id"]
    assert redis_sync.hget(keys.event(site_id, data["id"]), "eventName") == "Live Click"


def test_a_feed_carries_only_its_own_accounts_events(system: System, api: httpx.Client) -> None:
    alice, bob = register(api), register(api)
    with (
        httpx.Client(base_url=system.gateway_url) as client,
        _open(client, alice) as alice_stream,
        _open(client, bob) as bob_stream,
    ):
        alice_lines, bob_lines = alice_stream.iter_lines(), bob_stream.iter_lines()
        _until_ready(alice_lines)
        _until_ready(bob_lines)
        assert (
            send(api, alice.user["apiKey"], [make_event(eventName="for-alice")]).status_code == 202
        )
        assert _next_data(alice_lines)["eventName"] == "for-alice"
        # Alice's event was stored and published before Bob's is sent: were Bob subscribed to
        # it, it would come first.
        assert send(api, bob.user["apiKey"], [make_event(eventName="for-bob")]).status_code == 202
        assert _next_data(bob_lines)["eventName"] == "for-bob"


def test_the_subscription_ends_when_the_client_leaves(
    system: System, api: httpx.Client, redis_sync: redis.Redis
) -> None:
    account = register(api)
    with httpx.Client(base_url=system.gateway_url) as client, _open(client, account) as response:
        lines = response.iter_lines()  # kept: a dropped line iterator closes the connection
        _until_ready(lines)
        assert _subscribers(redis_sync, account) == 1
    deadline = time.monotonic() + 10
    while _subscribers(redis_sync, account) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert _subscribers(redis_sync, account) == 0


def test_requires_sign_in(api: httpx.Client) -> None:
    assert api.get("/api/v1/events/live").status_code == 401


@pytest.mark.anyio
async def test_the_stream_pings_while_idle_and_relays_messages(system: System) -> None:
    client = create_client(system.redis_url, cluster=system.on_cluster)

    async def connected() -> bool:
        return False

    stream = live_events(
        redis=client, site_id="ping-test", is_disconnected=connected, ping_seconds=0.3
    )
    try:
        assert await anext(stream) == b"retry: 3000\n\n"
        assert await anext(stream) == b": ping\n\n"
        await client.spublish(keys.live_channel("ping-test"), '{"eventName": "x"}')
        await client.spublish(keys.live_channel("other-account"), '{"eventName": "y"}')
        assert await anext(stream) == b'data: {"eventName": "x"}\n\n'
        assert await anext(stream) == b": ping\n\n"
    finally:
        await stream.aclose()
    numsub: Any = await client.pubsub_shardnumsub(keys.live_channel("ping-test"))
    assert dict(numsub)[keys.live_channel("ping-test")] == 0
    await client.aclose()


def _ended(lines: Iterator[str], within: float) -> bool:
    """True when the server ends the stream within the time (pings keep it talking)."""
    deadline = time.monotonic() + within
    return all(time.monotonic() <= deadline for _ in lines)


def test_a_feed_ends_when_the_sites_key_is_rotated(system: System, api: httpx.Client) -> None:
    account = register(api)
    with httpx.Client(base_url=system.gateway_url) as client, _open(client, account) as response:
        lines = response.iter_lines()
        _until_ready(lines)
        rotated = api.post("/api/v1/users/me/api-key", headers=account.auth())
        assert rotated.status_code == 200
        assert _ended(lines, within=8)  # LIVE_RECHECK_SECONDS is 0.5 s in the tests


def test_an_account_holds_a_few_feeds_and_other_accounts_are_unaffected(
    system: System, api: httpx.Client
) -> None:
    attacker, victim = register(api), register(api)
    with contextlib.ExitStack() as stack:
        client = stack.enter_context(httpx.Client(base_url=system.gateway_url))
        held = []  # a dropped line iterator closes its connection
        for _ in range(8):  # LIVE_STREAMS_PER_ACCOUNT
            response = stack.enter_context(_open(client, attacker))
            assert response.status_code == 200
            held.append(response.iter_lines())
            _until_ready(held[-1])
        refused = client.get("/api/v1/events/live", headers=attacker.auth())
        assert refused.status_code == 429
        assert refused.headers["retry-after"]
        # Everyone else's ingestion, stats and feeds go on.
        assert send(api, victim.user["apiKey"], [make_event()]).status_code == 202
        assert api.get("/api/v1/stats/summary", headers=victim.auth()).status_code == 200
        with _open(client, victim) as own:
            assert own.status_code == 200
    with httpx.Client(base_url=system.gateway_url) as client, _open(client, attacker) as again:
        assert again.status_code == 200  # closed feeds gave their slots back


@pytest.mark.anyio
async def test_a_feed_ends_after_its_lifetime(system: System) -> None:
    client = create_client(system.redis_url, cluster=system.on_cluster)

    async def connected() -> bool:
        return False

    policy = LivePolicy(max_seconds=0.5, recheck_seconds=60, ping_seconds=60)
    chunks = [c async for c in live_events(redis=client, site_id="lifetime-test",
                                           is_disconnected=connected, policy=policy)]  # fmt: skip
    assert chunks[0] == b"retry: 3000\n\n"
    assert chunks[-1].startswith(b": lifetime over")
    await client.aclose()


def test_a_feed_ends_at_logout(system: System, api: httpx.Client) -> None:
    account = register(api)
    with httpx.Client(base_url=system.gateway_url) as client, _open(client, account) as response:
        lines = response.iter_lines()
        _until_ready(lines)
        out = api.post("/api/v1/auth/logout", headers=account.auth(),
                       json={"refreshToken": account.session["refreshToken"]})  # fmt: skip
        assert out.status_code == 200
        assert _ended(lines, within=8)  # LIVE_RECHECK_SECONDS is 0.5 s in the tests


def test_a_feed_ends_when_another_session_changes_the_password(
    system: System, api: httpx.Client
) -> None:
    account = register(api)
    other = api.post("/api/v1/auth/login", json={"email": account.email,
                                                 "password": account.password})  # fmt: skip
    other_token = other.json()["data"]["accessToken"]
    with httpx.Client(base_url=system.gateway_url) as client, _open(client, account) as response:
        lines = response.iter_lines()
        _until_ready(lines)
        changed = api.patch(
            "/api/v1/users/me",
            json={"currentPassword": account.password, "newPassword": "a-new-password-42"},
            headers={"Authorization": f"Bearer {other_token}", "X-Forwarded-For": account.ip},
        )
        assert changed.status_code == 200, changed.text
        assert _ended(lines, within=8)


def test_a_feed_with_a_valid_token_keeps_going(system: System, api: httpx.Client) -> None:
    account = register(api)
    with httpx.Client(base_url=system.gateway_url) as client, _open(client, account) as response:
        lines = response.iter_lines()
        _until_ready(lines)
        time.sleep(2)  # several re-checks at 0.5 s
        send(api, account.user["apiKey"], [make_event(eventName="Still Here")])
        assert _next_data(lines)["eventName"] == "Still Here"
