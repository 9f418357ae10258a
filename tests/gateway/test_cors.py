"""CORS follows the method as well as the path: `*` only for public ingestion POSTs."""

from __future__ import annotations

import httpx
import pytest

from tests.gateway.helpers import EchoGateway
from tracking_system.gateway.routing import (
    DROP_IN_PATHS,
    INGEST_PATHS,
    TRACKING,
    Route,
    is_public_ingest,
    resolve,
)

ANY_SITE = "https://any-site.example"
DASHBOARD = "https://dash.example"  # the echo gateway's CORS_ORIGINS
BEARER = {"Authorization": "Bearer good-token"}


def _preflight(url: str, origin: str, method: str, headers: str = "") -> httpx.Response:
    request_headers = {"Origin": origin, "Access-Control-Request-Method": method}
    if headers:
        request_headers["Access-Control-Request-Headers"] = headers
    return httpx.options(url, headers=request_headers)


def test_the_explorer_get_does_not_answer_any_origin(echo_gateway: EchoGateway) -> None:
    response = httpx.get(
        f"{echo_gateway.url}/api/v1/events", headers={**BEARER, "Origin": ANY_SITE}
    )
    assert "access-control-allow-origin" not in response.headers
    assert "access-control-allow-credentials" not in response.headers


def test_the_explorer_get_answers_the_dashboard_origin(echo_gateway: EchoGateway) -> None:
    response = httpx.get(
        f"{echo_gateway.url}/api/v1/events", headers={**BEARER, "Origin": DASHBOARD}
    )
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == DASHBOARD
    assert response.headers["access-control-allow-credentials"] == "true"
    assert "Origin" in response.headers["vary"]


def test_the_explorer_preflight_refuses_other_origins(echo_gateway: EchoGateway) -> None:
    response = _preflight(f"{echo_gateway.url}/api/v1/events", ANY_SITE, "GET", "authorization")
    assert response.status_code == 403
    assert "access-control-allow-origin" not in response.headers
    assert "access-control-allow-headers" not in response.headers


def test_the_explorer_preflight_allows_the_dashboard(echo_gateway: EchoGateway) -> None:
    response = _preflight(f"{echo_gateway.url}/api/v1/events", DASHBOARD, "GET", "authorization")
    assert response.status_code == 204
    assert response.headers["access-control-allow-origin"] == DASHBOARD
    assert "authorization" in response.headers["access-control-allow-headers"]
    assert "GET" in response.headers["access-control-allow-methods"]


def test_the_ingestion_preflight_allows_any_origin_but_no_credentials(
    echo_gateway: EchoGateway,
) -> None:
    response = _preflight(f"{echo_gateway.url}/api/v1/events", ANY_SITE, "POST", "content-type")
    assert response.status_code == 204
    assert response.headers["access-control-allow-origin"] == "*"
    assert response.headers["access-control-allow-methods"] == "POST"
    assert "authorization" not in response.headers["access-control-allow-headers"]
    assert "content-type" in response.headers["access-control-allow-headers"]


def test_an_ingestion_post_answers_any_origin(echo_gateway: EchoGateway) -> None:
    response = httpx.post(f"{echo_gateway.url}/api/v1/events", headers={"Origin": ANY_SITE})
    assert response.headers["access-control-allow-origin"] == "*"
    assert response.headers["access-control-expose-headers"] == "Retry-After"
    assert "access-control-allow-credentials" not in response.headers


@pytest.mark.parametrize("path", sorted(DROP_IN_PATHS))
def test_drop_in_ingestion_preflights_allow_any_origin(
    echo_gateway: EchoGateway, path: str
) -> None:
    # Umami's tracker sends its cache token back as x-umami-cache.
    response = _preflight(echo_gateway.url + path, ANY_SITE, "POST", "content-type, x-umami-cache")
    assert response.status_code == 204
    assert response.headers["access-control-allow-origin"] == "*"
    assert response.headers["access-control-allow-methods"] == "POST"
    assert "x-umami-cache" in response.headers["access-control-allow-headers"]


@pytest.mark.parametrize("path", sorted(DROP_IN_PATHS))
def test_drop_in_ingestion_posts_reach_the_tracking_service(
    echo_gateway: EchoGateway, path: str
) -> None:
    response = httpx.post(echo_gateway.url + path, content=b"{}", headers={"Origin": ANY_SITE})
    assert response.status_code == 200  # the echo service's answer: forwarded
    assert response.json()["path"] == path
    assert response.headers["access-control-allow-origin"] == "*"


@pytest.mark.parametrize("path", sorted(DROP_IN_PATHS))
def test_drop_in_ingestion_paths_are_public_for_post_only(path: str) -> None:
    assert path in INGEST_PATHS
    assert is_public_ingest("POST", path)
    assert not is_public_ingest("GET", path)
    assert resolve("GET", path) is None
    signed_in = (Route(path, TRACKING, auth=True),)
    assert not is_public_ingest("POST", path, signed_in)


def test_only_ingestion_posts_are_public() -> None:
    assert is_public_ingest("POST", "/api/v1/events")
    for method in ("GET", "OPTIONS", "PATCH", "DELETE"):
        assert not is_public_ingest(method, "/api/v1/events")
    assert not is_public_ingest("POST", "/api/v1/auth/login")
    assert not is_public_ingest("POST", "/api/v1/events/export")
    assert not is_public_ingest("POST", "/api/events")
