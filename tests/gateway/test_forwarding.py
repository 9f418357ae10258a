"""The gateway in front of an echo upstream: what reaches a service, and what never does."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.gateway.helpers import EchoGateway
from tests.support.system import TEST_INTERNAL_SECRET

FORGED = {
    "X-Account-Id": "victim-account",
    "X-Internal-Token": "forged-credential",
    "X-Client-Ip": "6.6.6.6",
    "X-Forwarded-For": "6.6.6.6",
}


def _echo(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code == 200, response.text
    payload: dict[str, Any] = response.json()
    return payload


def test_forged_identity_headers_never_reach_a_public_route(echo_gateway: EchoGateway) -> None:
    seen = _echo(httpx.post(f"{echo_gateway.url}/api/v1/auth/login", json={}, headers=FORGED))
    headers = seen["headers"]
    assert "x-account-id" not in headers
    assert headers["x-internal-token"] == TEST_INTERNAL_SECRET
    assert headers["x-client-ip"] == "127.0.0.1"
    assert "x-forwarded-for" not in headers


def test_authenticated_route_carries_the_account_from_the_token_not_the_header(
    echo_gateway: EchoGateway,
) -> None:
    seen = _echo(
        httpx.get(
            f"{echo_gateway.url}/api/v1/users/me",
            headers={**FORGED, "Authorization": "Bearer good-token"},
        )
    )
    assert seen["headers"]["x-account-id"] == "acct-from-token"
    assert seen["headers"]["x-internal-token"] == TEST_INTERNAL_SECRET


def test_authenticated_route_without_a_token_is_refused(echo_gateway: EchoGateway) -> None:
    response = httpx.get(f"{echo_gateway.url}/api/v1/stats/overview", headers=FORGED)
    assert response.status_code == 401
    assert response.json()["data"] is None
    assert "message" in response.json()["errors"]


def test_authenticated_route_with_a_bad_token_is_refused(echo_gateway: EchoGateway) -> None:
    response = httpx.get(
        f"{echo_gateway.url}/api/v1/stats/overview", headers={"Authorization": "Bearer nope"}
    )
    assert response.status_code == 401


@pytest.mark.parametrize(
    "path",
    [
        "/internal/auth/verify",
        "/api/v1/internal/auth/verify",
        "/api/v1/users/internal/x",
        "/api/v1/nothing-here",
    ],
)
def test_internal_and_unknown_routes_answer_404(echo_gateway: EchoGateway, path: str) -> None:
    response = httpx.get(echo_gateway.url + path, headers={"Authorization": "Bearer good-token"})
    assert response.status_code == 404


def test_query_string_and_body_are_forwarded(echo_gateway: EchoGateway) -> None:
    seen = _echo(httpx.post(f"{echo_gateway.url}/api/v1/events?x=1&y=%C3%A9", content=b"a" * 500))
    assert seen["path"] == "/api/v1/events"
    assert seen["query"] == "x=1&y=%C3%A9"
    assert seen["bodyLength"] == 500


def test_body_over_the_limit_is_refused_with_413(echo_gateway: EchoGateway) -> None:
    response = httpx.post(f"{echo_gateway.url}/api/v1/events", content=b"a" * 1001)
    assert response.status_code == 413
    assert response.json()["errors"]["message"]


def test_streamed_answers_are_streamed_through(echo_gateway: EchoGateway) -> None:
    with httpx.stream(
        "GET",
        f"{echo_gateway.url}/api/v1/stats/stream",
        headers={"Authorization": "Bearer good-token"},
    ) as response:
        lines = list(response.iter_lines())
    assert lines == ["chunk-0", "chunk-1", "chunk-2"]


def test_ingestion_allows_any_origin(echo_gateway: EchoGateway) -> None:
    preflight = httpx.options(
        f"{echo_gateway.url}/api/v1/events",
        headers={"Origin": "https://any-site.example", "Access-Control-Request-Method": "POST"},
    )
    assert preflight.status_code == 204
    assert preflight.headers["access-control-allow-origin"] == "*"
    response = httpx.post(
        f"{echo_gateway.url}/api/v1/events", headers={"Origin": "https://any-site.example"}
    )
    assert response.headers["access-control-allow-origin"] == "*"


def test_dashboard_api_allows_only_configured_origins(echo_gateway: EchoGateway) -> None:
    allowed = httpx.options(
        f"{echo_gateway.url}/api/v1/users/me",
        headers={"Origin": "https://dash.example", "Access-Control-Request-Method": "GET"},
    )
    assert allowed.status_code == 204
    assert allowed.headers["access-control-allow-origin"] == "https://dash.example"
    refused = httpx.options(
        f"{echo_gateway.url}/api/v1/users/me",
        headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "GET"},
    )
    assert refused.status_code == 403
    assert "access-control-allow-origin" not in refused.headers


def test_api_answers_carry_security_headers_and_no_store(echo_gateway: EchoGateway) -> None:
    response = httpx.post(f"{echo_gateway.url}/api/v1/auth/login", json={})
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]


def test_dashboard_not_built_says_how_to_build_it(echo_gateway: EchoGateway) -> None:
    response = httpx.get(f"{echo_gateway.url}/login")
    assert response.status_code == 503
    assert "make run" in response.text


@pytest.mark.parametrize("path", ["/api/v1/users/me", "/api/v1/stats/stream"])
def test_proxied_answers_carry_one_date_header(echo_gateway: EchoGateway, path: str) -> None:
    # Buffered and streamed answers: the service's Date is dropped, the gateway's kept.
    response = httpx.get(echo_gateway.url + path, headers={"Authorization": "Bearer good-token"})
    assert response.status_code == 200
    assert len(response.headers.get_list("date")) == 1
