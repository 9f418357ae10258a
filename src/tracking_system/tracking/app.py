"""The tracking service's FastAPI application."""

from __future__ import annotations

from fastapi import FastAPI

from tracking_system.common.app import create_service_app
from tracking_system.tracking.settings import TrackingSettings, get_settings


def create_app(settings: TrackingSettings | None = None) -> FastAPI:
    """Build the tracking service with its routers mounted."""
    return create_service_app(name="tracking", settings=settings or get_settings(), routers=[])
