"""The user service's FastAPI application."""

from __future__ import annotations

from fastapi import FastAPI

from tracking_system.common.app import create_service_app
from tracking_system.users.settings import UsersSettings, get_settings


def create_app(settings: UsersSettings | None = None) -> FastAPI:
    """Build the user service with its routers mounted."""
    return create_service_app(name="users", settings=settings or get_settings(), routers=[])
