"""The live feed: Server-Sent Events relaying the worker's per-site Pub/Sub messages.

Each feed holds one Redis connection from a pool of its own (never the one ingestion and stats
use), an account holds at most a few feeds at once, and a feed ends by itself when its site's key
is rotated or the site deleted (checked every LIVE_RECHECK_SECONDS) and after LIVE_MAX_SECONDS,
after which the client reconnects. The gateway re-checks the bearer token on the same rhythm."""

from __future__ import annotations

from collections import Counter
from collections.abc import AsyncGenerator, Awaitable, Callable
from contextlib import suppress
from dataclasses import dataclass
from typing import Any

import anyio
import redis.asyncio as aioredis
from redis.asyncio.cluster import ClusterPubSub

from tracking_system.common import keys
from tracking_system.common.errors import RateLimited, ServiceUnavailable
from tracking_system.tracking.sites import current_key

LIVE_PING_SECONDS = 15.0
LIVE_RETRY_MS = 3000


@dataclass(frozen=True)
class LivePolicy:
    """How long a feed may run and how often its site is checked."""

    recheck_seconds: float = 30.0
    max_seconds: float = 3600.0
    ping_seconds: float = LIVE_PING_SECONDS


class LiveSlots:
    """Open feeds per account and in total, in this process."""

    def __init__(self, *, total: int, per_account: int) -> None:
        self.total = total
        self.per_account = per_account
        self.open: Counter[str] = Counter()

    def acquire(self, account_id: str) -> Callable[[], None]:
        """Take a slot for one feed, or 429 (this account has too many) / 503 (the process is
        full); returns the function that gives it back (safe to call more than once)."""
        if self.open[account_id] >= self.per_account:
            raise RateLimited(
                f"At most {self.per_account} live feeds per account; close one first",
                retry_after=LIVE_RETRY_MS // 1000,
            )
        if sum(self.open.values()) >= self.total:
            raise ServiceUnavailable("Too many live feeds open; try again shortly")
        self.open[account_id] += 1
        held = [True]

        def release() -> None:
            if held.pop() if held else False:
                self.open[account_id] -= 1
                if self.open[account_id] <= 0:
                    del self.open[account_id]

        return release


async def live_events(
    *,
    redis: aioredis.Redis,
    site_id: str,
    is_disconnected: Callable[[], Awaitable[bool]],
    policy: LivePolicy | None = None,
    ping_seconds: float | None = None,
) -> AsyncGenerator[bytes, None]:
    """Server-Sent Events: the site's newly stored events as they are published.

    Subscribes before yielding anything, so an event stored after the client has seen the first
    bytes is delivered. The subscription ends with the stream (client gone, cancelled, the site's
    key rotated or the site deleted, or the feed's lifetime over)."""
    policy = policy or LivePolicy()
    ping = ping_seconds if ping_seconds is not None else policy.ping_seconds
    started_key = await current_key(redis, site_id)
    pubsub = redis.pubsub()
    try:
        channel = keys.live_channel(site_id)
        await pubsub.ssubscribe(channel)
        with anyio.move_on_after(5):
            while True:
                message = await _next_message(pubsub, wait=1.0)
                if message is not None and message.get("type") == "ssubscribe":
                    break
        yield f"retry: {LIVE_RETRY_MS}\n\n".encode()
        started = last_sent = last_check = anyio.current_time()
        while True:
            message = await _next_message(pubsub, wait=1.0)
            now = anyio.current_time()
            if message is not None and message.get("type") == "smessage":
                data = message["data"]
                text = data if isinstance(data, str) else bytes(data).decode()
                # The worker publishes one-line JSON; keep the SSE framing safe regardless.
                yield (
                    b"".join(
                        b"data: " + line.encode() + b"\n" for line in text.splitlines() or [""]
                    )
                    + b"\n"
                )
                last_sent = now
            elif now - last_sent >= ping:
                yield b": ping\n\n"
                last_sent = now
            if now - started >= policy.max_seconds:
                yield b": lifetime over, reconnect\n\n"
                return
            if now - last_check >= policy.recheck_seconds:
                last_check = now
                if await current_key(redis, site_id) != started_key:
                    yield b": the site's key changed or the site is gone\n\n"
                    return
            if await is_disconnected():
                return
    finally:
        with anyio.move_on_after(2, shield=True):
            with suppress(Exception):  # closing the connection ends the subscription anyway
                await pubsub.sunsubscribe()
            await pubsub.aclose()  # type: ignore[no-untyped-call]


async def _next_message(pubsub: Any, *, wait: float) -> dict[str, Any] | None:
    """The next message of a shard-channel subscription, on one server or a cluster (whose
    pub/sub reads shard channels with a method of its own)."""
    if isinstance(pubsub, ClusterPubSub):
        message: dict[str, Any] | None = await pubsub.get_sharded_message(timeout=wait)
        return message
    return await pubsub.get_message(timeout=wait)  # type: ignore[no-any-return]
