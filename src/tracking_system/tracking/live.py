"""The live feed: Server-Sent Events relaying the worker's per-site Pub/Sub messages."""

from __future__ import annotations

from collections.abc import AsyncGenerator, Awaitable, Callable
from contextlib import suppress

import anyio
import redis.asyncio as aioredis

from tracking_system.common import keys

LIVE_PING_SECONDS = 15.0
LIVE_RETRY_MS = 3000


async def live_events(
    *,
    redis: aioredis.Redis,
    site_id: str,
    is_disconnected: Callable[[], Awaitable[bool]],
    ping_seconds: float = LIVE_PING_SECONDS,
) -> AsyncGenerator[bytes, None]:
    """Server-Sent Events: the site's newly stored events as they are published.

    Subscribes before yielding anything, so an event stored after the client has seen the first
    bytes is delivered. The subscription ends with the stream (client gone or cancelled)."""
    pubsub = redis.pubsub()
    try:
        channel = keys.live_channel(site_id)
        await pubsub.subscribe(channel)
        with anyio.move_on_after(5):
            while True:
                message = await pubsub.get_message(timeout=1.0)
                if message is not None and message.get("type") == "subscribe":
                    break
        yield f"retry: {LIVE_RETRY_MS}\n\n".encode()
        last_sent = anyio.current_time()
        while True:
            message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=1.0)
            if message is not None and message.get("type") == "message":
                data = message["data"]
                text = data if isinstance(data, str) else bytes(data).decode()
                # The worker publishes one-line JSON; keep the SSE framing safe regardless.
                yield (
                    b"".join(
                        b"data: " + line.encode() + b"\n" for line in text.splitlines() or [""]
                    )
                    + b"\n"
                )
                last_sent = anyio.current_time()
            elif anyio.current_time() - last_sent >= ping_seconds:
                yield b": ping\n\n"
                last_sent = anyio.current_time()
            if await is_disconnected():
                return
    finally:
        with anyio.move_on_after(2, shield=True):
            with suppress(Exception):  # closing the connection ends the subscription anyway
                await pubsub.unsubscribe()
            await pubsub.aclose()  # type: ignore[no-untyped-call]
