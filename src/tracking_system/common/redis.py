"""Connecting to Redis and checking that it has what we need (JSON and search)."""

from __future__ import annotations

import asyncio
import time

import redis
import redis.asyncio as aioredis
from redis.asyncio.retry import Retry
from redis.backoff import ExponentialBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import ResponseError
from redis.exceptions import TimeoutError as RedisTimeoutError

# A harmless command per capability -> what a person should be told is missing.
CAPABILITY_PROBES: dict[str, tuple[str, ...]] = {
    "JSON (RedisJSON module)": ("JSON.GET", "__capability_probe__"),
    "search (RediSearch module / query engine)": ("FT._LIST",),
}


class MissingModulesError(RuntimeError):
    """The Redis server lacks a capability the system needs."""


def _retry() -> Retry:
    return Retry(ExponentialBackoff(cap=1.0, base=0.05), retries=3)


def create_client(url: str, *, max_connections: int = 128) -> aioredis.Redis:
    """An asyncio Redis client that reconnects by itself after the server restarts.

    Its pool blocks (up to 10 s) when every connection is busy, rather than failing the request:
    long-lived live-feed subscriptions share it with everything else."""
    pool = aioredis.BlockingConnectionPool.from_url(
        url,
        max_connections=max_connections,
        timeout=10,
        decode_responses=True,
        health_check_interval=10,
        socket_connect_timeout=2,
        socket_keepalive=True,
        retry=_retry(),
        retry_on_error=[RedisConnectionError, RedisTimeoutError],
    )
    return aioredis.Redis.from_pool(pool)


async def missing_capabilities(client: aioredis.Redis) -> list[str]:
    """Names of the capabilities whose probe command the server does not know."""
    missing: list[str] = []
    for name, probe in CAPABILITY_PROBES.items():
        try:
            await client.execute_command(*probe)  # type: ignore[no-untyped-call]
        except ResponseError as exc:
            if "unknown command" in str(exc).lower():
                missing.append(name)
            else:
                raise
    return missing


async def check_capabilities(client: aioredis.Redis) -> None:
    """Raise MissingModulesError naming every capability the server lacks."""
    missing = await missing_capabilities(client)
    if missing:
        raise MissingModulesError(
            "Redis server lacks " + " and ".join(missing) + "; use Redis 8 or Redis Stack 7.2+"
        )


async def wait_for_redis(client: aioredis.Redis, *, within: float = 30.0) -> None:
    """Wait until the server answers PING (and has loaded its data) or raise TimeoutError."""
    deadline = time.monotonic() + within
    while True:
        try:
            if await client.ping():
                return
        except (RedisConnectionError, RedisTimeoutError, redis.exceptions.BusyLoadingError):
            pass
        if time.monotonic() > deadline:
            raise TimeoutError("Redis did not become ready in time")
        await asyncio.sleep(0.05)
