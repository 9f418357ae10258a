"""The worker process: consumes every shard of the events stream until SIGTERM or SIGINT."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import time

import orjson
import redis.asyncio as aioredis
import structlog
from prometheus_client import start_http_server

from tracking_system.common import keys
from tracking_system.common.errors import REDIS_ERRORS
from tracking_system.common.redis import check_capabilities, create_client, wait_for_redis
from tracking_system.worker.consumer import (
    Consumer,
    compact_forever,
    consume_forever,
    delete_sites_forever,
    maintain_forever,
    rebuild_forever,
)
from tracking_system.worker.settings import WorkerSettings

log = structlog.get_logger(__name__)


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
    if settings.metrics_port:
        try:
            start_http_server(settings.metrics_port, addr="127.0.0.1")
        except OSError as exc:
            # Metrics are worth a warning, not a worker that refuses to consume.
            log.warning("metrics_port_unavailable", port=settings.metrics_port, error=str(exc))
    redis = create_client(settings.redis_url, cluster=settings.redis_cluster)
    started = time.time()
    try:
        await wait_for_redis(redis)
        await check_capabilities(redis)
        consumer = Consumer(redis, settings)
        await consumer.ensure_groups()
        log.info("worker_started", consumer=settings.consumer_name, streams=consumer.streams)
        await asyncio.gather(
            consume_forever(consumer, stop),
            maintain_forever(consumer, stop, lambda: beat(redis, settings, started)),
            delete_sites_forever(consumer, stop),
            compact_forever(consumer, stop),
            rebuild_forever(consumer, stop),
        )
    finally:
        with contextlib.suppress(*REDIS_ERRORS):
            await redis.delete(keys.worker_heartbeat(settings.consumer_name))
        await redis.aclose()
        log.info("worker_stopped", consumer=settings.consumer_name)
