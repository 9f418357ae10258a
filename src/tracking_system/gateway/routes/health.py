"""Liveness of the gateway and the state of Redis, each service and the worker."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import aiohttp
from fastapi import APIRouter
from redis.exceptions import RedisError, ResponseError

from tracking_system.common import keys
from tracking_system.common.errors import envelope
from tracking_system.common.responses import JsonResponse
from tracking_system.gateway.deps import HttpDep, RedisDep, SettingsDep

router = APIRouter()
UP, DOWN = "up", "down"


@router.get("/health", include_in_schema=False)
async def gateway_health() -> dict[str, str]:
    """200 while the gateway process answers."""
    return {"status": "ok"}


async def _service_state(http: aiohttp.ClientSession, url: str) -> dict[str, Any]:
    started = time.perf_counter()
    try:
        async with http.get(url + "/health", timeout=aiohttp.ClientTimeout(total=2)) as resp:
            ok = resp.status == 200
    except (aiohttp.ClientError, TimeoutError):
        ok = False
    return {"status": UP if ok else DOWN, "latencyMs": _ms_since(started)}


def _ms_since(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 2)


async def _redis_and_worker(
    redis: RedisDep, streams: list[str]
) -> tuple[dict[str, Any], dict[str, Any]]:
    started = time.perf_counter()
    try:
        await redis.ping()
    except RedisError as exc:
        down = {"status": DOWN, "error": type(exc).__name__}
        return down, {"status": "unknown", "reason": "Redis is down"}
    redis_state = {"status": UP, "latencyMs": _ms_since(started)}
    try:
        consumers = [k async for k in redis.scan_iter(match=keys.WORKER_HEARTBEAT_PREFIX + "*")]
        # Summed over the stream's shards, one stream per command (a cluster keeps them apart).
        lag = pending = length = 0
        for stream in streams:
            try:
                for group in await redis.xinfo_groups(stream):
                    if group["name"] == keys.EVENTS_GROUP:
                        lag += int(group.get("lag") or 0)
                        pending += int(group.get("pending", 0))
            except ResponseError:
                continue  # no stream yet: nothing ingested on this shard
            length += await redis.xlen(stream)
        dead = await redis.xlen(keys.DEAD_LETTER_STREAM)
    except RedisError as exc:
        return redis_state, {"status": "unknown", "error": type(exc).__name__}
    worker_state = {
        "status": UP if consumers else DOWN,
        "consumers": len(consumers),
        "lag": lag,
        "pending": pending,
        "streamLength": length,
        "streams": len(streams),
        "deadLetters": dead,
    }
    return redis_state, worker_state


@router.get("/api/v1/health")
async def system_health(settings: SettingsDep, http: HttpDep, redis: RedisDep) -> JsonResponse:
    """State of Redis, the user and tracking services and the worker (stream lag and length,
    summed over the stream's shards, included)."""
    (redis_state, worker_state), users, tracking = await asyncio.gather(
        _redis_and_worker(redis, keys.events_streams(settings.ingest_streams)),
        _service_state(http, settings.users_url),
        _service_state(http, settings.tracking_url),
    )
    components = {
        "gateway": {"status": UP},
        "redis": redis_state,
        "users": users,
        "tracking": tracking,
        "worker": worker_state,
    }
    healthy = all(c["status"] == UP for c in components.values())
    payload = {"status": "ok" if healthy else "degraded", "components": components}
    return JsonResponse(envelope(payload), status_code=200 if healthy else 503)
