"""Annotated dependencies of the tracking service's routes (the ingest route reads the app
state directly: it is the hot path)."""

from __future__ import annotations

from tracking_system.common.deps import ClientIp, CurrentAccount, RedisDep

__all__ = ["ClientIp", "CurrentAccount", "RedisDep"]
