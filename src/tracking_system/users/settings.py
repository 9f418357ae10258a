"""Settings of the users service."""

from __future__ import annotations

from functools import lru_cache

from pydantic import Field

from tracking_system.common.settings import CommonSettings


class UsersSettings(CommonSettings):
    """Environment of the users service process."""

    host: str = Field(default="127.0.0.1", validation_alias="USERS_HOST")
    port: int = Field(default=8001, ge=1, le=65535, validation_alias="USERS_PORT")
    # Copies of the service on its port (uvicorn worker processes; the kernel spreads connections).
    processes: int = Field(default=1, ge=1, le=64, validation_alias="USERS_PROCESSES")
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
    # Sign-in throttling (OWASP ASVS 2.2.1) that a stranger cannot turn into a lockout: failures
    # are limited per (account, client address) pair and per client address, never per account
    # alone. Per account, repeated failures only slow every attempt down, by at most
    # LOGIN_BACKOFF_MAX_SECONDS, so the owner can still sign in from any other address.
    login_failures_per_account_ip: int = Field(
        default=5, ge=1, validation_alias="LOGIN_FAILURES_PER_ACCOUNT_IP"
    )
    login_account_ip_window_seconds: int = Field(
        default=900, ge=1, validation_alias="LOGIN_ACCOUNT_IP_WINDOW_SECONDS"
    )
    login_failures_per_ip: int = Field(default=20, ge=1, validation_alias="LOGIN_FAILURES_PER_IP")
    login_ip_window_seconds: int = Field(
        default=600, ge=1, validation_alias="LOGIN_IP_WINDOW_SECONDS"
    )
    # Failures of one email (from any address) within the window before attempts are delayed.
    login_backoff_free_failures: int = Field(
        default=3, ge=0, validation_alias="LOGIN_BACKOFF_FREE_FAILURES"
    )
    # The first delay, doubled with each further failure.
    login_backoff_base_seconds: float = Field(
        default=0.25, ge=0, le=10, validation_alias="LOGIN_BACKOFF_BASE_SECONDS"
    )
    # The longest delay: a few seconds at most, so it slows guessing without locking anyone out.
    login_backoff_max_seconds: float = Field(
        default=3.0, ge=0, le=10, validation_alias="LOGIN_BACKOFF_MAX_SECONDS"
    )
    login_backoff_window_seconds: int = Field(
        default=900, ge=1, validation_alias="LOGIN_BACKOFF_WINDOW_SECONDS"
    )
    # Registration answers 409 for a taken email (there is no e-mail verification): attempts
    # are limited per client address and per email, which bounds how fast it can be used to
    # find out who has an account.
    registrations_per_ip: int = Field(default=10, ge=1, validation_alias="REGISTRATIONS_PER_IP")
    registration_window_seconds: int = Field(
        default=3600, ge=1, validation_alias="REGISTRATION_WINDOW_SECONDS"
    )
    registrations_per_email: int = Field(
        default=10, ge=1, validation_alias="REGISTRATIONS_PER_EMAIL"
    )
    registration_email_window_seconds: int = Field(
        default=3600, ge=1, validation_alias="REGISTRATION_EMAIL_WINDOW_SECONDS"
    )


@lru_cache
def get_settings() -> UsersSettings:
    """The settings, read once from the environment."""
    return UsersSettings()
