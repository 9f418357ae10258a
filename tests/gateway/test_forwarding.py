"""The gateway in front of an echo upstream: what reaches a service, and what never does."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.support.processes import (
    REPO_ROOT,
    free_port,
    http_ok,
    start_tracking_process,
    stop_process,
    wait_until,
)
from tests.support.redis_server import RedisServer
from tests.support.system import TEST_INTERNAL_SECRET


@dataclass
class EchoGateway:
    url: str


@pytest.fixture(scope="module")
def echo_gateway(
    redis_server: RedisServer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[EchoGateway]:
    logs = tmp_path_factory.mktemp("echo-gateway")
    echo_port, gateway_port = free_port(), free_port()
    echo = subprocess.Popen(
        [sys.executable, "-m", "tests.support.echo_app", str(echo_port)], cwd=REPO_ROOT
    )
    env = {
        "APP_ENV": "test",
        "REDIS_URL": redis_server.url,
        "INTERNAL_SECRET": TEST_INTERNAL_SECRET,
        "GATEWAY_PORT": str(gateway_port),
        "USERS_URL": f"http://127.0.0.1:{echo_port}",
        "TRACKING_URL": f"http://127.0.0.1:{echo_port}",
        "GATEWAY_MAX_BODY_BYTES": "1000",
        "CORS_ORIGINS": "https://dash.example",
        "DASHBOARD_DIR": str(Path(logs) / "no-dashboard"),
    }
    gateway = start_tracking_process("gateway", env=env, log_path=logs / "gateway.log")
    try:
        wait_until(lambda: http_ok(f"http://127.0.0.1:{echo_port}/ping"), within=30, what="echo")
        wait_until(
            lambda: http_ok(f"http://127.0.0.1:{gateway_port}/health"), within=30, what="gateway"
        )
        yield EchoGateway(url=f"http://127.0.0.1:{gateway_port}")
    finally:
        stop_process(gateway)
        stop_process(echo)


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
