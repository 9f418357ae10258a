"""A small per-process cache whose entries expire after a fixed time (monotonic clock)."""

from __future__ import annotations

import time
from typing import Generic, TypeVar

K = TypeVar("K")
V = TypeVar("V")


class TtlCache(Generic[K, V]):
    """Key -> value for `ttl` seconds; at most `max_entries`, expired ones dropped first."""

    def __init__(self, *, ttl: float, max_entries: int = 10_000) -> None:
        self.ttl = ttl
        self.max_entries = max_entries
        self._entries: dict[K, tuple[V, float]] = {}

    def get(self, key: K) -> tuple[bool, V | None]:
        """(True, value) while the entry is fresh, else (False, None)."""
        hit = self._entries.get(key)
        if hit is None or hit[1] <= time.monotonic():
            return False, None
        return True, hit[0]

    def put(self, key: K, value: V) -> None:
        """Remember the value for `ttl` seconds."""
        now = time.monotonic()
        if len(self._entries) >= self.max_entries:
            self._entries = {k: v for k, v in self._entries.items() if v[1] > now}
            if len(self._entries) >= self.max_entries:
                self._entries.clear()
        self._entries[key] = (value, now + self.ttl)
