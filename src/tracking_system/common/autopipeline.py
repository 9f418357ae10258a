"""One Redis connection shared by concurrent callers, their commands pipelined: each command
written in the same event-loop turn as others joins their single write, and replies are matched
to callers in order (RESP answers in the order commands arrive).

Ingestion's single events cost the tracking service a fifth of its time in the one Redis call
each makes (py-spy under `benchmarks.ingest`: the pool, retries, one write and one read per
event); under load, one write and one read now carry many events, on both sides of the socket.
Used for that call only, on one Redis server (a cluster keeps redis-py's client). A command whose
connection breaks before its reply fails with redis-py's ConnectionError, never retried: the
sender retries with its event ids, which are deduplicated."""

from __future__ import annotations

import asyncio
from collections import deque
from typing import Any
from urllib.parse import unquote, urlsplit

import hiredis
from redis.exceptions import (
    BusyLoadingError,
    NoScriptError,
    ResponseError,
)
from redis.exceptions import (
    ConnectionError as RedisConnectionError,
)
from redis.exceptions import (
    TimeoutError as RedisTimeoutError,
)

CONNECT_SECONDS = 2.0


def encode(args: tuple[Any, ...]) -> bytes:
    """A command as RESP: an array of bulk strings."""
    out = [b"*%d\r\n" % len(args)]
    for arg in args:
        if isinstance(arg, bytes):
            data = arg
        elif isinstance(arg, str):
            data = arg.encode()
        elif isinstance(arg, int | float):
            data = repr(arg).encode()
        else:
            raise TypeError(f"cannot send a {type(arg).__name__} to Redis")
        out += (b"$%d\r\n" % len(data), data, b"\r\n")
    return b"".join(out)


def _error(reply: hiredis.ReplyError) -> Exception:
    message = str(reply)
    if message.startswith("NOSCRIPT"):
        return NoScriptError(message)
    if message.startswith("LOADING"):
        return BusyLoadingError(message)
    return ResponseError(message)


class _Connection(asyncio.Protocol):
    """The socket, its reader, the callers waiting in order and the commands not yet written."""

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.reader = hiredis.Reader(encoding="utf-8")
        self.waiters: deque[asyncio.Future[Any]] = deque()
        self.pending: list[bytes] = []
        self.closed = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        """Keep the transport."""
        self.transport = transport  # type: ignore[assignment]

    def connection_lost(self, exc: Exception | None) -> None:
        """Fail every caller still waiting."""
        self.closed = True
        while self.waiters:
            waiter = self.waiters.popleft()
            if not waiter.done():
                waiter.set_exception(RedisConnectionError("connection to Redis lost"))

    def data_received(self, data: bytes) -> None:
        """Hand each complete reply to the oldest waiter (one gone by timeout still takes its
        reply, so the order holds)."""
        self.reader.feed(data)
        while (reply := self.reader.gets()) is not False:
            if not self.waiters:
                self.close()  # a reply nobody asked for: the stream is out of step
                return
            waiter = self.waiters.popleft()
            if waiter.done():
                continue
            if isinstance(reply, hiredis.ReplyError):
                waiter.set_exception(_error(reply))
            else:
                waiter.set_result(reply)

    def send(self, command: bytes) -> asyncio.Future[Any]:
        """Queue a command for this turn's write; the future holds its reply."""
        loop = asyncio.get_running_loop()
        waiter: asyncio.Future[Any] = loop.create_future()
        self.waiters.append(waiter)
        if not self.pending:
            loop.call_soon(self._flush)
        self.pending.append(command)
        return waiter

    def _flush(self) -> None:
        if self.transport is not None and not self.closed:
            self.transport.write(b"".join(self.pending))
        self.pending.clear()

    def close(self) -> None:
        """Close the socket (waiters fail in connection_lost)."""
        self.closed = True
        if self.transport is not None:
            self.transport.close()


class AutoPipeline:
    """Pipelined commands to one plain-TCP Redis server named by a `redis://` URL."""

    def __init__(self, url: str, *, timeout_seconds: float) -> None:
        parts = urlsplit(url)
        if parts.scheme != "redis":
            raise ValueError("auto-pipelining speaks plain redis:// only")
        self.host = parts.hostname or "localhost"
        self.port = parts.port or 6379
        self._auth = [unquote(p) for p in (parts.username, parts.password) if p]
        path = parts.path.strip("/")
        self._db = int(path) if path else 0
        self._timeout = timeout_seconds
        self._connection: _Connection | None = None
        self._connecting = asyncio.Lock()

    async def execute(self, *args: Any) -> Any:
        """The reply to one command, or redis-py's exception for it."""
        connection = await self._connected()
        try:
            async with asyncio.timeout(self._timeout):
                return await connection.send(encode(args))
        except TimeoutError as exc:
            raise RedisTimeoutError("Redis did not answer in time") from exc

    async def evalsha(self, sha: str, numkeys: int, *args: Any) -> Any:
        """EVALSHA, as redis-py's client offers it."""
        return await self.execute("EVALSHA", sha, numkeys, *args)

    async def eval(self, script: str, numkeys: int, *args: Any) -> Any:
        """EVAL, as redis-py's client offers it."""
        return await self.execute("EVAL", script, numkeys, *args)

    async def _connected(self) -> _Connection:
        connection = self._connection
        if connection is not None and not connection.closed:
            return connection
        async with self._connecting:
            if self._connection is not None and not self._connection.closed:
                return self._connection
            self._connection = await self._connect()
            return self._connection

    async def _connect(self) -> _Connection:
        loop = asyncio.get_running_loop()
        connection: _Connection | None = None
        try:
            async with asyncio.timeout(CONNECT_SECONDS):
                _, connection = await loop.create_connection(_Connection, self.host, self.port)
                setup = []
                if self._auth:
                    setup.append(connection.send(encode(("AUTH", *self._auth))))
                if self._db:
                    setup.append(connection.send(encode(("SELECT", self._db))))
                await asyncio.gather(*setup)
        except (OSError, TimeoutError, ResponseError) as exc:
            if connection is not None:
                connection.close()
            if isinstance(exc, ResponseError):
                raise
            raise RedisConnectionError(
                f"cannot connect to Redis at {self.host}:{self.port}"
            ) from exc
        return connection

    def close(self) -> None:
        """Close the connection."""
        if self._connection is not None:
            self._connection.close()
