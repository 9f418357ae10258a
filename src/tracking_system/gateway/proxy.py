"""Forwarding a request to a service over a pooled aiohttp session, streaming the answer back."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterable, AsyncIterator, Awaitable, Callable, Mapping
from urllib.parse import quote

import aiohttp
from starlette.background import BackgroundTask
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from yarl import URL

from tracking_system.common.internal import is_reserved_header

HOP_BY_HOP = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "te",
        "trailer",
        "trailers",
        "transfer-encoding",
        "upgrade",
        "host",
        "content-length",
    }
)
# The gateway's server sets its own Date: the service's would make two.
DROPPED_RESPONSE_HEADERS = HOP_BY_HOP | {"date"}


Chunk = str | bytes | memoryview


async def revalidated(
    chunks: AsyncIterable[Chunk], *, still_valid: Callable[[], Awaitable[bool]], every: float
) -> AsyncIterator[Chunk]:
    """The chunks of a long-lived answer, ended as soon as `still_valid` says no (asked every
    `every` seconds, whether or not chunks arrive meanwhile)."""
    source = aiter(chunks)
    pending: asyncio.Future[Chunk] = asyncio.ensure_future(anext(source))
    last_check = time.monotonic()
    try:
        while True:
            done, _ = await asyncio.wait({pending}, timeout=every)
            if time.monotonic() - last_check >= every:
                last_check = time.monotonic()
                if not await still_valid():
                    return
            if not done:
                continue
            try:
                chunk = pending.result()
            except StopAsyncIteration:
                return
            yield chunk
            pending = asyncio.ensure_future(anext(source))
    finally:
        pending.cancel()
        with contextlib.suppress(BaseException):
            await pending
        closer = getattr(source, "aclose", None)
        if closer is not None:
            await closer()


def upstream_headers(request: Request, trusted: Mapping[str, str]) -> dict[str, str]:
    """The client's headers minus hop-by-hop and reserved ones, plus the gateway's own."""
    headers = {
        name: value
        for name, value in request.headers.items()
        if name not in HOP_BY_HOP and not is_reserved_header(name)
    }
    headers.update(trusted)
    return headers


def upstream_url(base_url: str, request: Request) -> URL:
    """The service URL: the request's raw path and query string, byte for byte."""
    raw_path: bytes | None = request.scope.get("raw_path")
    path = raw_path.decode("latin-1") if raw_path is not None else quote(request.url.path)
    url = base_url + path
    if query := request.scope.get("query_string", b""):
        url += "?" + query.decode("latin-1")
    # encoded=True: sent as is, without re-quoting or resolving dot segments.
    return URL(url, encoded=True)


def _response_headers(upstream: aiohttp.ClientResponse) -> dict[str, str]:
    return {k: v for k, v in upstream.headers.items() if k.lower() not in DROPPED_RESPONSE_HEADERS}


async def forward(
    session: aiohttp.ClientSession,
    *,
    request: Request,
    base_url: str,
    body: bytes,
    trusted_headers: Mapping[str, str],
) -> Response:
    """Send the request to the service; small answers are buffered, the rest streamed."""
    upstream = await session.request(
        request.method,
        upstream_url(base_url, request),
        headers=upstream_headers(request, trusted_headers),
        data=body or None,
        allow_redirects=False,
        auto_decompress=False,
    )
    headers = _response_headers(upstream)
    if upstream.content_length is not None:
        try:
            content = await upstream.read()
        finally:
            upstream.release()
        return Response(content, status_code=upstream.status, headers=headers)

    async def chunks() -> AsyncIterator[bytes]:
        async for chunk in upstream.content.iter_any():
            yield chunk

    return StreamingResponse(
        chunks(),
        status_code=upstream.status,
        headers=headers,
        background=BackgroundTask(upstream.release),
    )
