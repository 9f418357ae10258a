"""The user service's FastAPI application."""

from __future__ import annotations

from fastapi import FastAPI

from tracking_system.common.app import create_service_app
from tracking_system.common.indexes import ensure_user_index
from tracking_system.users.passwords import PasswordHashing
from tracking_system.users.routes import auth, internal, sites, users
from tracking_system.users.settings import UsersSettings, get_settings


def create_app(settings: UsersSettings | None = None) -> FastAPI:
    """Build the user service with its routers mounted."""
    settings = settings or get_settings()

    async def startup(app: FastAPI) -> None:
        await ensure_user_index(app.state.redis)
        app.state.hashing = PasswordHashing(settings.password_hash_concurrency)

    return create_service_app(
        name="users",
        settings=settings,
        routers=[auth.router, users.router, sites.router, internal.router],
        on_startup=[startup],
    )
