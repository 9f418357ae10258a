"""Settings of the gateway."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any

from pydantic import Field, field_validator
from pydantic_settings import NoDecode

from tracking_system.common.settings import CommonSettings, Environment

LOCAL_PROXIES = ("127.0.0.1", "::1")


def _default_trusted_proxies(data: dict[str, Any]) -> tuple[str, ...]:
    return LOCAL_PROXIES if data.get("app_env") is Environment.DEVELOPMENT else ()


class GatewaySettings(CommonSettings):
    """Environment of the gateway process."""

    host: str = Field(default="127.0.0.1", validation_alias="GATEWAY_HOST")
    port: int = Field(default=8000, ge=1, le=65535, validation_alias="GATEWAY_PORT")
    # Copies of the service on its port (uvicorn worker processes; the kernel spreads connections).
    processes: int = Field(default=1, ge=1, le=64, validation_alias="GATEWAY_PROCESSES")
    users_url: str = Field(default="http://127.0.0.1:8001", validation_alias="USERS_URL")
    tracking_url: str = Field(default="http://127.0.0.1:8002", validation_alias="TRACKING_URL")
    dashboard_dir: Path = Field(default=Path("dashboard/dist"), validation_alias="DASHBOARD_DIR")
    sdk_file: Path = Field(default=Path("sdk/dist/sdk.js"), validation_alias="SDK_FILE")
    # Origins allowed to call the dashboard API cross-origin; ingestion accepts any origin.
    cors_origins: Annotated[tuple[str, ...], NoDecode] = Field(
        default=(), validation_alias="CORS_ORIGINS"
    )
    max_body_bytes: int = Field(default=1_048_576, gt=0, validation_alias="GATEWAY_MAX_BODY_BYTES")
    # Limits on a request's head, enforced while it is read (server.py): 431 above the first
    # two, 414 above the third (the request target: path and query).
    max_header_bytes: int = Field(
        default=32_768, ge=1024, validation_alias="GATEWAY_MAX_HEADER_BYTES"
    )
    max_headers: int = Field(default=100, ge=1, validation_alias="GATEWAY_MAX_HEADERS")
    max_url_bytes: int = Field(default=8_192, ge=256, validation_alias="GATEWAY_MAX_URL_BYTES")
    upstream_timeout_seconds: float = Field(
        default=30.0, gt=0, validation_alias="GATEWAY_UPSTREAM_TIMEOUT"
    )
    upstream_connections: int = Field(
        default=256, gt=0, validation_alias="GATEWAY_UPSTREAM_CONNECTIONS"
    )

    # Peers (a reverse proxy in front of the gateway) whose X-Forwarded-For is believed. In
    # development, the machine itself (so `tracking-system demo` can pose as visitors from many
    # countries); nobody otherwise. An explicit TRUSTED_PROXIES, even empty, always wins.
    trusted_proxies: Annotated[tuple[str, ...], NoDecode] = Field(
        default_factory=_default_trusted_proxies, validation_alias="TRUSTED_PROXIES"
    )
    # How long a verified token is trusted without asking the user service again.
    auth_cache_seconds: float = Field(
        default=1.0, ge=0, le=1.0, validation_alias="GATEWAY_AUTH_CACHE_SECONDS"
    )
    # How often an open live feed's token is verified again (logout, password change end it).
    live_recheck_seconds: float = Field(default=30.0, gt=0, validation_alias="LIVE_RECHECK_SECONDS")
    # Shards of the ingestion stream, whose lag and length the health route sums.
    ingest_streams: int = Field(default=1, ge=1, le=1024, validation_alias="INGEST_STREAMS")

    @field_validator("cors_origins", "trusted_proxies", mode="before")
    @classmethod
    def _split_list(cls, value: object) -> object:
        if isinstance(value, str):
            return tuple(o.strip().rstrip("/") for o in value.split(",") if o.strip())
        return value

    @field_validator("users_url", "tracking_url")
    @classmethod
    def _strip_slash(cls, value: str) -> str:
        return value.rstrip("/")


@lru_cache
def get_settings() -> GatewaySettings:
    """The settings, read once from the environment."""
    return GatewaySettings()
