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
from tests.support.redis_server import RedisServer
from tests.support.system import System, own_system
from tracking_system.common import keys


@pytest.fixture
def small_backlog(tmp_path: Path) -> Iterator[tuple[System, RedisServer]]:
    """A system of its own whose backlog limit is 100 events."""
    with own_system(tmp_path, {"INGEST_MAX_BACKLOG": "100"}) as running:
        yield running


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


@pytest.fixture
def production_trim(tmp_path: Path) -> Iterator[tuple[System, RedisServer]]:
    """Maintenance (trimming) every 5 s, as in production, and a backlog limit of 40,000."""
    env = {"INGEST_MAX_BACKLOG": "40000", "INGEST_RATE_LIMIT_PER_SECOND": "1000000",
           "WORKER_MAINTENANCE_SECONDS": "5"}  # fmt: skip
    with own_system(tmp_path, env) as running:
        yield running


@pytest.mark.slow
def test_sustained_ingest_the_worker_keeps_up_with_is_never_refused(
    production_trim: tuple[System, RedisServer],
) -> None:
    """100,000 events at 5,000/s: more than one capped trim call a period could remove
    (10,000 per 5 s), well within what the worker stores. The backlog is the group's lag, so
    acknowledged entries awaiting a trim never cause a 503, and trimming removes them all."""
    system, server = production_trim
    client = server.client()
    total, per_second, batch = 100_000, 5_000, 500
    with httpx.Client(base_url=system.gateway_url, timeout=30) as api:
        account = register(api)
        key, site_id = account.user["apiKey"], account.user["id"]
        started = time.monotonic()
        statuses: list[int] = []
        longest = 0
        for sent in range(0, total, batch):
            due = started + sent / per_second
            time.sleep(max(0.0, due - time.monotonic()))
            statuses.append(send(api, key, [make_event() for _ in range(batch)]).status_code)
            longest = max(longest, int(client.xlen(keys.EVENTS_STREAM)))
        assert set(statuses) == {202}
        assert wait_for_stored(client, site_id, total, within=120) == total
        # Acknowledged entries piled up between trims, and the next trim removes them all.
        assert longest > 10_000
        deadline = time.monotonic() + 15
        while client.xlen(keys.EVENTS_STREAM) > 1_000 and time.monotonic() < deadline:
            time.sleep(0.5)
        assert client.xlen(keys.EVENTS_STREAM) <= 1_000
