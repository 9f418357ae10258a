from __future__ import annotations

import httpx

from tests.support.system import System


def test_system_health_reports_every_component_up(system: System) -> None:
    response = httpx.get(f"{system.gateway_url}/api/v1/health")
    assert response.status_code == 200, response.text
    data = response.json()["data"]
    assert data["status"] == "ok"
    for name in ("redis", "users", "tracking", "worker"):
        assert data["components"][name]["status"] == "up", name
    assert data["components"]["worker"]["consumers"] >= 1
    assert isinstance(data["components"]["worker"]["lag"], int)


def test_gateway_liveness(system: System) -> None:
    assert httpx.get(f"{system.gateway_url}/health").json() == {"status": "ok"}


def test_health_reports_a_stopped_service_as_down(system: System) -> None:
    system.stop("tracking")
    try:
        response = httpx.get(f"{system.gateway_url}/api/v1/health")
        assert response.status_code == 503
        components = response.json()["data"]["components"]
        assert components["tracking"]["status"] == "down"
        assert components["users"]["status"] == "up"
    finally:
        system.start("tracking")


def test_a_proxied_answer_of_a_real_service_carries_one_date_header(system: System) -> None:
    response = httpx.post(f"{system.gateway_url}/api/v1/auth/login", json={})
    assert response.status_code == 400
    assert len(response.headers.get_list("date")) == 1
