from __future__ import annotations

import pytest

from tests.support.redis_server import RedisServer
from tracking_system.common.redis import (
    MissingModulesError,
    check_capabilities,
    create_client,
    missing_capabilities,
)

pytestmark = pytest.mark.anyio


async def test_redis_stack_has_json_and_search(redis_server: RedisServer) -> None:
    client = create_client(redis_server.url)
    try:
        assert await missing_capabilities(client) == []
        await check_capabilities(client)
    finally:
        await client.aclose()


async def test_plain_redis_is_refused_naming_both_modules(plain_redis: RedisServer) -> None:
    client = create_client(plain_redis.url)
    try:
        with pytest.raises(MissingModulesError) as caught:
            await check_capabilities(client)
    finally:
        await client.aclose()
    message = str(caught.value)
    assert "JSON" in message
    assert "search" in message
    assert "\n" not in message
