"""Compacting sites' columnar tails on demand, as the worker does in the background."""

from __future__ import annotations

import asyncio

from tests.support.redis_server import RedisServer
from tracking_system.common.redis import create_client
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
