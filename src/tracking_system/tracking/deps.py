"""Annotated dependencies of the tracking service's routes."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from tracking_system.common.deps import ClientIp, CurrentAccount, RedisDep
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


SettingsDep = Annotated[TrackingSettings, Depends(get_settings)]
ResolverDep = Annotated[ApiKeyResolver, Depends(get_resolver)]
PolicyDep = Annotated[IngestPolicy, Depends(get_policy)]

__all__ = ["ClientIp", "CurrentAccount", "PolicyDep", "RedisDep", "ResolverDep", "SettingsDep"]
