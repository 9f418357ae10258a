"""Killing real processes: the worker under load, the worker stopped for a while, Redis itself.
Each test runs its own Redis and services, so the rest of the suite is not disturbed."""

from __future__ import annotations

import os
import signal
import threading
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
import redis

from tests.support.accounts import register
from tests.support.columnar import columnar_ids
from tests.support.events import make_event, rolled_up_count, send, stored_count, wait_for_stored
from tests.support.redis_server import RedisServer
from tests.support.system import System, own_system
from tracking_system.common import keys
from tracking_system.common.columnar import DayMeta

pytestmark = [pytest.mark.slow, pytest.mark.on_cluster]


@pytest.fixture
def isolated(tmp_path: Path) -> Iterator[tuple[System, RedisServer]]:
    """A Redis and a full system of their own, the worker compacting the columnar tails all
    along."""
    env = {
        "INGEST_RATE_LIMIT_PER_SECOND": "1000000",
        "COLUMNAR_COMPACT_SECONDS": "0",
        "COLUMNAR_COMPACT_ROWS": "2000",
        "COLUMNAR_COMPACT_CHECK_SECONDS": "0.1",
    }
    with own_system(tmp_path, env) as running:
        yield running


def _pending(client: redis.Redis) -> int:
    return int(client.xpending(keys.EVENTS_STREAM, keys.EVENTS_GROUP)["pending"])


def _wait_until_settled(client: redis.Redis, site_id: str, total: int) -> None:
    """Wait until the site's `total` events are stored, rolled up and acknowledged."""
    assert wait_for_stored(client, site_id, total, within=180) == total
    deadline = time.monotonic() + 60
    while (_pending(client) or rolled_up_count(client, site_id) < total) and (
        time.monotonic() < deadline
    ):
        time.sleep(0.2)


def _assert_columnar_holds_each_once(server: RedisServer, site_id: str, total: int) -> None:
    ids = columnar_ids(server, site_id)
    twice = [event_id for event_id, n in Counter(ids).items() if n > 1]
    assert not twice, f"{len(twice)} events in the columnar tier more than once: {twice[:5]}"
    assert len(ids) == total


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
    _wait_until_settled(client, account_id, total)
    assert stored_count(client, account_id) == total
    assert rolled_up_count(client, account_id) == total  # each event counted exactly once
    assert _pending(client) == 0
    assert client.xlen(keys.DEAD_LETTER_STREAM) == 0
    _assert_columnar_holds_each_once(server, account_id, total)


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
        _assert_columnar_holds_each_once(server, account.user["id"], 4000)
    finally:
        assert second.poll() is None


MID_COMPACTION_ROWS = 40_000  # the tail's length that starts a compaction, in the test below
LOCK_SECONDS = 5  # the dead worker's lock lapses after this


def _kill_worker_when_compacting(
    system: System, client: redis.Redis, site_id: str, *, within: float
) -> tuple[bool, int]:
    """Poll the site's compaction lock every few ms; SIGKILL the worker as soon as it is taken.
    Whether the lock is still held right after the kill, and the tail's length then."""
    lock = keys.columnar_lock(site_id)
    deadline = time.monotonic() + within
    while not client.exists(lock):
        assert time.monotonic() < deadline, f"the worker never took {lock} within {within} s"
        time.sleep(0.002)
    worker = system.processes["worker"]
    os.kill(worker.pid, signal.SIGKILL)
    worker.wait()
    return bool(client.exists(lock)), int(client.xlen(keys.columnar_tail(site_id)))


def _compacted_rows(client: redis.Redis, site_id: str) -> int:
    catalog = client.hgetall(keys.columnar_catalog(site_id))
    return sum(DayMeta.parse(value).rows for value in catalog.values())


def test_worker_killed_mid_compaction_leaves_every_event_once(tmp_path: Path) -> None:
    """A worker SIGKILLed while compacting leaves every event in the columnar tier exactly once,
    and compaction resumes once the dead worker's lock expires."""
    env = {
        "INGEST_RATE_LIMIT_PER_SECOND": "1000000",
        "COLUMNAR_COMPACT_ROWS": str(MID_COMPACTION_ROWS),
        "COLUMNAR_COMPACT_SECONDS": "3600",
        "COLUMNAR_COMPACT_CHECK_SECONDS": "0.05",
        "COLUMNAR_LOCK_SECONDS": str(LOCK_SECONDS),
    }
    total, batch = 60_000, 500
    with (
        own_system(tmp_path, env) as (system, server),
        httpx.Client(base_url=system.gateway_url, timeout=30) as api,
    ):
        client = server.client()
        account = register(api)
        site_id, key = account.user["id"], account.user["apiKey"]
        tail = keys.columnar_tail(site_id)
        # The compaction may start while events are still being sent: watch for it all along.
        with ThreadPoolExecutor(1) as pool:
            killed = pool.submit(
                _kill_worker_when_compacting, system, server.client(), site_id, within=60
            )
            for i in range(total // batch):
                events = [make_event(sessionId=f"m{i}", eventId=f"m{i}-{j}") for j in range(batch)]
                response = send(api, key, events)
                assert response.status_code == 202, response.text
            lock_held, tail_rows = killed.result()
        assert lock_held, "the compaction finished before the kill: it did not land mid-compaction"
        assert tail_rows > 0
        system.start("worker")
        _wait_until_settled(client, site_id, total)
        assert rolled_up_count(client, site_id) == total
        assert _pending(client) == 0
        _assert_columnar_holds_each_once(server, site_id, total)

        def compacted() -> bool:
            rows = client.xlen(tail)
            return rows < MID_COMPACTION_ROWS and _compacted_rows(client, site_id) + rows == total

        deadline = time.monotonic() + LOCK_SECONDS + 30
        while not compacted() and time.monotonic() < deadline:
            time.sleep(0.2)
        assert client.xlen(tail) < MID_COMPACTION_ROWS, "compaction never resumed after the kill"
        assert _compacted_rows(client, site_id) + client.xlen(tail) == total
