"""Compacting sites' columnar tails on demand, as the worker does in the background, and reading
what the columnar tier holds."""

from __future__ import annotations

import asyncio

from tests.support.redis_server import RedisServer
from tracking_system.common import keys, rollups
from tracking_system.common.redis import create_client
from tracking_system.tracking.stats.columnar import all_rows
from tracking_system.worker.compaction import compact_all


def compact(server: RedisServer, site_ids: list[str]) -> int:
    """Move every tail row of the sites into their day blobs; the rows moved."""

    async def run() -> int:
        client = create_client(server.url, cluster=server.is_cluster)
        try:
            return sum([await compact_all(client, site_id) for site_id in site_ids])
        finally:
            await client.aclose()

    return asyncio.run(run())


def columnar_ids(server: RedisServer, site_id: str) -> list[str]:
    """The id of every row the columnar tier holds for the site (day blobs and tail), over all
    time: one per stored event."""

    async def run() -> list[str]:
        client = create_client(server.url, cluster=server.is_cluster)
        try:
            table = await all_rows(client, site_id=site_id)
        finally:
            await client.aclose()
        ids: list[str] = table.column("id").to_pylist()
        return ids

    return asyncio.run(run())


def evict(server: RedisServer, site_id: str, hot_from: int) -> int:
    """What the worker's hot window does: compact the site, start its hot window at `hot_from`
    (a UTC midnight), then remove the hash of every event before it; the hashes removed."""
    compact(server, [site_id])
    client = server.client()
    try:
        client.hset(rollups.meta(site_id), rollups.HOT_FROM_FIELD, str(hot_from))
        old = [key for key in client.scan_iter(match=f"{keys.event_prefix(site_id)}*", count=1000)
               if int(client.hget(key, "eventTime") or 0) < hot_from]  # fmt: skip
        return int(client.delete(*old)) if old else 0
    finally:
        client.close()
