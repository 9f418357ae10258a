"""Deleting a site removes every key of it in the background, resumes after the worker is
killed mid-way, and leaves the account's other sites untouched."""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import redis

from tests.support.accounts import register
from tests.support.events import make_event, send, wait_for_stored
from tests.support.redis_server import RedisServer
from tests.support.system import System, own_system
from tracking_system.common import keys, rollups

pytestmark = pytest.mark.slow
BULK_KEYS = 300_000


@pytest.fixture
def isolated(tmp_path: Path) -> Iterator[tuple[System, RedisServer]]:
    """A Redis and a full system of their own (this test kills the worker)."""
    with own_system(tmp_path) as running:
        yield running


def _site_keys(client: redis.Redis, site_id: str) -> int:
    return sum(
        1
        for pattern in rollups.site_key_patterns(site_id)
        for _ in client.scan_iter(match=pattern, count=5000)
    )


def _bulk(client: redis.Redis, site_id: str) -> None:
    """Many event hashes and rollup keys of the site, written directly (fast)."""
    pipe = client.pipeline(transaction=False)
    for i in range(BULK_KEYS):
        if i % 2:
            pipe.hset(keys.event(site_id, f"BULK{i:022d}"), mapping={"site": site_id, "n": i})
        else:
            pipe.set(rollups.day_counters(site_id, "UTC", f"bulk-{i}"), i)
        if i % 10_000 == 0:
            pipe.execute()
    pipe.execute()


def test_deletion_resumes_after_the_worker_is_killed_mid_way(
    isolated: tuple[System, RedisServer],
) -> None:
    system, server = isolated
    client = server.client()
    with httpx.Client(base_url=system.gateway_url, timeout=30) as api:
        account = register(api)
        created = api.post("/api/v1/sites", json={"name": "Doomed"}, headers=account.auth())
        doomed = created.json()["data"]
        kept = account.user["id"]
        assert send(api, doomed["apiKey"], [make_event() for _ in range(20)]).status_code == 202
        assert (
            send(api, account.user["apiKey"], [make_event() for _ in range(7)]).status_code == 202
        )
        assert wait_for_stored(client, doomed["id"], 20) == 20
        assert wait_for_stored(client, kept, 7) == 7
        _bulk(client, doomed["id"])
        kept_before = _site_keys(client, kept)

        response = api.delete(f"/api/v1/sites/{doomed['id']}", headers=account.auth())
        assert response.status_code == 200
        progress = keys.site_deletion_progress(doomed["id"])
        deadline = time.monotonic() + 30
        while not client.hget(progress, "deleted") and time.monotonic() < deadline:
            time.sleep(0.005)
        os.kill(system.processes["worker"].pid, signal.SIGKILL)
        system.processes["worker"].wait()
        left = _site_keys(client, doomed["id"])
        # Killed part-way: some keys gone, the rest still there, the deletion still pending.
        assert 0 < left < BULK_KEYS
        assert client.sismember(keys.SITE_DELETIONS, doomed["id"])

        system.start("worker")
        deadline = time.monotonic() + 120
        while client.sismember(keys.SITE_DELETIONS, doomed["id"]) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not client.sismember(keys.SITE_DELETIONS, doomed["id"])
        assert _site_keys(client, doomed["id"]) == 0
        assert not client.exists(keys.site(doomed["id"]), progress)
        assert client.exists(keys.site_gone(doomed["id"]))
        # The other site is whole, and still counted.
        assert _site_keys(client, kept) == kept_before
        overview = api.get("/api/v1/stats/overview", headers=account.auth()).json()["data"]
        assert overview["eventsRecorded"]["lifetime"] == 7
        # Late events of the deleted site (already in the stream) are dropped, not stored.
        late = {"a": doomed["id"], "e": '{"eventId":"late","sessionId":"s","userId":"u",'
                '"eventTime":1,"eventName":"X","page":"https://x.example/"}'}  # fmt: skip
        client.xadd(keys.EVENTS_STREAM, late)  # type: ignore[arg-type]
        time.sleep(2)
        assert _site_keys(client, doomed["id"]) == 0
    client.close()
