"""A lean HTTP/1.1 client for the gateway's hottest call (public ingestion to the tracking
service): pooled keep-alive connections, one write per request, httptools parsing the answer.

aiohttp costs the gateway about a third of its time per single event (py-spy under
`benchmarks.ingest`); this does the one thing that call needs. Everything else the gateway
forwards still goes through aiohttp. A failed request is never retried: a POST may have been
taken before its connection broke, and the sender retries with its event ids (deduplicated)."""

from __future__ import annotations

import asyncio
import time
from collections import deque
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import httptools

# Idle connections older than this are closed instead of reused: the services' uvicorn closes
# keep-alive connections idle for 5 s, and a request racing that close would fail.
IDLE_SECONDS = 2.0
CONNECT_SECONDS = 5.0


class UpstreamError(Exception):
    """The service could not be reached, broke the connection, or did not answer in time."""


@dataclass
class UpstreamResponse:
    status: int
    headers: list[tuple[bytes, bytes]] = field(default_factory=list)
    body: bytes = b""


class _Connection(asyncio.Protocol):
    """One keep-alive connection; at most one request in flight."""

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.parser = httptools.HttpResponseParser(self)
        self.waiter: asyncio.Future[UpstreamResponse] | None = None
        self.closed = False
        self.reusable = False
        self.idle_since = 0.0
        self._headers: list[tuple[bytes, bytes]] = []
        self._body: list[bytes] = []

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        """Keep the transport."""
        self.transport = transport  # type: ignore[assignment]

    def connection_lost(self, exc: Exception | None) -> None:
        """Fail the request in flight, if any."""
        self.closed = True
        self._fail(UpstreamError("connection closed by the service"))

    def data_received(self, data: bytes) -> None:
        """Feed the parser; a malformed answer ends the connection."""
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserError:
            self._fail(UpstreamError("malformed answer from the service"))
            self.close()

    def on_header(self, name: bytes, value: bytes) -> None:
        """Parser callback."""
        self._headers.append((name.lower(), value))

    def on_body(self, body: bytes) -> None:
        """Parser callback."""
        self._body.append(body)

    def on_message_complete(self) -> None:
        """Parser callback: the answer is whole (an interim 1xx one is skipped)."""
        if self.parser.get_status_code() < 200:
            self._headers, self._body = [], []
            return
        self.reusable = self.parser.should_keep_alive()
        response = UpstreamResponse(
            self.parser.get_status_code(), self._headers, b"".join(self._body)
        )
        self._headers, self._body = [], []
        if self.waiter is not None and not self.waiter.done():
            self.waiter.set_result(response)

    def send(self, request: bytes) -> asyncio.Future[UpstreamResponse]:
        """Write a request; the future holds its answer."""
        assert self.transport is not None
        self.reusable = False
        self.waiter = asyncio.get_running_loop().create_future()
        self.transport.write(request)
        return self.waiter

    def close(self) -> None:
        """Close the connection (idempotent)."""
        self.closed = True
        if self.transport is not None:
            self.transport.close()

    def _fail(self, error: UpstreamError) -> None:
        if self.waiter is not None and not self.waiter.done():
            self.waiter.set_exception(error)


class UpstreamPool:
    """Keep-alive connections to one plain-HTTP service, at most `size` at a time."""

    def __init__(self, base_url: str, *, size: int, timeout_seconds: float) -> None:
        url = urlsplit(base_url)
        if url.scheme != "http" or url.hostname is None:
            raise ValueError("the lean upstream client speaks plain http only")
        self.host = url.hostname
        self.port = url.port or 80
        self._host_header = url.netloc.encode("ascii")
        self._timeout = timeout_seconds
        self._slots = asyncio.Semaphore(size)
        self._idle: deque[_Connection] = deque()

    async def request(
        self, method: str, target: bytes, headers: list[tuple[bytes, bytes]], body: bytes
    ) -> UpstreamResponse:
        """The service's answer to one request, or UpstreamError."""
        head = [method.encode("ascii"), b" ", target, b" HTTP/1.1\r\nhost: ", self._host_header,
                b"\r\ncontent-length: ", str(len(body)).encode("ascii"), b"\r\n"]  # fmt: skip
        for name, value in headers:
            head += (name, b": ", value, b"\r\n")
        head += (b"\r\n", body)
        async with self._slots:
            connection = await self._connection()
            try:
                async with asyncio.timeout(self._timeout):
                    response = await connection.send(b"".join(head))
            except TimeoutError as exc:
                connection.close()
                raise UpstreamError("the service did not answer in time") from exc
            except BaseException:
                connection.close()
                raise
            if connection.reusable and not connection.closed:
                connection.idle_since = time.monotonic()
                self._idle.append(connection)
            else:
                connection.close()
            return response

    async def _connection(self) -> _Connection:
        now = time.monotonic()
        while self._idle:
            connection = self._idle.pop()  # the most recently used: the least likely closed
            if not connection.closed and now - connection.idle_since < IDLE_SECONDS:
                return connection
            connection.close()
        loop = asyncio.get_running_loop()
        try:
            async with asyncio.timeout(CONNECT_SECONDS):
                _, connection = await loop.create_connection(_Connection, self.host, self.port)
        except (OSError, TimeoutError) as exc:
            raise UpstreamError(f"cannot connect to {self.host}:{self.port}") from exc
        return connection

    def close(self) -> None:
        """Close every idle connection."""
        while self._idle:
            self._idle.pop().close()
