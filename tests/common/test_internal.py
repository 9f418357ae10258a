"""Services refuse any caller that lacks the gateway's internal credential."""

from __future__ import annotations

import httpx
import pytest

from tests.support.system import TEST_INTERNAL_SECRET, System
from tracking_system.common.internal import is_reserved_header


@pytest.mark.parametrize("service", ["users", "tracking"])
def test_direct_call_without_the_credential_is_refused(system: System, service: str) -> None:
    response = httpx.get(
        system.service_url(service) + "/api/v1/users/me", headers={"X-Account-Id": "someone"}
    )
    assert response.status_code == 401
    assert response.json() == {
        "data": None,
        "errors": {"message": "Missing or invalid internal credential"},
    }


@pytest.mark.parametrize("service", ["users", "tracking"])
def test_direct_call_with_a_wrong_credential_is_refused(system: System, service: str) -> None:
    response = httpx.get(
        system.service_url(service) + "/internal/anything",
        headers={"X-Internal-Token": TEST_INTERNAL_SECRET + "x"},
    )
    assert response.status_code == 401


@pytest.mark.parametrize("token", [None, TEST_INTERNAL_SECRET + "x", TEST_INTERNAL_SECRET[:-1]])
def test_direct_ingestion_without_the_credential_is_refused(
    system: System, token: str | None
) -> None:
    # Ingestion is served at the protocol, past the middleware: it checks the credential itself.
    response = httpx.post(
        system.service_url("tracking") + "/api/v1/events",
        json=[],
        headers={} if token is None else {"X-Internal-Token": token},
    )
    assert response.status_code == 401
    assert response.json() == {
        "data": None,
        "errors": {"message": "Missing or invalid internal credential"},
    }


@pytest.mark.parametrize("service", ["users", "tracking"])
def test_liveness_needs_no_credential(system: System, service: str) -> None:
    response = httpx.get(system.service_url(service) + "/health")
    assert response.json() == {"status": "ok", "service": service}


@pytest.mark.parametrize(
    ("name", "reserved"),
    [
        ("X-Account-Id", True),
        ("x-internal-token", True),
        ("X-Client-Ip", True),
        ("X-Forwarded-For", True),
        ("X-Real-IP", True),
        ("X-Api-Key", False),
        ("Authorization", False),
    ],
)
def test_reserved_headers(name: str, reserved: bool) -> None:
    assert is_reserved_header(name) is reserved
