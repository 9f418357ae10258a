"""Connecting to Redis and checking that it has what we need (JSON and search)."""

from __future__ import annotations

import asyncio
import time
from typing import Any, cast

import redis
import redis.asyncio as aioredis
from redis.asyncio.cluster import RedisCluster
from redis.asyncio.retry import Retry
from redis.backoff import ExponentialBackoff
from redis.client import NEVER_DECODE
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import ResponseError, SlotNotCoveredError
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


def create_client(url: str, *, cluster: bool = False, max_connections: int = 128) -> aioredis.Redis:
    """An asyncio Redis client that reconnects by itself after the server restarts; with
    `cluster`, redis-py's cluster client, `url` naming any node (it finds the others).

    The single-node pool blocks (up to 10 s) when every connection is busy, rather than failing
    the request: long-lived live-feed subscriptions share it with everything else."""
    if cluster:
        client = RedisCluster.from_url(
            url,
            max_connections=max_connections,
            decode_responses=True,
            socket_timeout=None,  # blocking reads (XREADGROUP BLOCK) wait as long as they ask
            socket_connect_timeout=2,
            socket_keepalive=True,
            retry=_retry(),
            retry_on_error=[RedisConnectionError, RedisTimeoutError],
            protocol=2,  # as the single-node client speaks, so replies decode the same way
        )
        # It answers the same commands (routed to the shard owning each key); one type for both.
        return cast(aioredis.Redis, client)
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


def is_cluster(client: aioredis.Redis) -> bool:
    """Whether the client is redis-py's cluster client (typed as the plain one)."""
    return isinstance(client, RedisCluster)


def to_owner(client: aioredis.Redis, name: str) -> dict[str, Any]:
    """`execute_command` options sending a command about `name` (an index named with a hash
    tag) straight to the shard owning its slot; none on one server.

    redis-py sends FT.* to any node and follows the MOVED reply; every few redirects it reloads
    the topology and recycles connections in use, which then fail (measured: 70 of 500
    concurrent FT.AGGREGATE calls failed that way, none when sent to the owner)."""
    if isinstance(client, RedisCluster):
        try:
            return {"target_nodes": client.get_node_from_key(name)}
        except SlotNotCoveredError:  # slots not known yet (a client's first commands)
            return {}
    return {}


async def missing_capabilities(client: aioredis.Redis) -> list[str]:
    """Names of the capabilities whose probe command the server does not know."""
    missing: list[str] = []
    # A cluster routes by key: the keyless probe goes to any node (every node has the modules).
    route: dict[str, Any] = {}
    if isinstance(client, RedisCluster):  # narrowed here for the cluster-only methods
        await client.initialize()
        route["target_nodes"] = client.get_random_node()
    for name, probe in CAPABILITY_PROBES.items():
        try:
            await client.execute_command(*probe, **route)  # type: ignore[no-untyped-call]
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


async def get_bytes(client: aioredis.Redis, *names: str) -> list[bytes | None]:
    """The values of keys of one slot as bytes, undecoded (binary blobs): MGET."""
    if not names:
        return []
    values = await client.execute_command(  # type: ignore[no-untyped-call]
        "MGET", *names, **{NEVER_DECODE: True}
    )
    return cast(list[bytes | None], values)
