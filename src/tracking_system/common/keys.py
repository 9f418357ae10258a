"""Every Redis key name and stream/group name, in one place."""

from __future__ import annotations

# Ingestion stream: tracking XADDs one entry per accepted event; workers read it as one group.
EVENTS_STREAM = "events:stream"
EVENTS_GROUP = "workers"
# Entries delivered too many times land here with their error, so they never stall the group.
DEAD_LETTER_STREAM = "events:dead"

# Each worker process refreshes its heartbeat key; its TTL makes a dead worker disappear.
WORKER_HEARTBEAT_PREFIX = "worker:heartbeat:"
WORKER_HEARTBEAT_TTL_SECONDS = 15


def worker_heartbeat(consumer: str) -> str:
    """Key a worker refreshes while it is alive."""
    return f"{WORKER_HEARTBEAT_PREFIX}{consumer}"
