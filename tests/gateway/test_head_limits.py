"""Limits on a request's head (request line and headers), enforced while the gateway reads it."""

from __future__ import annotations

import http.client
import select
import socket
import threading
import time

import httpx
import pytest

from tests.gateway.helpers import request, rss_kib
from tests.support.system import System

MIB = 1024 * 1024


def _send_huge_header(port: int, size: int, answers: list[bytes]) -> None:
    """Stream a `size`-byte Authorization header, stopping once the gateway has answered."""
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        sock.sendall(b"GET /api/v1/users/me HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer ")
        chunk = b"a" * (256 * 1024)
        sent = 0
        try:
            while sent < size and not select.select([sock], [], [], 0)[0]:
                sock.sendall(chunk)
                sent += len(chunk)
            if sent >= size:
                sock.sendall(b"\r\n\r\n")
        except OSError:
            pass  # the gateway stopped reading: its answer is still there to read
        answer = b""
        while b"\r\n\r\n" not in answer and (data := sock.recv(65536)):
            answer += data
        answers.append(answer)


def test_huge_headers_get_431_and_the_gateway_memory_stays_bounded(system: System) -> None:
    pid = system.processes["gateway"].pid
    port = system.ports["gateway"]
    before = rss_kib(pid)
    answers: list[bytes] = []
    senders = [
        threading.Thread(target=_send_huge_header, args=(port, 50 * MIB, answers))
        for _ in range(10)
    ]
    peak = before
    for sender in senders:
        sender.start()
    while any(s.is_alive() for s in senders):
        peak = max(peak, rss_kib(pid))
        time.sleep(0.01)
    for sender in senders:
        sender.join()
    assert len(answers) == 10
    for answer in answers:
        assert answer.startswith(b"HTTP/1.1 431 Request Header Fields Too Large\r\n"), answer[:200]
    # Ten 50 MB headers took the gateway to 1.55 GB before; now it never holds more than a read.
    assert peak - before < 32 * 1024, f"gateway RSS grew by {(peak - before) // 1024} MiB"
    assert httpx.get(system.gateway_url + "/health").status_code == 200


def test_too_many_headers_get_431(system: System) -> None:
    headers = {f"X-Filler-{i}": "x" for i in range(150)}
    answer = request(system.ports["gateway"], "GET", "/health", headers)
    assert answer.status == 431
    assert b"more than 100" in answer.body


@pytest.mark.parametrize("length", [10_000, 200_000])
def test_an_overlong_request_target_gets_414(system: System, length: int) -> None:
    # 10 kB: found once the head is complete; 200 kB: while it arrives, above the head limit.
    answer = request(system.ports["gateway"], "GET", "/api/v1/stats/overview?q=" + "a" * length)
    assert answer.status == 414
    assert b"8,192 bytes" in answer.body


def test_heads_within_the_limits_pass_on_one_kept_alive_connection(system: System) -> None:
    # Each head is 10 KB: the per-request count must restart, or the third request would fail.
    conn = http.client.HTTPConnection("127.0.0.1", system.ports["gateway"], timeout=30)
    headers = {"Cookie": "c=" + "x" * 6000, **{f"X-Filler-{i}": "y" * 90 for i in range(40)}}
    try:
        for _ in range(30):
            conn.request("GET", "/health", headers=headers)
            response = conn.getresponse()
            response.read()
            assert response.status == 200
    finally:
        conn.close()


def test_a_body_arriving_with_the_head_is_not_counted_as_head(system: System) -> None:
    body = b'{"apiKey": "unknown", "events": [' + b'{"eventName": "x"},' * 10_000 + b"{}]}"
    head = (
        b"POST /api/v1/events HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n"
        b"Content-Length: " + str(len(body)).encode() + b"\r\nConnection: close\r\n\r\n"
    )
    with socket.create_connection(("127.0.0.1", system.ports["gateway"]), timeout=30) as sock:
        sock.sendall(head + body)  # one write: the gateway reads head and body together
        answer = b""
        while data := sock.recv(65536):
            answer += data
    status = int(answer.split(b" ", 2)[1])
    assert status not in (414, 431), answer[:300]
    assert status < 500, answer[:300]


def test_bodies_over_the_limit_still_get_413(system: System) -> None:
    response = httpx.post(system.gateway_url + "/api/v1/events", content=b"a" * (1_048_576 + 1))
    assert response.status_code == 413
