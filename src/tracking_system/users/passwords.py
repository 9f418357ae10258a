"""Argon2id password hashing, off the event loop and with bounded concurrency."""

from __future__ import annotations

import asyncio

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

# OWASP's argon2id baseline: 19 MiB, 2 iterations, 1 lane.
_hasher = PasswordHasher(time_cost=2, memory_cost=19_456, parallelism=1)
# Verified when the email is unknown, so that answer takes as long as a wrong password.
_DUMMY_HASH = _hasher.hash("not-a-real-password-only-for-equal-timing")


class PasswordHashing:
    """Hash and verify in worker threads, at most `concurrency` at a time."""

    def __init__(self, concurrency: int) -> None:
        self._slots = asyncio.Semaphore(concurrency)

    async def hash(self, password: str) -> str:
        """An argon2id hash of the password."""
        async with self._slots:
            return await asyncio.to_thread(_hasher.hash, password)

    async def verify(self, stored_hash: str | None, password: str) -> bool:
        """True when the password matches; with no hash, spends the same time and fails."""
        async with self._slots:
            return await asyncio.to_thread(_verify, stored_hash, password)


def _verify(stored_hash: str | None, password: str) -> bool:
    try:
        _hasher.verify(stored_hash or _DUMMY_HASH, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False
    return stored_hash is not None
