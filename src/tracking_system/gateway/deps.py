"""Annotated dependencies of the gateway's routes."""

from __future__ import annotations

from typing import Annotated

import aiohttp
from fastapi import Depends, Request

from tracking_system.common.deps import RedisDep
from tracking_system.gateway.settings import GatewaySettings


async def get_settings(request: Request) -> GatewaySettings:
    """The gateway's settings."""
    settings: GatewaySettings = request.app.state.settings
    return settings


async def get_http(request: Request) -> aiohttp.ClientSession:
    """The pooled client the gateway uses to call the services."""
    session: aiohttp.ClientSession = request.app.state.http
    return session


SettingsDep = Annotated[GatewaySettings, Depends(get_settings)]
HttpDep = Annotated[aiohttp.ClientSession, Depends(get_http)]

__all__ = ["HttpDep", "RedisDep", "SettingsDep"]
