"""Annotated dependencies of the tracking service's routes (the ingest route reads the app
state directly: it is the hot path)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Query, Request

from tracking_system.common.deps import ClientIp, CurrentAccount, RedisDep
from tracking_system.tracking.guard import QueryGuard
from tracking_system.tracking.sites import Site, resolve_site


async def current_site(
    account_id: CurrentAccount,
    redis: RedisDep,
    site: Annotated[
        str | None, Query(max_length=64, description="Site id; default the account's first site")
    ] = None,
) -> Site:
    """The signed-in account's site the request names (404 for any other)."""
    return await resolve_site(redis, account_id=account_id, site_id=site)


CurrentSite = Annotated[Site, Depends(current_site)]


async def query_slot(request: Request, account_id: CurrentAccount) -> AsyncIterator[None]:
    """Hold one of the account's query slots while the route runs (tracking/guard.py)."""
    guard: QueryGuard = request.app.state.query_guard
    async with guard.slot(account_id):
        yield


QuerySlot = Depends(query_slot)

__all__ = ["ClientIp", "CurrentAccount", "CurrentSite", "QuerySlot", "RedisDep", "Site"]
