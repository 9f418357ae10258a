"""The worker against real entries: dead letters, reclaiming, trimming, metrics."""

from __future__ import annotations

import time
from typing import Any

import httpx
import redis

from tests.support.accounts import register
from tests.support.events import make_event, send, wait_for_stored
from tests.support.system import System
from tracking_system.common import keys


def _dead_letters_for(redis_sync: redis.Redis, marker: str) -> list[dict[str, str]]:
    entries: Any = redis_sync.xrange(keys.DEAD_LETTER_STREAM)
    return [fields for _, fields in entries if marker in fields.get("e", "")]


def test_poison_entries_end_in_the_dead_letter_stream_and_the_rest_flows(
    api: httpx.Client, redis_sync: redis.Redis, system: System
) -> None:
    account = register(api)
    marker = f"poison-{time.time_ns()}"
    # An entry no worker can process: its event is not an object.
    poison_id = redis_sync.xadd(keys.EVENTS_STREAM, {"a": account.user["id"], "e": f'"{marker}"'})
    send(api, account.user["apiKey"], [make_event() for _ in range(20)])
    assert wait_for_stored(redis_sync, account.user["id"], 20) == 20

    deadline = time.monotonic() + 40
    while not _dead_letters_for(redis_sync, marker) and time.monotonic() < deadline:
        time.sleep(0.2)
    (dead,) = _dead_letters_for(redis_sync, marker)
    assert dead["sourceId"] == poison_id
    assert int(dead["deliveries"]) == 5
    assert "MalformedEntry" in dead["error"]
    pending = redis_sync.xpending_range(
        keys.EVENTS_STREAM, keys.EVENTS_GROUP, min=poison_id, max=poison_id, count=1
    )
    assert pending == []


def test_acknowledged_entries_are_trimmed_from_the_stream(
    api: httpx.Client, redis_sync: redis.Redis, system: System
) -> None:
    account = register(api)
    send(api, account.user["apiKey"], [make_event() for _ in range(300)])
    assert wait_for_stored(redis_sync, account.user["id"], 300) == 300
    deadline = time.monotonic() + 10
    while redis_sync.xlen(keys.EVENTS_STREAM) > 150 and time.monotonic() < deadline:
        time.sleep(0.2)
    # Approximate trimming frees whole nodes: some acknowledged entries may stay, never unread.
    assert redis_sync.xlen(keys.EVENTS_STREAM) <= 150


def test_worker_metrics_count_stored_events(
    api: httpx.Client, redis_sync: redis.Redis, system: System
) -> None:
    account = register(api)
    send(api, account.user["apiKey"], [make_event() for _ in range(7)])
    wait_for_stored(redis_sync, account.user["id"], 7)
    text = httpx.get(f"http://127.0.0.1:{system.env['WORKER_METRICS_PORT']}/metrics").text
    stored = [line for line in text.splitlines() if line.startswith("worker_events_stored_total")]
    assert stored
    assert float(stored[0].split()[-1]) >= 7


def test_tracking_metrics_count_accepted_and_rejected(api: httpx.Client, system: System) -> None:
    account = register(api)
    send(api, account.user["apiKey"], [make_event(), {"bad": True}])
    text = httpx.get(system.service_url("tracking") + "/metrics").text
    assert "ingest_events_accepted_total" in text
    assert 'ingest_events_rejected_total{reason="invalid"}' in text
