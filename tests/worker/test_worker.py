from __future__ import annotations

import time

import redis

from tests.support.system import System
from tracking_system.common import keys


def test_worker_joins_the_consumer_group(system: System, redis_sync: redis.Redis) -> None:
    groups = redis_sync.xinfo_groups(keys.EVENTS_STREAM)
    assert [g["name"] for g in groups] == [keys.EVENTS_GROUP]
    consumers = redis_sync.xinfo_consumers(keys.EVENTS_STREAM, keys.EVENTS_GROUP)
    assert len(consumers) >= 1


def test_worker_heartbeat_expires_by_itself(system: System, redis_sync: redis.Redis) -> None:
    beats = list(redis_sync.scan_iter(match=keys.WORKER_HEARTBEAT_PREFIX + "*"))
    assert beats
    ttl = redis_sync.ttl(beats[0])
    assert 0 < ttl <= keys.WORKER_HEARTBEAT_TTL_SECONDS


def test_consumers_of_dead_workers_are_forgotten(system: System, redis_sync: redis.Redis) -> None:
    redis_sync.xgroup_createconsumer(keys.EVENTS_STREAM, keys.EVENTS_GROUP, "ghost-worker")
    deadline = time.monotonic() + 10  # maintenance runs every 0.5 s in the tests
    names = {"ghost-worker"}
    while "ghost-worker" in names and time.monotonic() < deadline:
        time.sleep(0.2)
        consumers = redis_sync.xinfo_consumers(keys.EVENTS_STREAM, keys.EVENTS_GROUP)
        names = {str(c["name"]) for c in consumers}
    assert "ghost-worker" not in names
    assert names  # the live worker stays
