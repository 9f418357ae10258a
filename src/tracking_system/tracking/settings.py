"""Settings of the tracking service."""

from __future__ import annotations

from functools import lru_cache

from pydantic import Field

from tracking_system.common.settings import CommonSettings


class TrackingSettings(CommonSettings):
    """Environment of the tracking service process."""

    host: str = Field(default="127.0.0.1", validation_alias="TRACKING_HOST")
    port: int = Field(default=8002, ge=1, le=65535, validation_alias="TRACKING_PORT")
    # Copies of the service on its port (uvicorn worker processes; the kernel spreads connections).
    processes: int = Field(default=1, ge=1, le=64, validation_alias="TRACKING_PROCESSES")
    api_key_cache_seconds: float = Field(
        default=1.0, ge=0, le=1.0, validation_alias="API_KEY_CACHE_SECONDS"
    )
    ingest_rate_limit: int = Field(
        default=2000, ge=1, validation_alias="INGEST_RATE_LIMIT_PER_SECOND"
    )
    # One account's queries: at once, and seconds of query time per minute (tracking/guard.py).
    queries_per_account: int = Field(default=2, ge=1, validation_alias="QUERIES_PER_ACCOUNT")
    query_budget_seconds: float = Field(
        default=30.0, gt=0, validation_alias="QUERY_BUDGET_SECONDS_PER_MINUTE"
    )
    # Live feeds hold a Redis connection each, from a pool of their own, so they can never starve
    # ingestion or the stats of connections.
    live_max_streams: int = Field(default=256, ge=1, validation_alias="LIVE_MAX_STREAMS")
    live_streams_per_account: int = Field(
        default=8, ge=1, validation_alias="LIVE_STREAMS_PER_ACCOUNT"
    )
    live_recheck_seconds: float = Field(default=30.0, gt=0, validation_alias="LIVE_RECHECK_SECONDS")
    live_max_seconds: float = Field(default=3600.0, gt=0, validation_alias="LIVE_MAX_SECONDS")
    # Unread events allowed in each stream shard before ingestion answers 503 (never trimmed).
    ingest_max_backlog: int = Field(default=1_000_000, ge=1, validation_alias="INGEST_MAX_BACKLOG")
    # Shards of the ingestion stream (keys.events_stream); the worker and the gateway read as many.
    ingest_streams: int = Field(default=1, ge=1, le=1024, validation_alias="INGEST_STREAMS")
    # Decoded day blobs of the columnar tier kept in each process (least recently used dropped).
    columnar_cache_mb: int = Field(default=1024, ge=16, validation_alias="COLUMNAR_CACHE_MB")
    # After a start, every site's last this many days are decoded in the background (0: none).
    columnar_warm_days: int = Field(default=31, ge=0, le=366, validation_alias="COLUMNAR_WARM_DAYS")


@lru_cache
def get_settings() -> TrackingSettings:
    """The settings, read once from the environment."""
    return TrackingSettings()
