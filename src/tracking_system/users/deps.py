"""Annotated dependencies of the user service's routes."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Header, Request

from tracking_system.common.deps import ClientIp, CurrentAccount, RedisDep
from tracking_system.users.passwords import PasswordHashing
from tracking_system.users.settings import UsersSettings
from tracking_system.users.tokens import TokenTtl


async def get_settings(request: Request) -> UsersSettings:
    """The service's settings."""
    settings: UsersSettings = request.app.state.settings
    return settings


async def get_hashing(request: Request) -> PasswordHashing:
    """The bounded argon2id pool."""
    hashing: PasswordHashing = request.app.state.hashing
    return hashing


async def get_ttl(settings: Annotated[UsersSettings, Depends(get_settings)]) -> TokenTtl:
    """Token lifetimes."""
    return TokenTtl(settings.access_token_ttl_seconds, settings.refresh_token_ttl_seconds)


async def authorization(
    value: Annotated[str | None, Header(alias="authorization")] = None,
) -> str | None:
    """The raw Authorization header, to find the caller's own session."""
    return value


SettingsDep = Annotated[UsersSettings, Depends(get_settings)]
HashingDep = Annotated[PasswordHashing, Depends(get_hashing)]
TtlDep = Annotated[TokenTtl, Depends(get_ttl)]
AuthorizationDep = Annotated[str | None, Depends(authorization)]

__all__ = [
    "AuthorizationDep",
    "ClientIp",
    "CurrentAccount",
    "HashingDep",
    "RedisDep",
    "SettingsDep",
    "TtlDep",
]
