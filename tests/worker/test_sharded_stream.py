"""The real system with the ingestion stream in 3 shards (INGEST_STREAMS=3) on one Redis: sites
spread over every shard, each event is stored exactly once, a resend stores nothing, a worker
killed mid-drain loses and duplicates nothing, and poison entries of any shard are dead-lettered."""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import redis

from tests.support.accounts import Account, register
from tests.support.events import make_event, rolled_up_count, send, stored_count, wait_for_stored
from tests.support.redis_server import RedisServer
from tests.support.system import System, own_system
from tracking_system.common import keys

SHARDS = 3
STREAMS = keys.events_streams(SHARDS)


@pytest.fixture(scope="module")
def sharded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[System, RedisServer]]:
    """A Redis and a full system of their own, every process told INGEST_STREAMS=3."""
    env = {"INGEST_STREAMS": str(SHARDS), "INGEST_RATE_LIMIT_PER_SECOND": "1000000"}
    with own_system(tmp_path_factory.mktemp("sharded"), env) as running:
        yield running


@pytest.fixture
def client(sharded: tuple[System, RedisServer]) -> Iterator[redis.Redis]:
    """A synchronous client to the system's Redis."""
    connection = sharded[1].client()
    yield connection
    connection.close()


@pytest.fixture
def api(sharded: tuple[System, RedisServer]) -> Iterator[httpx.Client]:
    """An HTTP client to the system's gateway."""
    with httpx.Client(base_url=sharded[0].gateway_url, timeout=30) as http:
        yield http


def _sites_on_every_shard(api: httpx.Client, per_shard: int) -> dict[str, list[Account]]:
    """Register accounts (each one site) until every shard has `per_shard` of them."""
    by_stream: dict[str, list[Account]] = {stream: [] for stream in STREAMS}
    for _ in range(60):
        if all(len(sites) >= per_shard for sites in by_stream.values()):
            break
        account = register(api)
        by_stream[keys.site_stream(account.user["id"], SHARDS)].append(account)
    assert all(len(sites) >= per_shard for sites in by_stream.values()), by_stream
    return by_stream


def _unfinished(client: redis.Redis) -> int:
    """Entries of every shard not yet delivered or not yet acknowledged."""
    total = 0
    for stream in STREAMS:
        for group in client.xinfo_groups(stream):
            if group["name"] == keys.EVENTS_GROUP:
                total += int(group["lag"] or 0) + int(group["pending"])
    return total


def _wait_drained(client: redis.Redis, within: float = 60) -> None:
    deadline = time.monotonic() + within
    while _unfinished(client) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert _unfinished(client) == 0


def test_every_worker_reads_a_group_on_every_shard(
    sharded: tuple[System, RedisServer], client: redis.Redis
) -> None:
    for stream in STREAMS:
        groups = client.xinfo_groups(stream)
        assert [g["name"] for g in groups] == [keys.EVENTS_GROUP]
        assert client.xinfo_consumers(stream, keys.EVENTS_GROUP)
    assert STREAMS[0] == "events:stream"  # an upgraded installation's entries are still read


def test_sites_spread_over_every_shard_and_each_event_is_stored_once(
    sharded: tuple[System, RedisServer], client: redis.Redis, api: httpx.Client
) -> None:
    system, _ = sharded
    by_stream = _sites_on_every_shard(api, per_shard=2)
    sent: dict[str, list[dict[str, Any]]] = {}
    system.stop("worker")  # hold the entries in the streams, to see where each one went
    try:
        lengths = {stream: int(client.xlen(stream)) for stream in STREAMS}
        for stream, accounts in by_stream.items():
            for n, account in enumerate(accounts):
                events = [make_event(sessionId=f"s{j % 7}") for j in range(40 + 10 * n)]
                assert send(api, account.user["apiKey"], events).status_code == 202
                sent[account.user["id"]] = events
                lengths[stream] += len(events)
        for stream, accounts in by_stream.items():
            assert client.xlen(stream) == lengths[stream] > 0
            mine = {account.user["id"] for account in accounts}
            entries: Any = client.xrange(stream)
            assert {fields["a"] for _, fields in entries} & set(sent) <= mine
        health = api.get("/api/v1/health").json()["data"]["components"]["worker"]
        assert health["streams"] == SHARDS
        assert health["lag"] >= sum(len(events) for events in sent.values())
        assert health["streamLength"] == sum(lengths.values())
    finally:
        system.start("worker")

    for site_id, events in sent.items():
        assert wait_for_stored(client, site_id, len(events), within=60) == len(events)
    _wait_drained(client)
    for site_id, events in sent.items():
        assert stored_count(client, site_id) == len(events)
        assert rolled_up_count(client, site_id) == len(events)

    # The same events again (a client retrying): accepted, and nothing is stored or counted twice.
    accounts = [account for group in by_stream.values() for account in group]
    for account in accounts:
        assert send(api, account.user["apiKey"], sent[account.user["id"]]).status_code == 202
    _wait_drained(client)
    for site_id, events in sent.items():
        assert stored_count(client, site_id) == len(events)
        assert rolled_up_count(client, site_id) == len(events)


@pytest.mark.slow
def test_worker_killed_mid_drain_then_restarted_ends_with_exact_counts(
    sharded: tuple[System, RedisServer], client: redis.Redis, api: httpx.Client
) -> None:
    system, _ = sharded
    by_stream = _sites_on_every_shard(api, per_shard=1)
    accounts = [account for group in by_stream.values() for account in group]
    per_site = 6_000
    system.stop("worker")
    try:
        for account in accounts:
            for i in range(0, per_site, 500):
                events = [make_event(sessionId=f"k{i}-{j % 9}") for j in range(500)]
                assert send(api, account.user["apiKey"], events).status_code == 202
    finally:
        system.start("worker")
    total = per_site * len(accounts)

    def stored() -> int:
        return sum(stored_count(client, account.user["id"]) for account in accounts)

    deadline = time.monotonic() + 60
    while stored() < total // 10 and time.monotonic() < deadline:
        time.sleep(0.02)
    os.kill(system.processes["worker"].pid, signal.SIGKILL)  # mid-drain: entries left pending
    system.processes["worker"].wait()
    assert 0 < stored() < total
    system.start("worker")

    for account in accounts:
        assert wait_for_stored(client, account.user["id"], per_site, within=120) == per_site
    _wait_drained(client)
    for account in accounts:
        assert stored_count(client, account.user["id"]) == per_site
        assert rolled_up_count(client, account.user["id"]) == per_site
    assert client.xlen(keys.DEAD_LETTER_STREAM) == 0


def test_a_poison_entry_of_any_shard_is_dead_lettered_and_acknowledged_there(
    sharded: tuple[System, RedisServer], client: redis.Redis, api: httpx.Client
) -> None:
    stream = STREAMS[-1]
    marker = f"poison-{time.time_ns()}"
    poison_id = str(client.xadd(stream, {"a": "no-such-site", "e": f'"{marker}"'}))
    deadline = time.monotonic() + 40
    found: list[dict[str, str]] = []
    while not found and time.monotonic() < deadline:
        time.sleep(0.2)
        entries: Any = client.xrange(keys.DEAD_LETTER_STREAM)
        found = [fields for _, fields in entries if marker in fields.get("e", "")]
    (dead,) = found
    assert dead["sourceId"] == poison_id
    assert dead["stream"] == stream
    assert int(dead["deliveries"]) == 5
    assert client.xpending_range(stream, keys.EVENTS_GROUP, poison_id, poison_id, 1) == []
