"""FastAPI dependencies every service shares.

Dependencies are `async def` even when they do not await: FastAPI runs plain `def` ones in a
thread pool, a hop that cost more than the whole ingest request."""

from __future__ import annotations

from typing import Annotated

import redis.asyncio as aioredis
from fastapi import Depends, Header, Request

from tracking_system.common.errors import NotAuthenticated
from tracking_system.common.internal import ACCOUNT_ID_HEADER, CLIENT_IP_HEADER


async def get_redis(request: Request) -> aioredis.Redis:
    """The process's Redis client, created in the lifespan."""
    client: aioredis.Redis = request.app.state.redis
    return client


RedisDep = Annotated[aioredis.Redis, Depends(get_redis)]


async def current_account(
    account_id: Annotated[str | None, Header(alias=ACCOUNT_ID_HEADER)] = None,
) -> str:
    """The account the gateway authenticated (it strips this header from every client)."""
    if not account_id:
        raise NotAuthenticated("Sign in to continue")
    return account_id


async def client_ip(ip: Annotated[str | None, Header(alias=CLIENT_IP_HEADER)] = None) -> str:
    """The caller's address as the gateway saw it ("" when unknown)."""
    return ip or ""


CurrentAccount = Annotated[str, Depends(current_account)]
ClientIp = Annotated[str, Depends(client_ip)]
