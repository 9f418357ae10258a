"""Keeping one account's queries from slowing everyone else's.

Redis runs a search on its one main thread and DuckDB shares the stats process's cores, so the
stats and explorer queries of one account could otherwise take all of them. Per account and per
process: at most `concurrency` queries at once (others wait a little, then 429), and at most
`budget_seconds` of query time in any `window_seconds` (then 429 with the wait). Each explorer
search also has its own time limit in Redis, past which it is 503."""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

from tracking_system.common.errors import RateLimited

MAX_TRACKED_ACCOUNTS = 10_000


@dataclass
class _Account:
    slots: asyncio.Semaphore
    spent: deque[tuple[float, float]] = field(default_factory=deque)  # (ended at, seconds)
    busy: int = 0


class QueryGuard:
    """Concurrency and time budget of each account's queries in this process."""

    def __init__(
        self,
        *,
        concurrency: int,
        budget_seconds: float,
        window_seconds: float = 60.0,
        wait_seconds: float = 10.0,
    ) -> None:
        self.concurrency = concurrency
        self.budget_seconds = budget_seconds
        self.window_seconds = window_seconds
        self.wait_seconds = wait_seconds
        self._accounts: dict[str, _Account] = {}

    def _account(self, account_id: str) -> _Account:
        state = self._accounts.get(account_id)
        if state is None:
            if len(self._accounts) >= MAX_TRACKED_ACCOUNTS:
                self._forget_idle()
            state = self._accounts[account_id] = _Account(asyncio.Semaphore(self.concurrency))
        return state

    def _forget_idle(self) -> None:
        now = time.monotonic()
        for account_id, state in list(self._accounts.items()):
            if not state.busy and (
                not state.spent or state.spent[-1][0] < now - self.window_seconds
            ):
                del self._accounts[account_id]

    def spent(self, account_id: str) -> float:
        """Seconds of query time the account used in the current window."""
        state = self._accounts.get(account_id)
        if state is None:
            return 0.0
        horizon = time.monotonic() - self.window_seconds
        while state.spent and state.spent[0][0] < horizon:
            state.spent.popleft()
        return sum(seconds for _, seconds in state.spent)

    @asynccontextmanager
    async def slot(self, account_id: str) -> AsyncIterator[None]:
        """Run one query of the account, or raise 429 when it must wait for its own queries."""
        state = self._account(account_id)
        if self.spent(account_id) >= self.budget_seconds:
            retry = self.window_seconds - (time.monotonic() - state.spent[0][0])
            raise RateLimited(
                "This account's queries used their share of the database; try again shortly",
                retry_after=max(1, int(retry) + 1),
            )
        try:
            await asyncio.wait_for(state.slots.acquire(), timeout=self.wait_seconds)
        except TimeoutError:
            raise RateLimited("Too many queries at once for this account", retry_after=2) from None
        state.busy += 1
        started = time.monotonic()
        try:
            yield
        finally:
            ended = time.monotonic()
            state.spent.append((ended, ended - started))
            state.busy -= 1
            state.slots.release()
