"""The gateway's lean upstream client against a small real HTTP server whose answers are chosen
by path: keep-alive reuse, closed and broken connections, timeouts, nothing listening."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import pytest

from tests.support.processes import free_port
from tracking_system.gateway import upstream
from tracking_system.gateway.upstream import UpstreamError, UpstreamPool

pytestmark = pytest.mark.anyio


@dataclass
class Service:
    port: int
    connections: int = 0
    requests: list[tuple[bytes, dict[bytes, bytes], bytes]] = field(default_factory=list)

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        try:
            while head := await reader.readuntil(b"\r\n\r\n"):
                line, *lines = head[:-4].split(b"\r\n")
                headers = dict(h.lower().split(b": ", 1) for h in lines)
                body = await reader.readexactly(int(headers.get(b"content-length", b"0")))
                target = line.split()[1]
                self.requests.append((target, headers, body))
                if target == b"/slow":
                    await asyncio.sleep(1)
                if target == b"/drop":
                    break
                if target == b"/garbage":
                    writer.write(b"NOT HTTP AT ALL\r\n\r\n")
                    break
                if target == b"/continue":
                    writer.write(b"HTTP/1.1 100 Continue\r\n\r\n")
                close = target == b"/close"
                writer.write(
                    b"HTTP/1.1 201 Created\r\ncontent-type: text/plain\r\nx-seen: "
                    + target + b"\r\ncontent-length: " + str(len(body)).encode()
                    + (b"\r\nconnection: close" if close else b"") + b"\r\n\r\n" + body
                )  # fmt: skip
                await writer.drain()
                if close:
                    break
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()


@pytest.fixture
async def service() -> AsyncIterator[Service]:
    svc = Service(free_port())
    server = await asyncio.start_server(svc.handle, "127.0.0.1", svc.port)
    async with server:
        yield svc


def pool_for(service: Service, *, size: int = 4, timeout: float = 5.0) -> UpstreamPool:
    return UpstreamPool(f"http://127.0.0.1:{service.port}", size=size, timeout_seconds=timeout)


async def test_an_answer_carries_status_headers_and_body(service: Service) -> None:
    pool = pool_for(service)
    answer = await pool.request("POST", b"/ok?x=1", [(b"x-a", b"b")], b"payload")
    assert (answer.status, answer.body) == (201, b"payload")
    assert (b"x-seen", b"/ok?x=1") in answer.headers
    target, headers, body = service.requests[-1]
    assert (target, body) == (b"/ok?x=1", b"payload")
    assert headers[b"x-a"] == b"b"
    assert headers[b"host"] == f"127.0.0.1:{service.port}".encode()
    pool.close()


async def test_sequential_requests_reuse_one_connection(service: Service) -> None:
    pool = pool_for(service)
    for i in range(10):
        assert (await pool.request("POST", b"/ok", [], str(i).encode())).body == str(i).encode()
    assert service.connections == 1
    pool.close()


async def test_concurrent_requests_open_at_most_the_pool_size(service: Service) -> None:
    pool = pool_for(service, size=3)
    answers = await asyncio.gather(
        *(pool.request("POST", b"/ok", [], str(i).encode()) for i in range(30))
    )
    assert [a.body for a in answers] == [str(i).encode() for i in range(30)]
    assert service.connections <= 3
    pool.close()


async def test_an_interim_100_continue_is_skipped_for_the_final_answer(service: Service) -> None:
    pool = pool_for(service)
    answer = await pool.request("POST", b"/continue", [], b"abc")
    assert (answer.status, answer.body) == (201, b"abc")
    assert (await pool.request("POST", b"/ok", [], b"d")).body == b"d"
    assert service.connections == 1
    pool.close()


async def test_a_connection_the_service_closes_is_not_reused(service: Service) -> None:
    pool = pool_for(service)
    await pool.request("POST", b"/close", [], b"a")
    assert (await pool.request("POST", b"/ok", [], b"b")).body == b"b"
    assert service.connections == 2
    pool.close()


async def test_a_connection_idle_too_long_is_replaced(
    service: Service, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(upstream, "IDLE_SECONDS", 0.05)
    pool = pool_for(service)
    await pool.request("POST", b"/ok", [], b"a")
    await asyncio.sleep(0.1)
    await pool.request("POST", b"/ok", [], b"b")
    assert service.connections == 2
    pool.close()


async def test_a_connection_broken_without_an_answer_is_an_error_not_a_retry(
    service: Service,
) -> None:
    pool = pool_for(service)
    with pytest.raises(UpstreamError, match="closed"):
        await pool.request("POST", b"/drop", [], b"a")
    assert len(service.requests) == 1, "a POST that may have been taken is never sent twice"
    assert (await pool.request("POST", b"/ok", [], b"b")).body == b"b"


async def test_a_malformed_answer_is_an_error(service: Service) -> None:
    pool = pool_for(service)
    with pytest.raises(UpstreamError):
        await pool.request("POST", b"/garbage", [], b"a")
    assert (await pool.request("POST", b"/ok", [], b"b")).body == b"b"


async def test_a_slow_service_times_out(service: Service) -> None:
    pool = pool_for(service, timeout=0.2)
    with pytest.raises(UpstreamError, match="in time"):
        await pool.request("POST", b"/slow", [], b"a")


async def test_nothing_listening_is_an_error() -> None:
    pool = UpstreamPool(f"http://127.0.0.1:{free_port()}", size=2, timeout_seconds=1)
    with pytest.raises(UpstreamError, match="cannot connect"):
        await pool.request("POST", b"/ok", [], b"a")


def test_only_plain_http_is_accepted() -> None:
    with pytest.raises(ValueError, match="plain http"):
        UpstreamPool("https://tracking.example", size=1, timeout_seconds=1)
