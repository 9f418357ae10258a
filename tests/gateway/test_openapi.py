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


def test_every_dashboard_answer_is_described(system: System) -> None:
    """Stats, sites and account answers carry their envelope's schema, so clients can be
    generated from the document."""
    doc = httpx.get(system.gateway_url + "/api/v1/openapi.json").json()
    described = 0
    for path, operations in doc["paths"].items():
        if not path.startswith(("/api/v1/stats", "/api/v1/sites", "/api/v1/users", "/api/v1/auth")):
            continue
        for method, operation in operations.items():
            ok = next(c for c in ("200", "201") if c in operation["responses"])
            schema = operation["responses"][ok]["content"]["application/json"]["schema"]
            assert schema.get("$ref", "").startswith("#/components/schemas/Envelope"), (
                method,
                path,
            )
            described += 1
    assert described >= 20
    summary = doc["components"]["schemas"]["Summary"]
    assert {"visitors", "bounceRate", "previous"} <= set(summary["properties"])
