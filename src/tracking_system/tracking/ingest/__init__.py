"""Ingestion: validate -> resolve key -> XADD."""
