"""A backlog larger than INGEST_MAX_BACKLOG gets 503 with Retry-After, and the stream is never
trimmed to make room: once the worker catches up, ingestion accepts again and nothing is lost."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.support.accounts import register
from tests.support.events import make_event, send, stored_count, wait_for_stored
from tests.support.redis_server import RedisServer, start_redis
from tests.support.system import System, start_system
from tracking_system.common import keys


@pytest.fixture
def small_backlog(tmp_path: Path) -> Iterator[tuple[System, RedisServer]]:
    server = start_redis(tmp_path / "redis")
    system = start_system(redis_url=server.url, log_dir=tmp_path / "logs",
                          extra_env={"INGEST_MAX_BACKLOG": "100"})  # fmt: skip
    yield system, server
    system.stop_all()
    server.stop()


def test_backlog_over_the_limit_is_503_and_nothing_is_trimmed(
    small_backlog: tuple[System, RedisServer],
) -> None:
    system, server = small_backlog
    client = server.client()
    with httpx.Client(base_url=system.gateway_url, timeout=30) as api:
        account = register(api)
        key, account_id = account.user["apiKey"], account.user["id"]
        system.stop("worker")
        assert send(api, key, [make_event() for _ in range(100)]).status_code == 202
        refused = send(api, key, [make_event()])
        assert refused.status_code == 503
        assert int(refused.headers["Retry-After"]) >= 1
        assert refused.json()["errors"]["message"]
        assert client.xlen(keys.EVENTS_STREAM) == 100  # nothing trimmed, nothing half-added

        system.start("worker")
        assert wait_for_stored(client, account_id, 100) == 100
        accepted = _eventually_accepted(api, key)
        assert accepted.status_code == 202
        assert wait_for_stored(client, account_id, 101) == 101
        assert stored_count(client, account_id) == 101


def _eventually_accepted(api: httpx.Client, key: str) -> httpx.Response:
    deadline = time.monotonic() + 30  # the worker trims acknowledged entries every 0.5 s here
    response = send(api, key, [make_event()])
    while response.status_code == 503 and time.monotonic() < deadline:
        time.sleep(0.2)
        response = send(api, key, [make_event()])
    return response
