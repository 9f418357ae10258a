"""Compacting sites' columnar tails on demand, as the worker does in the background, and reading
what the columnar tier holds."""

from __future__ import annotations

import asyncio

from tests.support.redis_server import RedisServer
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
