"""Settings shared by every process, read from environment variables."""

from __future__ import annotations

from enum import StrEnum
from typing import Self

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

# Only for local development: production refuses to start with it.
DEV_INTERNAL_SECRET = "dev-internal-secret-change-me"  # noqa: S105
DEFAULT_REDIS_URL = "redis://127.0.0.1:6380/0"


class Environment(StrEnum):
    DEVELOPMENT = "development"
    TEST = "test"
    PRODUCTION = "production"


class InsecureSettingsError(ValueError):
    """A setting that is only acceptable for local use was given in production."""


class CommonSettings(BaseSettings):
    """Settings every process reads; each service extends it with its own."""

    model_config = SettingsConfigDict(env_prefix="", extra="ignore", frozen=True)

    app_env: Environment = Field(default=Environment.DEVELOPMENT)
    redis_url: str = Field(default=DEFAULT_REDIS_URL)
    # REDIS_URL names any node of a Redis Cluster; every process then uses the cluster client.
    redis_cluster: bool = Field(default=False)
    internal_secret: str = Field(default=DEV_INTERNAL_SECRET, repr=False)
    log_level: str = Field(default="INFO")
    log_format: str = Field(default="console", pattern="^(console|json)$")

    @model_validator(mode="after")
    def _refuse_insecure_defaults(self) -> Self:
        if self.app_env is Environment.PRODUCTION:
            if self.internal_secret == DEV_INTERNAL_SECRET:
                raise InsecureSettingsError(
                    "INTERNAL_SECRET must be set to a private value when APP_ENV=production"
                )
            if len(self.internal_secret) < 32:
                raise InsecureSettingsError(
                    "INTERNAL_SECRET must be at least 32 characters when APP_ENV=production"
                )
        return self
