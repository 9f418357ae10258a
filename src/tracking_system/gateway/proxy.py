"""Forwarding a request to a service over a pooled aiohttp session, streaming the answer back."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping

import aiohttp
from starlette.background import BackgroundTask
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

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


def upstream_headers(request: Request, trusted: Mapping[str, str]) -> dict[str, str]:
    """The client's headers minus hop-by-hop and reserved ones, plus the gateway's own."""
    headers = {
        name: value
        for name, value in request.headers.items()
        if name not in HOP_BY_HOP and not is_reserved_header(name)
    }
    headers.update(trusted)
    return headers


def _response_headers(upstream: aiohttp.ClientResponse) -> dict[str, str]:
    return {k: v for k, v in upstream.headers.items() if k.lower() not in HOP_BY_HOP}


async def forward(
    session: aiohttp.ClientSession,
    *,
    request: Request,
    base_url: str,
    body: bytes,
    trusted_headers: Mapping[str, str],
) -> Response:
    """Send the request to the service; small answers are buffered, the rest streamed."""
    url = base_url + request.url.path
    if request.url.query:
        url += "?" + request.url.query
    upstream = await session.request(
        request.method,
        url,
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
