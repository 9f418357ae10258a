"""Settings of the users service."""

from __future__ import annotations

from functools import lru_cache

from pydantic import Field

from tracking_system.common.settings import CommonSettings


class UsersSettings(CommonSettings):
    """Environment of the users service process."""

    host: str = Field(default="127.0.0.1", validation_alias="USERS_HOST")
    port: int = Field(default=8001, ge=1, le=65535, validation_alias="USERS_PORT")


@lru_cache
def get_settings() -> UsersSettings:
    """The settings, read once from the environment."""
    return UsersSettings()
