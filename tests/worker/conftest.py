"""Fixtures of the worker's tests."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
import redis.asyncio as aioredis

from tests.support.redis_server import RedisServer
from tracking_system.common.redis import create_client


@pytest.fixture
async def client(redis_server: RedisServer) -> AsyncIterator[aioredis.Redis]:
    """An async client of the test Redis."""
    connection = create_client(redis_server.url, cluster=redis_server.is_cluster)
    yield connection
    await connection.aclose()
