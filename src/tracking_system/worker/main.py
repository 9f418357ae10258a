"""The worker process: joins the consumer group and keeps its heartbeat while it runs."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import time

import orjson
import redis.asyncio as aioredis
import structlog
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import ResponseError
from redis.exceptions import TimeoutError as RedisTimeoutError

from tracking_system.common import keys
from tracking_system.common.redis import check_capabilities, create_client, wait_for_redis
from tracking_system.worker.settings import WorkerSettings

log = structlog.get_logger(__name__)


async def ensure_group(redis: aioredis.Redis, consumer: str) -> None:
    """Create the stream and consumer group if needed, and register this consumer in it."""
    try:
        # Id 0: a group created after events were added still reads them all.
        await redis.xgroup_create(keys.EVENTS_STREAM, keys.EVENTS_GROUP, id="0", mkstream=True)
    except ResponseError as exc:
        if "BUSYGROUP" not in str(exc):
            raise
    await redis.xgroup_createconsumer(keys.EVENTS_STREAM, keys.EVENTS_GROUP, consumer)


async def beat(redis: aioredis.Redis, settings: WorkerSettings, started: float) -> None:
    """Refresh this worker's heartbeat key; its TTL removes it when the worker dies."""
    payload = {"consumer": settings.consumer_name, "pid": os.getpid(), "startedAt": started}
    await redis.set(
        keys.worker_heartbeat(settings.consumer_name),
        orjson.dumps(payload),
        ex=keys.WORKER_HEARTBEAT_TTL_SECONDS,
    )


async def run(settings: WorkerSettings) -> None:
    """Run until SIGTERM or SIGINT, reconnecting by itself when Redis goes away."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    redis = create_client(settings.redis_url)
    started = time.time()
    try:
        await wait_for_redis(redis)
        await check_capabilities(redis)
        await ensure_group(redis, settings.consumer_name)
        log.info("worker_started", consumer=settings.consumer_name, stream=keys.EVENTS_STREAM)
        while not stop.is_set():
            try:
                await beat(redis, settings, started)
            except (RedisConnectionError, RedisTimeoutError) as exc:
                log.warning("redis_unavailable", error=str(exc))
            else:
                await _rejoin_if_group_lost(redis, settings.consumer_name)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=settings.heartbeat_seconds)
    finally:
        with contextlib.suppress(RedisConnectionError, RedisTimeoutError):
            await redis.delete(keys.worker_heartbeat(settings.consumer_name))
        await redis.aclose()
        log.info("worker_stopped", consumer=settings.consumer_name)


async def _rejoin_if_group_lost(redis: aioredis.Redis, consumer: str) -> None:
    # A Redis restarted without its data (or a FLUSHALL) drops the group: recreate it.
    try:
        groups = await redis.xinfo_groups(keys.EVENTS_STREAM)
    except ResponseError:
        groups = []
    if not any(g["name"] == keys.EVENTS_GROUP for g in groups):
        await ensure_group(redis, consumer)
