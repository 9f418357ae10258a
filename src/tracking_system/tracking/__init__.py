"""The tracking service: event ingestion and the stats and events query API."""
