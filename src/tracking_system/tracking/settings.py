"""Settings of the tracking service."""

from __future__ import annotations

from functools import lru_cache

from pydantic import Field

from tracking_system.common.settings import CommonSettings


class TrackingSettings(CommonSettings):
    """Environment of the tracking service process."""

    host: str = Field(default="127.0.0.1", validation_alias="TRACKING_HOST")
    port: int = Field(default=8002, ge=1, le=65535, validation_alias="TRACKING_PORT")


@lru_cache
def get_settings() -> TrackingSettings:
    """The settings, read once from the environment."""
    return TrackingSettings()
