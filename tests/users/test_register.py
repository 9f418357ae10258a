"""POST /api/v1/auth/register through the real gateway."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

import httpx
import pytest

from tests.support.accounts import PASSWORD, fresh_email, fresh_ip, register

USER_FIELDS = {"id", "name", "email", "apiKey", "timezone", "allowedOrigins", "createdAt",
               "updatedAt"}  # fmt: skip


def _post(api: httpx.Client, body: object) -> httpx.Response:
    return api.post("/api/v1/auth/register", json=body, headers={"X-Forwarded-For": fresh_ip()})


def test_register_returns_the_user_and_a_session(api: httpx.Client) -> None:
    email = fresh_email()
    response = _post(api, {"name": "Ada", "email": email.upper(), "password": PASSWORD,
                           "timezone": "Asia/Kolkata"})  # fmt: skip
    assert response.status_code == 201
    body = response.json()
    assert body["errors"] is None
    data = body["data"]
    assert set(data) == {"user", "accessToken", "refreshToken", "expiresOn"}
    user = data["user"]
    assert set(user) == USER_FIELDS
    assert user["email"] == email
    assert user["timezone"] == "Asia/Kolkata"
    assert user["allowedOrigins"] == []
    assert user["updatedAt"] is None
    assert user["apiKey"]
    expires = datetime.fromisoformat(data["expiresOn"])
    remaining = (expires - datetime.now(UTC)).total_seconds()
    assert 3590 <= remaining <= 3601
    assert data["accessToken"] != data["refreshToken"]
    assert len(data["accessToken"]) >= 43  # 256 bits, base64url


def test_timezone_defaults_to_utc(api: httpx.Client) -> None:
    assert register(api).user["timezone"] == "UTC"


def test_names_in_hindi_and_emoji_round_trip(api: httpx.Client) -> None:
    name = "अनिल कुमार 🚀✨"
    account = register(api, name=name)
    assert account.user["name"] == name
    me = api.get("/api/v1/users/me", headers=account.auth()).json()["data"]
    assert me["name"] == name


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"email": "not-an-email"}, "email", "Enter a valid email"),
        ({"email": ""}, "email", "Enter a valid email"),
        ({"name": ""}, "name", "Name must be 1 to 256 characters"),
        ({"name": "n" * 257}, "name", "Name must be 1 to 256 characters"),
        ({"password": "short77"}, "password", "Password must be 8 to 128 characters"),
        ({"password": "p" * 129}, "password", "Password must be 8 to 128 characters"),
        ({"confirmPassword": "something else"}, "confirmPassword", "Passwords do not match"),
        ({"timezone": "Mars/Olympus"}, "timezone", "Unknown time zone"),
        ({"name": 42}, "name", "string"),
    ],
)
def test_invalid_fields_get_a_field_error(
    api: httpx.Client, change: dict[str, object], field: str, message: str
) -> None:
    body = {"name": "Ada", "email": fresh_email(), "password": PASSWORD, **change}
    response = _post(api, body)
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert message.lower() in errors[field].lower()
    assert response.json()["data"] is None


def test_missing_fields_are_each_named(api: httpx.Client) -> None:
    response = _post(api, {})
    assert response.status_code == 400
    assert {"name", "email", "password"} <= set(response.json()["errors"])


@pytest.mark.parametrize("raw", [b"{not json", b"[1,2]", b'"text"', b"\xff\xfe"])
def test_malformed_bodies_are_400(api: httpx.Client, raw: bytes) -> None:
    response = api.post(
        "/api/v1/auth/register",
        content=raw,
        headers={"Content-Type": "application/json", "X-Forwarded-For": fresh_ip()},
    )
    assert response.status_code == 400
    assert response.json()["errors"]


def test_password_of_8_unicode_characters_is_accepted(api: httpx.Client) -> None:
    account = register(api, password="पासवर्ड🔑🔑")
    login = api.post("/api/v1/auth/login", json={"email": account.email,
                                                 "password": "पासवर्ड🔑🔑"})  # fmt: skip
    assert login.status_code == 200


def test_duplicate_email_is_409_whatever_its_case(api: httpx.Client) -> None:
    account = register(api)
    response = _post(api, {"name": "Other", "email": account.email.upper(), "password": PASSWORD})
    assert response.status_code == 409
    assert "email" in response.json()["errors"]


def test_concurrent_registrations_of_one_email_exactly_one_succeeds(api: httpx.Client) -> None:
    email = fresh_email("race")
    ips = [fresh_ip() for _ in range(12)]

    def attempt(ip: str) -> int:
        with httpx.Client(base_url=str(api.base_url), timeout=30) as client:
            return client.post(
                "/api/v1/auth/register",
                json={"name": "Racer", "email": email, "password": PASSWORD},
                headers={"X-Forwarded-For": ip},
            ).status_code

    with ThreadPoolExecutor(max_workers=12) as pool:
        statuses = list(pool.map(attempt, ips))
    assert sorted(statuses) == [201] + [409] * 11


def test_registration_is_rate_limited_per_address(api: httpx.Client) -> None:
    ip = fresh_ip()
    statuses = []
    for _ in range(11):
        response = api.post(
            "/api/v1/auth/register",
            json={"name": "Bulk", "email": fresh_email("bulk"), "password": PASSWORD},
            headers={"X-Forwarded-For": ip},
        )
        statuses.append(response.status_code)
    assert statuses == [201] * 10 + [429]
    assert int(response.headers["Retry-After"]) > 0
    # Another address is not affected.
    assert (
        _post(api, {"name": "x", "email": fresh_email(), "password": PASSWORD}).status_code == 201
    )
