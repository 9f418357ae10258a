"""The ceiling to compare ingestion against: a raw ASGI app that only XADDs what it receives.

Run: python -m benchmarks.bare_xadd PORT REDIS_URL"""

from __future__ import annotations

import sys
from typing import Any

import orjson
import redis.asyncio as aioredis
import uvicorn

STREAM = "bench:bare"


def make_app(redis_url: str) -> Any:
    """ASGI app: POST body -> XADD (one entry per event of a batch) -> 202."""
    redis = aioredis.Redis.from_url(redis_url)

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        if scope["method"] == "GET":  # readiness probe
            await send({"type": "http.response.start", "status": 200, "headers": []})
            await send({"type": "http.response.body", "body": b"ok"})
            return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        payload = orjson.loads(body) if body else {}
        events = payload.get("events") if isinstance(payload, dict) else None
        if events:
            async with redis.pipeline(transaction=False) as pipe:
                for event in events:
                    pipe.xadd(STREAM, {"e": orjson.dumps(event)}, maxlen=100_000, approximate=True)
                await pipe.execute()
        else:
            await redis.xadd(STREAM, {"e": body}, maxlen=100_000, approximate=True)
        await send({"type": "http.response.start", "status": 202,
                    "headers": [(b"content-type", b"application/json")]})  # fmt: skip
        await send({"type": "http.response.body", "body": b'{"accepted":1}'})

    return app


if __name__ == "__main__":
    uvicorn.run(make_app(sys.argv[2]), host="127.0.0.1", port=int(sys.argv[1]),
                log_level="warning", access_log=False)  # fmt: skip
