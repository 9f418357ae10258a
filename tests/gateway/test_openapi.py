from __future__ import annotations

import httpx

from tests.support.system import System


def test_openapi_lists_the_public_routes_only(system: System) -> None:
    response = httpx.get(system.gateway_url + "/api/v1/openapi.json")
    assert response.status_code == 200
    doc = response.json()
    assert doc["openapi"].startswith("3.")
    paths = doc["paths"]
    for path in ("/api/v1/auth/register", "/api/v1/auth/login", "/api/v1/users/me",
                 "/api/v1/events", "/api/v1/health"):  # fmt: skip
        assert path in paths, path
    assert not [p for p in paths if "internal" in p]
    assert "post" in paths["/api/v1/events"]
    assert paths["/api/v1/users/me"]["get"]["security"] == [{"bearer": []}]


def test_docs_page_is_browsable(system: System) -> None:
    response = httpx.get(system.gateway_url + "/api/v1/docs")
    assert response.status_code == 200
    assert "/api/v1/auth/login" in response.text
    assert "<script" not in response.text
