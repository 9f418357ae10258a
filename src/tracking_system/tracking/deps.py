"""Annotated dependencies of the tracking service's routes."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Header, Request

from tracking_system.common.deps import RedisDep
from tracking_system.common.errors import NotAuthenticated
from tracking_system.common.internal import ACCOUNT_ID_HEADER, CLIENT_IP_HEADER
from tracking_system.tracking.ingest.apikeys import ApiKeyResolver
from tracking_system.tracking.ingest.pipeline import IngestPolicy
from tracking_system.tracking.settings import TrackingSettings


async def get_settings(request: Request) -> TrackingSettings:
    """The service's settings."""
    settings: TrackingSettings = request.app.state.settings
    return settings


async def get_resolver(request: Request) -> ApiKeyResolver:
    """The API key cache."""
    resolver: ApiKeyResolver = request.app.state.resolver
    return resolver


async def get_policy(request: Request) -> IngestPolicy:
    """Ingestion limits."""
    policy: IngestPolicy = request.app.state.ingest_policy
    return policy


async def current_account(
    account_id: Annotated[str | None, Header(alias=ACCOUNT_ID_HEADER)] = None,
) -> str:
    """The account the gateway authenticated."""
    if not account_id:
        raise NotAuthenticated("Sign in to continue")
    return account_id


async def client_ip(ip: Annotated[str | None, Header(alias=CLIENT_IP_HEADER)] = None) -> str:
    """The sender's address as the gateway saw it."""
    return ip or ""


SettingsDep = Annotated[TrackingSettings, Depends(get_settings)]
ResolverDep = Annotated[ApiKeyResolver, Depends(get_resolver)]
PolicyDep = Annotated[IngestPolicy, Depends(get_policy)]
CurrentAccount = Annotated[str, Depends(current_account)]
ClientIp = Annotated[str, Depends(client_ip)]

__all__ = ["ClientIp", "CurrentAccount", "PolicyDep", "RedisDep", "ResolverDep", "SettingsDep"]
