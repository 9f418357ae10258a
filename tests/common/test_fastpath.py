"""The protocol-level fast routes: a real uvicorn server with FastPathProtocol, spoken to over a
raw socket so keep-alive, pipelining and Expect: 100-continue are exactly what is sent."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import pytest
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from tests.support.processes import free_port
from tracking_system.common.fastpath import FAST_ROUTES, FastPathProtocol, FastRequest, Handler

MAX_BODY = 100


class Routes:
    """POST /fast echoes what the handler saw; POST /boom raises; everything else is ASGI."""

    max_body_bytes = MAX_BODY

    def __init__(self) -> None:
        self.seen: list[FastRequest] = []

    def match(self, method: str, path: str, raw_path: bytes) -> Handler | None:
        if method == "POST" and path == "/fast":
            return self.fast
        if method == "POST" and path == "/boom":
            return self.boom
        return None

    async def fast(self, request: FastRequest) -> Response:
        self.seen.append(request)
        if request.oversize:
            return PlainTextResponse("too large", status_code=413)
        text = f"fast {len(request.body)} {request.query_string.decode()}"
        return PlainTextResponse(text, headers={"connection": "keep-alive", "x-fast": "1"})

    async def boom(self, request: FastRequest) -> Response:
        raise RuntimeError("handler failed")


async def asgi(request: Request) -> Response:
    body = await request.body()
    return PlainTextResponse(f"asgi {request.url.path} {len(body)}")


@dataclass
class Server:
    port: int
    routes: Routes


@pytest.fixture(scope="module")
def server() -> Iterator[Server]:
    """uvicorn with FastPathProtocol and a lifespan offering Routes, in a thread."""
    routes = Routes()

    @asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[dict[str, Any]]:
        yield {FAST_ROUTES: routes}

    app = Starlette(
        routes=[Route("/{path:path}", asgi, methods=["GET", "POST"])], lifespan=lifespan
    )
    port = free_port()
    config = uvicorn.Config(
        app, host="127.0.0.1", port=port, http=FastPathProtocol, loop="asyncio",
        log_level="warning", lifespan="on",
    )  # fmt: skip
    uv = uvicorn.Server(config)
    thread = threading.Thread(target=uv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not uv.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.02)
    yield Server(port, routes)
    uv.should_exit = True
    thread.join(10)


@dataclass(frozen=True)
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes


class Connection:
    """A raw HTTP/1.1 client connection that reads answers one at a time."""

    def __init__(self, port: int) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        self.file = self.sock.makefile("rb")

    def send(self, data: bytes) -> None:
        self.sock.sendall(data)

    def read_line(self) -> bytes:
        return self.file.readline()

    def read(self) -> Answer:
        status_line = self.file.readline()
        assert status_line, "connection closed before an answer"
        status = int(status_line.split()[1])
        if status == 100:
            assert self.file.readline() == b"\r\n"
            return Answer(100, {}, b"")
        headers: dict[str, str] = {}
        while (line := self.file.readline()) not in (b"\r\n", b""):
            name, _, value = line.decode("latin-1").partition(":")
            headers[name.strip().lower()] = value.strip()
        return Answer(status, headers, self.file.read(int(headers.get("content-length", 0))))

    def closed_by_peer(self) -> bool:
        return self.file.read(1) == b""

    def close(self) -> None:
        self.file.close()
        self.sock.close()


@pytest.fixture
def conn(server: Server) -> Iterator[Connection]:
    connection = Connection(server.port)
    yield connection
    connection.close()


def post(path: str, body: bytes = b"", extra: bytes = b"") -> bytes:
    head = f"POST {path} HTTP/1.1\r\nhost: t\r\ncontent-length: {len(body)}\r\n".encode()
    return head + extra + b"\r\n" + body


def test_a_fast_route_is_answered_by_its_handler_with_the_server_headers(
    conn: Connection,
) -> None:
    conn.send(post("/fast?a=1", b"hello"))
    answer = conn.read()
    assert (answer.status, answer.body) == (200, b"fast 5 a=1")
    assert answer.headers["x-fast"] == "1"
    assert "date" in answer.headers
    assert "server" in answer.headers
    assert answer.headers["content-type"].startswith("text/plain")


def test_other_routes_go_to_the_asgi_app(conn: Connection) -> None:
    conn.send(post("/other", b"abc"))
    assert conn.read().body == b"asgi /other 3"
    conn.send(b"GET /fast HTTP/1.1\r\nhost: t\r\n\r\n")
    assert conn.read().body == b"asgi /fast 0"


def test_a_percent_encoded_path_goes_to_the_asgi_app(conn: Connection) -> None:
    conn.send(post("/f%61st", b"abc"))
    assert conn.read().body == b"asgi /fast 3"


def test_one_connection_carries_many_fast_and_asgi_requests(conn: Connection) -> None:
    for i in range(5):
        conn.send(post("/fast", b"x" * i))
        assert conn.read().body == f"fast {i} ".encode()
        conn.send(post("/other", b"y" * i))
        assert conn.read().body == f"asgi /other {i}".encode()


def test_pipelined_requests_are_answered_in_order(conn: Connection) -> None:
    conn.send(post("/other", b"1") + post("/fast", b"22") + post("/other", b"333")
              + post("/fast", b"4444"))  # fmt: skip
    bodies = [conn.read().body for _ in range(4)]
    assert bodies == [b"asgi /other 1", b"fast 2 ", b"asgi /other 3", b"fast 4 "]


def test_a_body_sent_in_pieces_reaches_the_handler_whole(conn: Connection) -> None:
    conn.send(b"POST /fast HTTP/1.1\r\nhost: t\r\ncontent-length: 30\r\n\r\n" + b"a" * 10)
    time.sleep(0.05)
    conn.send(b"b" * 10)
    time.sleep(0.05)
    conn.send(b"c" * 10)
    assert conn.read().body == b"fast 30 "


def test_an_oversize_body_reaches_the_handler_flagged_and_empty(
    server: Server, conn: Connection
) -> None:
    conn.send(post("/fast", b"z" * (MAX_BODY + 1)))
    assert conn.read().status == 413
    seen = server.routes.seen[-1]
    assert seen.oversize
    assert seen.body == b""
    conn.send(post("/fast", b"ok"))
    assert conn.read().body == b"fast 2 ", "the connection stays usable after the refusal"


def test_a_large_body_is_refused_while_the_client_still_sends(conn: Connection) -> None:
    body = b"z" * 2_000_000
    sender = threading.Thread(target=conn.send, args=(post("/fast", body),))
    sender.start()
    assert conn.read().status == 413
    sender.join(10)
    assert not sender.is_alive()


def test_expect_100_continue_is_answered_before_the_body(conn: Connection) -> None:
    conn.send(b"POST /fast HTTP/1.1\r\nhost: t\r\ncontent-length: 4\r\n"
              b"expect: 100-continue\r\n\r\n")  # fmt: skip
    assert conn.read().status == 100
    conn.send(b"body")
    assert conn.read().body == b"fast 4 "


def test_expect_100_continue_over_the_limit_is_refused_without_continue(
    conn: Connection,
) -> None:
    conn.send(b"POST /fast HTTP/1.1\r\nhost: t\r\ncontent-length: 5000\r\n"
              b"expect: 100-continue\r\n\r\n")  # fmt: skip
    assert conn.read().status == 413


def test_a_failing_handler_answers_500_with_the_error_envelope(conn: Connection) -> None:
    conn.send(post("/boom", b"x"))
    answer = conn.read()
    assert answer.status == 500
    assert answer.body == b'{"data":null,"errors":{"message":"Internal error"}}'
    conn.send(post("/fast", b"x"))
    assert conn.read().status == 200


def test_http_1_0_gets_its_answer_and_the_connection_closes(conn: Connection) -> None:
    conn.send(b"POST /fast HTTP/1.0\r\ncontent-length: 3\r\n\r\nabc")
    answer = conn.read()
    assert answer.body == b"fast 3 "
    assert answer.headers["connection"] == "close"
    assert conn.closed_by_peer()


def test_connection_close_from_the_client_is_honoured(conn: Connection) -> None:
    conn.send(post("/fast", b"abc", extra=b"connection: close\r\n"))
    answer = conn.read()
    assert answer.headers["connection"] == "close"
    assert conn.closed_by_peer()
