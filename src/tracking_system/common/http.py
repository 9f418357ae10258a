"""Reading request bodies within a limit, before anything is parsed."""

from __future__ import annotations

from starlette.requests import Request

from tracking_system.common.errors import PayloadTooLarge


async def read_body(request: Request, limit: int) -> bytes:
    """The request body, or 413 as soon as it is known to exceed `limit` bytes."""
    too_large = PayloadTooLarge(f"Body larger than {limit:,} bytes")
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise too_large
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise too_large
        chunks.append(chunk)
    return b"".join(chunks)
