"""A stand-in upstream for gateway tests: answers with the headers and body it received.

Run as `python -m tests.support.echo_app PORT`; `/internal/auth/verify` accepts the bearer token
`good-token` as account `acct-from-token`, as the user service would."""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route


async def verify(request: Request) -> Response:
    if request.headers.get("authorization") == "Bearer good-token":
        return JSONResponse({"data": {"accountId": "acct-from-token"}, "errors": None})
    return JSONResponse({"data": None, "errors": {"message": "bad token"}}, status_code=401)


async def stream(_: Request) -> Response:
    async def chunks() -> AsyncIterator[bytes]:
        for i in range(3):
            yield f"chunk-{i}\n".encode()

    return StreamingResponse(chunks(), media_type="text/plain")


async def echo(request: Request) -> Response:
    body = await request.body()
    return JSONResponse(
        {
            "method": request.method,
            "path": request.url.path,
            "query": request.url.query,
            "headers": dict(request.headers),
            "bodyLength": len(body),
        }
    )


app = Starlette(
    routes=[
        Route("/internal/auth/verify", verify),
        Route("/api/v1/stats/stream", stream),
        Route("/{path:path}", echo, methods=["GET", "POST", "PATCH", "PUT", "DELETE"]),
    ]
)

if __name__ == "__main__":
    uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[1]), log_level="warning")
