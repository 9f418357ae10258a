"""FastAPI dependencies every service shares.

Dependencies are `async def` even when they do not await: FastAPI runs plain `def` ones in a
thread pool, a hop that cost more than the whole ingest request."""

from __future__ import annotations

from typing import Annotated

import redis.asyncio as aioredis
from fastapi import Depends, Request


async def get_redis(request: Request) -> aioredis.Redis:
    """The process's Redis client, created in the lifespan."""
    client: aioredis.Redis = request.app.state.redis
    return client


RedisDep = Annotated[aioredis.Redis, Depends(get_redis)]
