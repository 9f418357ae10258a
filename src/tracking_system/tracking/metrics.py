"""Ingestion metrics of the tracking service."""

from __future__ import annotations

from prometheus_client import Counter, Histogram

EVENTS_ACCEPTED = Counter("ingest_events_accepted_total", "Events written to the stream")
EVENTS_REJECTED = Counter(
    "ingest_events_rejected_total", "Events refused, by reason", labelnames=("reason",)
)
INGEST_SECONDS = Histogram(
    "ingest_request_seconds",
    "Ingest request handling time",
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0),
)
