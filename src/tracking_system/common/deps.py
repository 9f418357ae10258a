"""FastAPI dependencies every service shares."""

from __future__ import annotations

from typing import Annotated

import redis.asyncio as aioredis
from fastapi import Depends, Request


def get_redis(request: Request) -> aioredis.Redis:
    """The process's Redis client, created in the lifespan."""
    client: aioredis.Redis = request.app.state.redis
    return client


RedisDep = Annotated[aioredis.Redis, Depends(get_redis)]
