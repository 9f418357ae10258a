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


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("password", "p" * 10_000, "Password must be 8 to 128 characters"),
        ("confirmPassword", "p" * 10_000, "Password must be 8 to 128 characters"),
        ("name", "n" * 10_000, "Name must be 1 to 256 characters"),
        ("email", "e" * 10_000 + "@example.com", "Email must be at most 254 characters"),
        ("email", "e" * 243 + "@example.com", "Email must be at most 254 characters"),
        ("timezone", "T" * 10_000, "Unknown time zone: use an IANA name such as Europe/Berlin"),
    ],
)
def test_over_long_fields_say_what_is_allowed(
    api: httpx.Client, field: str, value: str, message: str
) -> None:
    body = {"name": "Ada", "email": fresh_email(), "password": PASSWORD, field: value}
    response = _post(api, body)
    assert response.status_code == 400
    assert response.json() == {"data": None, "errors": {field: message}}


NAME_REFUSED = "Name must not contain control characters or text-direction overrides"


@pytest.mark.parametrize(
    "name",
    ["Ada\x00", "A\x00da", "Ada\x07", "A\nda", "Ada\x7f", "A\x85da",
     "Ada\u202a", "Ada\u202b", "Ada\u202c", "\u202dAda", "Ada \u202egnp.exe",
     "Ada\u2066", "Ada\u2067", "Ada\u2068", "Ada\u2069"],
)  # fmt: skip
def test_names_with_control_or_direction_override_characters_are_refused(
    api: httpx.Client, name: str
) -> None:
    response = _post(api, {"name": name, "email": fresh_email(), "password": PASSWORD})
    assert response.status_code == 400
    assert response.json()["errors"] == {"name": NAME_REFUSED}


@pytest.mark.parametrize(
    "name",
    ["Zoë O\u2019Brien", "e\u0301", "\U0001f469\u200d\U0001f469\u200d\U0001f467",
     "\u05e2\u05d1\u05e8\u05d9\u05ea \u200fABC", "\ufeffBOM", "\ue000 private", "x" * 256],
)  # fmt: skip
def test_any_other_unicode_name_is_kept_as_sent(api: httpx.Client, name: str) -> None:
    assert register(api, name=name).user["name"] == name


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
    # Exactly one account; of the others, REGISTRATIONS_PER_EMAIL (10) attempts are let through
    # to find the email taken, and the rest are refused before they start.
    assert sorted(statuses) == [201] + [409] * 9 + [429] * 2


def test_registrations_of_one_email_are_limited_whatever_its_spelling(api: httpx.Client) -> None:
    account = register(api)
    local, domain = account.email.split("@")
    spellings = [account.email.upper(), f"{local}@{domain.upper()}", f" {account.email} "]
    statuses, answer = [], None
    for i in range(10):  # 1 registration + 9 more attempts, each from its own address
        answer = _post(api, {"name": "Prober", "email": spellings[i % 3], "password": PASSWORD})
        statuses.append(answer.status_code)
    assert statuses == [409] * 9 + [429]
    assert answer is not None
    assert 0 < int(answer.headers["Retry-After"]) <= 3600
    assert answer.json() == {
        "data": None,
        "errors": {"message": "Too many registrations; try again later"},
    }
    # Another email is not affected.
    assert register(api).user["email"]


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
