"""Public ingestion through the gateway's protocol-level route: what reaches the tracking service
and what the sender gets back, for our route and the drop-in ones."""

from __future__ import annotations

import httpx
import pytest

from tests.gateway.helpers import EchoGateway
from tests.support.system import TEST_INTERNAL_SECRET, System

INGEST_PATHS = ["/api/v1/events", "/api/tracking-service/v1/public/events/", "/api/event",
                "/api/send"]  # fmt: skip


@pytest.mark.parametrize("path", INGEST_PATHS)
def test_the_service_gets_the_body_query_and_trusted_headers(
    echo_gateway: EchoGateway, path: str
) -> None:
    response = httpx.post(
        f"{echo_gateway.url}{path}?q=1",
        content=b"x" * 300,
        headers={"X-Internal-Token": "forged", "X-Account-Id": "victim", "X-Client-Ip": "6.6.6.6",
                 "User-Agent": "agent/1", "Content-Type": "text/plain"},
    )  # fmt: skip
    assert response.status_code == 200, response.text
    seen = response.json()
    assert (seen["method"], seen["path"], seen["query"]) == ("POST", path, "q=1")
    assert seen["bodyLength"] == 300
    headers = seen["headers"]
    assert headers["x-internal-token"] == TEST_INTERNAL_SECRET
    assert "x-account-id" not in headers
    assert headers["x-client-ip"] == "127.0.0.1"
    assert headers["user-agent"] == "agent/1"
    assert headers["content-type"] == "text/plain"
    assert len(headers["x-request-id"]) == 16


def test_expect_is_answered_by_the_gateway_not_forwarded(echo_gateway: EchoGateway) -> None:
    response = httpx.post(
        f"{echo_gateway.url}/api/v1/events", content=b"z" * 900,
        headers={"Expect": "100-continue"},
    )  # fmt: skip
    assert response.status_code == 200
    assert "expect" not in response.json()["headers"]


def test_a_request_id_sent_by_the_client_is_kept(echo_gateway: EchoGateway) -> None:
    response = httpx.post(f"{echo_gateway.url}/api/v1/events", headers={"X-Request-Id": "abc123"})
    assert response.json()["headers"]["x-request-id"] == "abc123"


def test_answers_carry_the_gateway_headers_once(echo_gateway: EchoGateway) -> None:
    response = httpx.post(f"{echo_gateway.url}/api/v1/events", content=b"{}")
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
    assert len(response.headers.get_list("date")) == 1
    assert len(response.headers.get_list("server")) == 1
    assert "access-control-allow-origin" not in response.headers


def test_an_answer_to_another_origin_allows_it(echo_gateway: EchoGateway) -> None:
    response = httpx.post(
        f"{echo_gateway.url}/api/send", headers={"Origin": "https://shop.example"}
    )
    assert response.headers.get_list("access-control-allow-origin") == ["*"]


def test_keep_alive_carries_many_ingest_requests(echo_gateway: EchoGateway) -> None:
    with httpx.Client(base_url=echo_gateway.url) as client:
        bodies = [client.post("/api/v1/events", content=b"y" * i).json() for i in range(20)]
    assert [b["bodyLength"] for b in bodies] == list(range(20))


def test_an_oversize_body_is_refused_with_the_envelope(echo_gateway: EchoGateway) -> None:
    response = httpx.post(f"{echo_gateway.url}/api/event", content=b"a" * 5000)
    assert response.status_code == 413
    assert response.json()["errors"]["message"] == "Body larger than 1,000 bytes"
    assert response.headers["x-content-type-options"] == "nosniff"


def test_a_stopped_tracking_service_answers_503_never_a_hang(system: System) -> None:
    system.stop("tracking")
    try:
        response = httpx.post(f"{system.gateway_url}/api/v1/events", json=[], timeout=30)
        assert response.status_code == 503
        assert response.json() == {
            "data": None,
            "errors": {"message": "The tracking service is unavailable"},
        }
        assert response.headers["cache-control"] == "no-store"
    finally:
        system.start("tracking")
    response = httpx.post(f"{system.gateway_url}/api/v1/events", json=[], timeout=30)
    assert response.status_code != 503
