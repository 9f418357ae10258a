"""POST /api/v1/auth/login: one answer for every failure, and limits on guessing."""

from __future__ import annotations

import statistics
import time

import httpx

from tests.support.accounts import PASSWORD, fresh_email, fresh_ip, register


def _login(api: httpx.Client, email: str, password: str, ip: str) -> httpx.Response:
    return api.post(
        "/api/v1/auth/login",
        json={"email": email, "password": password},
        headers={"X-Forwarded-For": ip},
    )


def test_login_returns_a_new_session(api: httpx.Client) -> None:
    account = register(api)
    response = _login(api, account.email.upper(), PASSWORD, fresh_ip())
    assert response.status_code == 200
    data = response.json()["data"]
    assert data["user"]["id"] == account.user["id"]
    assert data["accessToken"] != account.access_token
    assert "password" not in data["user"]


def test_unknown_email_and_wrong_password_fail_identically(api: httpx.Client) -> None:
    account = register(api)
    wrong = _login(api, account.email, "wrong password!", fresh_ip())
    unknown = _login(api, fresh_email("nobody"), "wrong password!", fresh_ip())
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.content == unknown.content
    assert wrong.json() == {"data": None, "errors": {"message": "Invalid email or password"}}


def test_unknown_email_takes_about_as_long_as_a_wrong_password(api: httpx.Client) -> None:
    account = register(api)

    def timed(email: str) -> float:
        started = time.perf_counter()
        _login(api, email, "wrong password!", fresh_ip())
        return time.perf_counter() - started

    # Alternate, so any drift in machine load hits both alike. An unknown email still runs one
    # argon2id verification: without it, it would answer in a fraction of the time.
    wrong, unknown = [], []
    for _ in range(4):
        wrong.append(timed(account.email))
        unknown.append(timed(fresh_email("nobody")))
    ratio = statistics.median(unknown) / statistics.median(wrong)
    assert 0.5 < ratio < 2.0, (wrong, unknown)


def test_repeated_failures_for_one_account_get_429_even_with_the_right_password(
    api: httpx.Client,
) -> None:
    account = register(api)
    statuses = [_login(api, account.email, f"wrong-{i}-password", fresh_ip()).status_code
                for i in range(5)]  # fmt: skip
    assert statuses == [401] * 5
    blocked = _login(api, account.email, PASSWORD, fresh_ip())
    assert blocked.status_code == 429
    retry_after = int(blocked.headers["Retry-After"])
    # A stranger can hold an account back for a minute at most, not lock it out for long.
    assert 0 < retry_after <= 60
    assert blocked.json()["errors"]["message"]


def test_repeated_failures_from_one_address_get_429(api: httpx.Client) -> None:
    ip = fresh_ip()
    statuses = [_login(api, fresh_email("guess"), "wrong password", ip).status_code
                for _ in range(21)]  # fmt: skip
    assert statuses == [401] * 20 + [429]
    # The same address is refused even for a real account; another address is not.
    account = register(api)
    assert _login(api, account.email, PASSWORD, ip).status_code == 429
    assert _login(api, account.email, PASSWORD, fresh_ip()).status_code == 200


def test_login_with_missing_fields_names_them(api: httpx.Client) -> None:
    response = api.post("/api/v1/auth/login", json={"email": "a@b.co"})
    assert response.status_code == 400
    assert "password" in response.json()["errors"]
