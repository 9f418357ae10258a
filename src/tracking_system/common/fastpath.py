"""Hot routes served at the HTTP protocol, before ASGI: uvicorn's httptools protocol hands a
matching request to a plain handler instead of building the ASGI cycle and running the app.

Ingestion's single events cost each service twice what a bare endpoint costs, most of it in the
ASGI layers every request crosses (scope, receive/send messages, middleware, Request and Response
objects; py-spy under `benchmarks.ingest`). The handler gets the request's head and whole body
and returns a finished response; uvicorn's own cycle bookkeeping (keep-alive, pipelining, flow
control, a client gone mid-request) stays in charge, because the fast cycle is one of its cycles.

A service offers its fast routes from its lifespan, as the state entry `FAST_ROUTES`: uvicorn
hands the lifespan state to each connection's protocol."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Protocol

import httptools
import structlog
from starlette.responses import Response
from uvicorn.protocols.http.httptools_impl import (
    STATUS_LINE,
    HttpToolsProtocol,
    RequestResponseCycle,
)

from tracking_system.common.errors import error_response

log = structlog.get_logger(__name__)

FAST_ROUTES = "fast_routes"


@dataclass(frozen=True)
class FastRequest:
    """A request's head and body, as received (header names lower-cased)."""

    method: str
    path: str
    raw_path: bytes
    query_string: bytes
    headers: list[tuple[bytes, bytes]]
    body: bytes
    client: tuple[str, int] | None
    # The body passed the routes' max_body_bytes: it was not kept (body is empty), and the
    # handler answers 413 with the headers it owes every answer.
    oversize: bool = False

    def header(self, name: bytes) -> bytes | None:
        """The first value of a header, like Starlette's Headers.get."""
        for key, value in self.headers:
            if key == name:
                return value
        return None


Handler = Callable[[FastRequest], Awaitable[Response]]


class FastRoutes(Protocol):
    """What a service offers: the handler of a request head, or None for the ASGI app."""

    max_body_bytes: int

    def match(self, method: str, path: str, raw_path: bytes) -> Handler | None: ...


class FastCycle(RequestResponseCycle):
    """One of uvicorn's request cycles whose 'application' is a fast handler."""

    handler: Handler
    routes: FastRoutes
    request_path: str

    async def run_asgi(self, app: Any) -> None:
        """Wait for the whole body, run the handler, write its answer in one write."""
        try:
            limit = self.routes.max_body_bytes
            oversize = _declared_length(self.scope["headers"]) > limit  # type: ignore[arg-type]
            while self.more_body and not self.disconnected and not oversize:
                if len(self.body) > limit:
                    break
                if self.waiting_for_100_continue and not self.transport.is_closing():
                    # The client waits for this before sending its body (curl over 1 KiB).
                    self.transport.write(b"HTTP/1.1 100 Continue\r\n\r\n")
                    self.waiting_for_100_continue = False
                self.flow.resume_reading()
                await self.message_event.wait()
                self.message_event.clear()
            if self.disconnected:
                return
            oversize = oversize or len(self.body) > limit
            self._write(await self.handler(self._request(oversize=oversize)))
        except Exception as exc:
            log.error("unhandled_error", path=self.request_path,
                      error_type=type(exc).__name__, exc_info=exc)  # fmt: skip
            if not self.response_started and not self.disconnected:
                self._write(error_response(500, {"message": "Internal error"}))
            elif not self.response_complete:
                self.transport.close()
        finally:
            self.on_response = lambda: None

    def _request(self, *, oversize: bool) -> FastRequest:
        scope = self.scope
        # An oversize body is left unread (no 100 Continue asked for it): uvicorn skips the rest.
        return FastRequest(
            method=scope["method"],
            path=scope["path"],
            raw_path=scope["raw_path"],
            query_string=scope["query_string"],
            headers=scope["headers"],  # type: ignore[arg-type]
            body=b"" if oversize else bytes(self.body),
            client=scope["client"],
            oversize=oversize,
        )

    def _write(self, response: Response) -> None:
        if self.disconnected:
            return
        self.response_started = True
        self.waiting_for_100_continue = False
        content = [STATUS_LINE[response.status_code]]
        for name, value in self.default_headers:
            content += (name, b": ", value, b"\r\n")
        for name, value in response.raw_headers:
            if name == b"connection":
                continue  # this connection's fate is the cycle's to tell
            content += (name, b": ", value, b"\r\n")
        if not self.keep_alive:
            content.append(b"connection: close\r\n")
        content += (b"\r\n", bytes(response.body))
        self.transport.write(b"".join(content))
        self.response_complete = True
        self.message_event.set()
        if not self.keep_alive:
            self.transport.close()
        self.on_response()


def _declared_length(headers: list[tuple[bytes, bytes]]) -> int:
    for name, value in headers:
        if name == b"content-length":
            return int(value) if value.isdigit() else 0  # httptools refuses malformed ones
    return 0


class FastPathProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol, serving the lifespan's fast routes without the app."""

    def on_headers_complete(self) -> None:
        """Start a fast cycle for a fast route; anything else goes on to the ASGI app."""
        routes: FastRoutes | None = self.app_state.get(FAST_ROUTES)
        handler = None if routes is None else self._fast_handler(routes)
        if handler is None or routes is None:
            super().on_headers_complete()
            return
        http_version = self.parser.get_http_version()
        existing = self.cycle
        cycle = FastCycle(
            scope=self.scope,
            transport=self.transport,
            flow=self.flow,
            logger=self.logger,
            access_logger=self.access_logger,
            access_log=False,
            default_headers=self.server_state.default_headers,
            message_event=asyncio.Event(),
            expect_100_continue=self.expect_100_continue,
            keep_alive=http_version != "1.0" and self.parser.should_keep_alive(),
            on_response=self.on_response_complete,
        )
        cycle.handler, cycle.routes, cycle.request_path = handler, routes, self.scope["path"]
        self.cycle = cycle
        if existing is None or existing.response_complete:
            self._start_asgi_task(cycle, self.app)
        else:
            # Pipelined behind an unfinished answer: uvicorn starts it when that one is done.
            self.flow.pause_reading()
            self.pipeline.appendleft((cycle, self.app))

    def _fast_handler(self, routes: FastRoutes) -> Handler | None:
        if self.parser.should_upgrade():
            return None
        method = self.parser.get_method().decode("ascii")
        url = httptools.parse_url(self.url)
        raw_path: bytes = url.path
        if b"%" in raw_path:
            return None  # the ASGI path decodes it; fast routes are plain paths
        path = raw_path.decode("ascii")
        handler = routes.match(method, path, raw_path)
        if handler is not None:
            http_version = self.parser.get_http_version()
            self.scope["method"] = method
            if http_version != "1.1":
                self.scope["http_version"] = http_version
            self.scope["path"] = path
            self.scope["raw_path"] = raw_path
            self.scope["query_string"] = url.query or b""
        return handler
