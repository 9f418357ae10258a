"""Settings of the users service."""

from __future__ import annotations

from functools import lru_cache

from pydantic import Field

from tracking_system.common.settings import CommonSettings


class UsersSettings(CommonSettings):
    """Environment of the users service process."""

    host: str = Field(default="127.0.0.1", validation_alias="USERS_HOST")
    port: int = Field(default=8001, ge=1, le=65535, validation_alias="USERS_PORT")
    access_token_ttl_seconds: int = Field(
        default=3600, gt=0, validation_alias="ACCESS_TOKEN_TTL_SECONDS"
    )
    refresh_token_ttl_seconds: int = Field(
        default=30 * 24 * 3600, gt=0, validation_alias="REFRESH_TOKEN_TTL_SECONDS"
    )
    # Argon2id costs about 20 ms of one core per hash: bound how many run at once so a burst of
    # logins cannot starve every other request.
    password_hash_concurrency: int = Field(
        default=2, ge=1, le=64, validation_alias="PASSWORD_HASH_CONCURRENCY"
    )
    login_failures_per_account: int = Field(
        default=5, ge=1, validation_alias="LOGIN_FAILURES_PER_ACCOUNT"
    )
    login_account_window_seconds: int = Field(
        default=60, ge=1, validation_alias="LOGIN_ACCOUNT_WINDOW_SECONDS"
    )
    login_failures_per_ip: int = Field(default=20, ge=1, validation_alias="LOGIN_FAILURES_PER_IP")
    login_ip_window_seconds: int = Field(
        default=600, ge=1, validation_alias="LOGIN_IP_WINDOW_SECONDS"
    )
    registrations_per_ip: int = Field(default=10, ge=1, validation_alias="REGISTRATIONS_PER_IP")
    registration_window_seconds: int = Field(
        default=3600, ge=1, validation_alias="REGISTRATION_WINDOW_SECONDS"
    )


@lru_cache
def get_settings() -> UsersSettings:
    """The settings, read once from the environment."""
    return UsersSettings()
