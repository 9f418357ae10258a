"""GET/PATCH /api/v1/users/me and POST /api/v1/users/me/api-key."""

from __future__ import annotations

import time

import httpx
import pytest
import redis

from tests.support.accounts import PASSWORD, fresh_ip, register
from tests.support.events import make_event, send
from tracking_system.common import keys


def test_me_returns_the_signed_in_account(api: httpx.Client) -> None:
    account = register(api)
    response = api.get("/api/v1/users/me", headers=account.auth())
    assert response.status_code == 200
    assert response.json()["data"] == account.user


def test_me_without_a_token_is_401(api: httpx.Client) -> None:
    response = api.get("/api/v1/users/me")
    assert response.status_code == 401
    assert response.json()["data"] is None


def test_forged_account_header_is_ignored(api: httpx.Client) -> None:
    me, victim = register(api), register(api)
    response = api.get("/api/v1/users/me", headers={**me.auth(), "X-Account-Id": victim.user["id"]})
    assert response.json()["data"]["id"] == me.user["id"]


def test_profile_update_changes_name_timezone_and_origins(api: httpx.Client) -> None:
    account = register(api)
    response = api.patch(
        "/api/v1/users/me",
        json={"name": "राधा 🌸", "timezone": "America/New_York",
              "allowedOrigins": ["https://Shop.Example.com/", "http://localhost:3000"]},
        headers=account.auth(),
    )  # fmt: skip
    assert response.status_code == 200
    user = response.json()["data"]
    assert user["name"] == "राधा 🌸"
    assert user["timezone"] == "America/New_York"
    assert user["allowedOrigins"] == ["https://shop.example.com", "http://localhost:3000"]
    assert user["updatedAt"] is not None
    assert api.get("/api/v1/users/me", headers=account.auth()).json()["data"] == user


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"allowedOrigins": ["ftp://x.com"]}, "allowedOrigins"),
        ({"allowedOrigins": ["https://x.com/path"]}, "allowedOrigins"),
        ({"allowedOrigins": "https://x.com"}, "allowedOrigins"),
        ({"timezone": "Nowhere/Land"}, "timezone"),
        ({"name": ""}, "name"),
        ({"email": "new@example.com"}, "email"),
        ({"newPassword": "short"}, "newPassword"),
    ],
)
def test_invalid_update_is_400_with_the_field_and_changes_nothing(
    api: httpx.Client, body: dict[str, object], field: str
) -> None:
    account = register(api)
    response = api.patch(
        "/api/v1/users/me",
        json={"name": "Changed", **body} if field != "name" else body,
        headers=account.auth(),
    )
    assert response.status_code == 400
    assert field in response.json()["errors"]
    assert api.get("/api/v1/users/me", headers=account.auth()).json()["data"] == account.user


def _login(api: httpx.Client, email: str, password: str) -> httpx.Response:
    return api.post("/api/v1/auth/login", json={"email": email, "password": password},
                    headers={"X-Forwarded-For": fresh_ip()})  # fmt: skip


def test_password_change_needs_the_current_password(api: httpx.Client) -> None:
    account = register(api)
    response = api.patch(
        "/api/v1/users/me",
        json={"currentPassword": "not the password", "newPassword": "a brand new one"},
        headers=account.auth(),
    )
    assert response.status_code == 400
    assert "currentPassword" in response.json()["errors"]
    assert _login(api, account.email, PASSWORD).status_code == 200


def test_password_change_ends_every_other_session(api: httpx.Client) -> None:
    account = register(api)
    other = _login(api, account.email, PASSWORD).json()["data"]
    response = api.patch(
        "/api/v1/users/me",
        json={"currentPassword": PASSWORD, "newPassword": "a brand new one",
              "confirmPassword": "a brand new one"},
        headers=account.auth(),
    )  # fmt: skip
    assert response.status_code == 200
    time.sleep(1.1)  # the gateway's token cache
    other_headers = {"Authorization": f"Bearer {other['accessToken']}"}
    assert api.get("/api/v1/users/me", headers=other_headers).status_code == 401
    refreshed = api.post("/api/v1/auth/refresh", json={"refreshToken": other["refreshToken"]})
    assert refreshed.status_code == 401
    # This session goes on; the old password is refused and the new one works.
    assert api.get("/api/v1/users/me", headers=account.auth()).status_code == 200
    assert _login(api, account.email, PASSWORD).status_code == 401
    assert _login(api, account.email, "a brand new one").status_code == 200


def test_api_key_rotation_replaces_the_key(api: httpx.Client, redis_sync: redis.Redis) -> None:
    account = register(api)
    old_key = account.user["apiKey"]
    assert redis_sync.get(keys.api_key(old_key)) == account.user["id"]
    response = api.post("/api/v1/users/me/api-key", headers=account.auth())
    assert response.status_code == 200
    new_key = response.json()["data"]["apiKey"]
    assert new_key != old_key
    assert redis_sync.get(keys.api_key(old_key)) is None
    assert redis_sync.get(keys.api_key(new_key)) == account.user["id"]
    me = api.get("/api/v1/users/me", headers=account.auth()).json()["data"]
    assert me["apiKey"] == new_key


def test_rotated_key_stops_being_accepted_within_a_second(api: httpx.Client) -> None:
    account = register(api)
    old_key = account.user["apiKey"]
    assert send(api, old_key, [make_event()]).status_code == 202  # now in the tracking cache
    new_key = api.post("/api/v1/users/me/api-key", headers=account.auth()).json()["data"]["apiKey"]
    time.sleep(1.1)  # API_KEY_CACHE_SECONDS
    assert send(api, old_key, [make_event()]).status_code == 401
    assert send(api, new_key, [make_event()]).status_code == 202
