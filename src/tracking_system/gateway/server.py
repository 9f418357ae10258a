"""The gateway's HTTP protocol: uvicorn's httptools one, with limits on each request's head
(request line and headers) enforced while it arrives, before it is buffered."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any, ClassVar, NoReturn

import orjson

from tracking_system.common.fastpath import FastPathProtocol
from tracking_system.gateway.settings import GatewaySettings

# After refusing a request, the rest of it is read and thrown away for this long, so a client
# still sending gets the answer rather than a connection reset (nginx's "lingering close").
LINGER_SECONDS = 5.0


@dataclass(frozen=True)
class HeadLimits:
    """Largest request head accepted: bytes of request line + headers, headers, target bytes."""

    max_bytes: int = 32_768
    max_headers: int = 100
    max_url_bytes: int = 8_192


class _HeadRefused(Exception):
    """Raised in a parser callback to stop parsing a request over a limit."""


class HeadLimitedProtocol(FastPathProtocol):
    """Answers 431 (head too large, too many headers) or 414 (target too long) and closes."""

    limits: ClassVar[HeadLimits] = HeadLimits()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._head_open = True  # between requests or inside a request line / headers
        self._head_bytes = 0
        self._heads_done = 0
        self._refusal: HTTPStatus | None = None
        self._linger: asyncio.TimerHandle | None = None

    def data_received(self, data: bytes) -> None:
        """Count the bytes of an unfinished head; refuse it as soon as it exceeds the limit."""
        if self._linger is not None:
            return  # the rest of a refused request: discarded
        if not self._head_open:
            # A pipelined head starting in this read goes uncounted: at most one read (256 KiB
            # with uvloop) over the limit, counted from the next read on.
            super().data_received(data)
            return
        budget = self.limits.max_bytes - self._head_bytes
        if len(data) <= budget:
            self._head_bytes += len(data)
            super().data_received(data)
            return
        # Feed only what the head may still take: if that does not finish it, it is too large.
        heads_done = self._heads_done
        self._head_bytes += budget
        if budget > 0:
            super().data_received(data[:budget])
        if self._linger is not None or self.transport.is_closing():
            return
        if self._heads_done == heads_done:
            # The target arrives first: once it is over its own limit, it is the culprit.
            url: bytes = getattr(self, "url", b"")  # set by the first request's first byte
            if len(url) > self.limits.max_url_bytes:
                self._refuse(HTTPStatus.REQUEST_URI_TOO_LONG)
            else:
                self._refuse(HTTPStatus.REQUEST_HEADER_FIELDS_TOO_LARGE)
            return
        self.data_received(data[budget:])

    def connection_lost(self, exc: Exception | None) -> None:
        """Stop lingering."""
        if self._linger is not None:
            self._linger.cancel()
        super().connection_lost(exc)

    def on_headers_complete(self) -> None:
        """The head is complete: check its target and header count; the body is not counted."""
        # Both are bounded by the head's bytes meanwhile, so checking them once here suffices.
        if len(self.url) > self.limits.max_url_bytes:
            self._stop(HTTPStatus.REQUEST_URI_TOO_LONG)
        if len(self.headers) > self.limits.max_headers:
            self._stop(HTTPStatus.REQUEST_HEADER_FIELDS_TOO_LARGE)
        self._head_open = False
        self._head_bytes = 0
        self._heads_done += 1
        super().on_headers_complete()

    def on_message_complete(self) -> None:
        """Whatever comes next is the head of the next request."""
        self._head_open = True
        super().on_message_complete()

    def send_400_response(self, msg: str) -> None:
        """uvicorn's answer to a parser error, unless the error is one of our refusals."""
        if self._refusal is None:
            super().send_400_response(msg)
        else:
            self._refuse(self._refusal)

    def _stop(self, status: HTTPStatus) -> NoReturn:
        # httptools wraps the exception in HttpParserError: uvicorn then calls send_400_response.
        self._refusal = status
        raise _HeadRefused(status.phrase)

    def _refuse(self, status: HTTPStatus) -> None:
        if self.cycle is not None and not self.cycle.response_complete:
            # An earlier pipelined request is still being answered: no room for a second answer.
            self.transport.close()
            return
        self.transport.write(self._refusal_bytes(status))
        if not self.transport.can_write_eof():
            self.transport.close()
            return
        self.transport.write_eof()
        self.flow.resume_reading()
        self._linger = self.loop.call_later(LINGER_SECONDS, self.transport.close)

    def _refusal_bytes(self, status: HTTPStatus) -> bytes:
        if status is HTTPStatus.REQUEST_URI_TOO_LONG:
            message = f"Request target longer than {self.limits.max_url_bytes:,} bytes"
        else:
            message = (
                f"Request headers larger than {self.limits.max_bytes:,} bytes "
                f"or more than {self.limits.max_headers} of them"
            )
        body = orjson.dumps({"data": None, "errors": {"message": message}})
        lines = [f"HTTP/1.1 {status.value} {status.phrase}".encode()]
        lines += [name + b": " + value for name, value in self.server_state.default_headers]
        lines += [
            b"content-type: application/json",
            b"content-length: " + str(len(body)).encode(),
            b"cache-control: no-store",
            b"x-content-type-options: nosniff",
            b"connection: close",
        ]
        return b"\r\n".join(lines) + b"\r\n\r\n" + body


class GatewayHttpProtocol(HeadLimitedProtocol):
    """The protocol with the limits of the gateway's settings; importable by name, so each of
    uvicorn's worker processes (GATEWAY_PROCESSES) builds the same one."""

    @classmethod
    def configure(cls, settings: GatewaySettings) -> None:
        """Take the limits from the settings."""
        cls.limits = HeadLimits(
            max_bytes=settings.max_header_bytes,
            max_headers=settings.max_headers,
            max_url_bytes=settings.max_url_bytes,
        )


# Configured when imported: uvicorn (and each of its worker processes) finds the class by name,
# and reads the environment the gateway's settings were checked from.
GatewayHttpProtocol.configure(GatewaySettings())
UVICORN_OPTIONS: dict[str, Any] = {"http": "tracking_system.gateway.server:GatewayHttpProtocol"}
