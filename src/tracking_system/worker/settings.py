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


@lru_cache
def get_settings() -> WorkerSettings:
    """The settings, read once from the environment."""
    return WorkerSettings()
