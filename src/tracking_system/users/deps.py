"""Annotated dependencies of the user service's routes."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Header, Request

from tracking_system.common.deps import RedisDep
from tracking_system.common.errors import NotAuthenticated
from tracking_system.common.internal import ACCOUNT_ID_HEADER, CLIENT_IP_HEADER
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


async def current_account(
    account_id: Annotated[str | None, Header(alias=ACCOUNT_ID_HEADER)] = None,
) -> str:
    """The account the gateway authenticated (it strips this header from clients)."""
    if not account_id:
        raise NotAuthenticated("Sign in to continue")
    return account_id


async def client_ip(ip: Annotated[str | None, Header(alias=CLIENT_IP_HEADER)] = None) -> str:
    """The caller's address as the gateway saw it."""
    return ip or "unknown"


async def authorization(
    value: Annotated[str | None, Header(alias="authorization")] = None,
) -> str | None:
    """The raw Authorization header, to find the caller's own session."""
    return value


SettingsDep = Annotated[UsersSettings, Depends(get_settings)]
HashingDep = Annotated[PasswordHashing, Depends(get_hashing)]
TtlDep = Annotated[TokenTtl, Depends(get_ttl)]
CurrentAccount = Annotated[str, Depends(current_account)]
ClientIp = Annotated[str, Depends(client_ip)]
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
