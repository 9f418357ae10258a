"""Killing real processes: the worker under load, the worker stopped for a while, Redis itself.
Each test runs its own Redis and services, so the rest of the suite is not disturbed."""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import redis

from tests.support.accounts import register
from tests.support.events import make_event, rolled_up_count, send, stored_count, wait_for_stored
from tests.support.redis_server import RedisServer
from tests.support.system import System, own_system
from tracking_system.common import keys

pytestmark = [pytest.mark.slow, pytest.mark.on_cluster]


@pytest.fixture
def isolated(tmp_path: Path) -> Iterator[tuple[System, RedisServer]]:
    """A Redis and a full system of their own."""
    with own_system(tmp_path, {"INGEST_RATE_LIMIT_PER_SECOND": "1000000"}) as running:
        yield running


def _pending(client: redis.Redis) -> int:
    return int(client.xpending(keys.EVENTS_STREAM, keys.EVENTS_GROUP)["pending"])


def test_worker_killed_repeatedly_under_load_loses_and_duplicates_nothing(
    isolated: tuple[System, RedisServer],
) -> None:
    system, server = isolated
    client = server.client()
    total, batch = 100_000, 500
    with httpx.Client(base_url=system.gateway_url, timeout=30) as api:
        account = register(api)
        key = account.user["apiKey"]
        sent = 0
        kills = 0
        for i in range(total // batch):
            events = [make_event(sessionId=f"s{i}", eventId=f"e{i}-{j}") for j in range(batch)]
            response = send(api, key, events)
            assert response.status_code == 202, response.text
            sent += batch
            if i % 40 == 20:  # five times, spread over the run
                os.kill(system.processes["worker"].pid, signal.SIGKILL)
                system.processes["worker"].wait()
                kills += 1
                system.start("worker")
    assert kills == 5
    account_id = account.user["id"]
    assert wait_for_stored(client, account_id, total, within=180) == total
    deadline = time.monotonic() + 60
    while (_pending(client) or rolled_up_count(client, account_id) < total) and (
        time.monotonic() < deadline
    ):
        time.sleep(0.2)
    assert stored_count(client, account_id) == total
    assert rolled_up_count(client, account_id) == total  # each event counted exactly once
    assert _pending(client) == 0
    assert client.xlen(keys.DEAD_LETTER_STREAM) == 0


def test_worker_stopped_for_a_while_then_everything_arrives(
    isolated: tuple[System, RedisServer],
) -> None:
    system, server = isolated
    client = server.client()
    with httpx.Client(base_url=system.gateway_url, timeout=30) as api:
        account = register(api)
        system.stop("worker")
        for i in range(20):
            send(api, account.user["apiKey"], [make_event(eventId=f"w{i}-{j}") for j in range(100)])
            time.sleep(0.1)
        assert stored_count(client, account.user["id"]) == 0
        health = api.get("/api/v1/health").json()["data"]["components"]["worker"]
        assert health["status"] == "down"
        assert health["lag"] >= 2000
        system.start("worker")
        assert wait_for_stored(client, account.user["id"], 2000, within=60) == 2000


def test_redis_killed_and_restarted_everything_recovers(
    isolated: tuple[System, RedisServer], tmp_path: Path
) -> None:
    system, server = isolated
    with httpx.Client(base_url=system.gateway_url, timeout=30) as api:
        account = register(api)
        key, account_id = account.user["apiKey"], account.user["id"]
        send(api, key, [make_event() for _ in range(100)])
        assert wait_for_stored(server.client(), account_id, 100) == 100
        time.sleep(1.5)  # AOF everysec: let the last second reach the disk

        # On a cluster, the shard holding the site's events (its ingestion counters too).
        server.kill(keys.site(account_id))
        down = send(api, key, [make_event()])
        assert down.status_code == 503
        assert down.headers["Retry-After"]

        server.restart()
        client = server.client()
        assert stored_count(client, account_id) == 100  # survived via the AOF
        ok = _until_accepted(api, key)
        assert ok.status_code == 202
        assert wait_for_stored(client, account_id, 101, within=30) >= 101
        assert api.get("/api/v1/users/me", headers=account.auth()).status_code == 200
        health = _until_healthy(api)
        assert health.json()["data"]["status"] == "ok", health.text


def _until_healthy(api: httpx.Client, within: float = 20) -> httpx.Response:
    deadline = time.monotonic() + within
    response = api.get("/api/v1/health")
    while response.json()["data"]["status"] != "ok" and time.monotonic() < deadline:
        time.sleep(0.2)
        response = api.get("/api/v1/health")
    return response


def _until_accepted(api: httpx.Client, key: str, within: float = 20) -> httpx.Response:
    deadline = time.monotonic() + within
    response = send(api, key, [make_event()])
    while response.status_code != 202 and time.monotonic() < deadline:
        time.sleep(0.2)
        response = send(api, key, [make_event()])
    return response


def test_concurrent_workers_share_the_load_without_duplicates(
    isolated: tuple[System, RedisServer],
) -> None:
    system, server = isolated
    client = server.client()
    extra = system.processes["worker"]
    system.start("worker")  # a second worker in the same group
    second = system.processes["worker"]
    system.processes["worker-1"] = extra
    try:
        with httpx.Client(base_url=system.gateway_url, timeout=30) as api:
            account = register(api)
            threads = [
                threading.Thread(
                    target=lambda n=n: [
                        send(api, account.user["apiKey"],
                             [make_event(eventId=f"c{n}-{i}-{j}") for j in range(100)])
                        for i in range(10)
                    ]
                )
                for n in range(4)
            ]  # fmt: skip
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
        assert wait_for_stored(client, account.user["id"], 4000, within=60) == 4000
        time.sleep(0.5)
        assert rolled_up_count(client, account.user["id"]) == 4000
        consumers = client.xinfo_consumers(keys.EVENTS_STREAM, keys.EVENTS_GROUP)
        assert len(consumers) >= 2
    finally:
        assert second.poll() is None
