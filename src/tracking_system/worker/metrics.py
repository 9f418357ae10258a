"""Worker metrics, served on WORKER_METRICS_PORT."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

EVENTS_STORED = Counter("worker_events_stored_total", "Events stored and rolled up")
EVENTS_DUPLICATE = Counter("worker_events_duplicate_total", "Redeliveries and retries skipped")
EVENTS_FAILED = Counter("worker_events_failed_total", "Deliveries that failed (left pending)")
ROWS_COMPACTED = Counter("worker_rows_compacted_total", "Rows moved from tails into day blobs")
EVENTS_DEAD = Counter(
    "worker_events_dead_lettered_total", "Entries moved to the dead-letter stream"
)
EVENTS_RECLAIMED = Counter("worker_events_reclaimed_total", "Idle entries claimed from others")
STREAM_LENGTH = Gauge("worker_stream_length", "Entries in the events stream")
STREAM_LAG = Gauge("worker_stream_lag", "Entries not yet delivered to the group")
STREAM_PENDING = Gauge("worker_stream_pending", "Entries delivered but not acknowledged")
BATCH_SECONDS = Histogram(
    "worker_batch_seconds",
    "Time to enrich and store one batch",
    buckets=(0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5),
)
EVENTS_SITE_GONE = Counter(
    "worker_events_site_deleted_total", "Events dropped because their site was deleted"
)
SITE_KEYS_DELETED = Counter("worker_site_keys_deleted_total", "Keys of deleted sites removed")
HASHES_EVICTED = Counter(
    "worker_event_hashes_evicted_total", "Event hashes removed past the hot window (worker/hot.py)"
)
EVENTS_EXPIRED = Counter(
    "worker_events_expired_total", "Events not stored: older than their site keeps (retentionDays)"
)
EVENTS_ERASED = Counter(
    "worker_events_erased_total", "Stored events erased by visitor erasures (worker/erasure.py)"
)
