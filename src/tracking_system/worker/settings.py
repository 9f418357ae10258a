"""Settings of the worker process."""

from __future__ import annotations

import os
import socket
from functools import lru_cache

from pydantic import Field

from tracking_system.common.settings import CommonSettings


def _default_consumer() -> str:
    return f"{socket.gethostname()}-{os.getpid()}"


class WorkerSettings(CommonSettings):
    """Environment of a worker process."""

    consumer_name: str = Field(default_factory=_default_consumer, validation_alias="WORKER_NAME")
    heartbeat_seconds: float = Field(default=2.0, gt=0, validation_alias="WORKER_HEARTBEAT_SECONDS")
    batch_size: int = Field(default=500, ge=1, le=5000, validation_alias="WORKER_BATCH_SIZE")
    block_ms: int = Field(default=1000, ge=1, validation_alias="WORKER_BLOCK_MS")
    # An entry another consumer took and has not acknowledged for this long is reclaimed.
    claim_idle_ms: int = Field(default=30_000, ge=1, validation_alias="WORKER_CLAIM_IDLE_MS")
    maintenance_seconds: float = Field(
        default=5.0, gt=0, validation_alias="WORKER_MAINTENANCE_SECONDS"
    )
    # After this many deliveries without success an entry goes to the dead-letter stream.
    max_deliveries: int = Field(default=5, ge=1, validation_alias="WORKER_MAX_DELIVERIES")
    zone_cache_seconds: float = Field(
        default=5.0, ge=0, validation_alias="WORKER_ZONE_CACHE_SECONDS"
    )
    metrics_port: int = Field(default=9102, ge=0, le=65535, validation_alias="WORKER_METRICS_PORT")
    # Shards of the ingestion stream (keys.events_stream): one reader task each.
    ingest_streams: int = Field(default=1, ge=1, le=1024, validation_alias="INGEST_STREAMS")
    # The columnar tier: a site's tail is compacted into day blobs once it holds this many rows
    # or its oldest row is this old; tails are looked at every `check` seconds.
    columnar_compact_rows: int = Field(
        default=10_000, ge=1, le=1_000_000, validation_alias="COLUMNAR_COMPACT_ROWS"
    )
    columnar_compact_seconds: float = Field(
        default=10.0, ge=0, validation_alias="COLUMNAR_COMPACT_SECONDS"
    )
    columnar_compact_check_seconds: float = Field(
        default=2.0, gt=0, validation_alias="COLUMNAR_COMPACT_CHECK_SECONDS"
    )
    # Event hashes (the explorer's index) are kept for the last this many UTC days; older events
    # stay in the columnar tier only (worker/hot.py). Sites are looked at every `check` seconds.
    events_hot_days: int = Field(default=30, ge=1, le=100_000, validation_alias="EVENTS_HOT_DAYS")
    events_hot_check_seconds: float = Field(
        default=300.0, gt=0, validation_alias="EVENTS_HOT_CHECK_SECONDS"
    )
    # A site's compaction lock lapses after this (a killed worker's, so another takes over).
    columnar_lock_seconds: float = Field(
        default=120.0, ge=1, validation_alias="COLUMNAR_LOCK_SECONDS"
    )


@lru_cache
def get_settings() -> WorkerSettings:
    """The settings, read once from the environment."""
    return WorkerSettings()
