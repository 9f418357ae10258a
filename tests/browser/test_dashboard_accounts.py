"""Accounts in the real dashboard: register, stay signed in, log out and in, silent refresh."""

from __future__ import annotations

import json
import re
import time
from typing import Any

import httpx
import pytest
from playwright.sync_api import Locator, Page, expect

from tests.browser.conftest import screenshot
from tests.support.accounts import PASSWORD, fresh_email, fresh_ip, register
from tests.support.system import System

pytestmark = pytest.mark.browser

SESSION_KEY = "tracking.session"


def field(scope: Page | Locator, label: str) -> Locator:
    """The input labelled exactly `label` (a required input's label also shows " *")."""
    return scope.get_by_label(re.compile(rf"^{re.escape(label)}( \*)?$"))


def pose_as_fresh_client(page: Page) -> None:
    """Send a client address of our own, so per-address rate limits do not collide."""
    page.set_extra_http_headers({"X-Forwarded-For": fresh_ip()})


def stored_session(page: Page) -> dict[str, Any] | None:
    """The session the dashboard keeps in localStorage."""
    raw = page.evaluate("key => localStorage.getItem(key)", SESSION_KEY)
    if raw is None:
        return None
    session: dict[str, Any] = json.loads(raw)
    return session


def test_register_shows_field_errors_then_lands_signed_in(system: System, page: Page) -> None:
    base = system.gateway_url
    pose_as_fresh_client(page)
    page.goto(base + "/register")
    expect(page).to_have_title("Create account · Tracking System")

    field(page, "Name").fill("Browser Tester")
    field(page, "Email").fill("not-an-email")
    field(page, "Password").fill(PASSWORD)
    field(page, "Confirm password").fill(PASSWORD)
    page.get_by_role("button", name="Create account").click()
    expect(page.get_by_text("Enter a valid email")).to_be_visible()
    expect(field(page, "Email")).to_have_attribute("aria-invalid", "true")
    assert page.url == base + "/register"
    screenshot(page, "register")

    field(page, "Email").fill(fresh_email("ui"))
    page.get_by_role("button", name="Create account").click()
    expect(page).to_have_url(base + "/")
    expect(page.get_by_role("heading", name="Dashboard", level=1)).to_be_visible()
    expect(page.get_by_test_id("signed-in-as")).to_have_text("Browser Tester")
    session = stored_session(page)
    assert session is not None
    assert session["user"]["name"] == "Browser Tester"
    assert "token" not in page.url.lower()

    # A reload keeps the session.
    page.reload()
    expect(page.get_by_role("heading", name="Dashboard", level=1)).to_be_visible()
    expect(page.get_by_test_id("signed-in-as")).to_have_text("Browser Tester")


def test_logout_then_login_again(system: System, page: Page, api: httpx.Client) -> None:
    base = system.gateway_url
    account = register(api, name="Logout Tester")
    pose_as_fresh_client(page)
    page.goto(base + "/login")
    field(page, "Email").fill(account.email)
    field(page, "Password").fill("wrong password!")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("alert")).to_contain_text("Invalid email or password")

    field(page, "Password").fill(account.password)
    screenshot(page, "login")
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(base + "/")
    session = stored_session(page)
    assert session is not None
    access = session["accessToken"]

    page.get_by_role("button", name="Log out").click()
    expect(page).to_have_url(base + "/login")
    assert stored_session(page) is None
    # The server ended that session too (the gateway may cache a verdict for up to a second).
    deadline = time.monotonic() + 5
    while True:
        me = api.get("/api/v1/users/me", headers={"Authorization": f"Bearer {access}"})
        if me.status_code == 401 or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert me.status_code == 401

    page.goto(base + "/")
    expect(page.get_by_role("heading", name="Sign in to continue")).to_be_visible()
    field(page, "Email").fill(account.email)
    field(page, "Password").fill(account.password)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Dashboard", level=1)).to_be_visible()
    expect(page.get_by_test_id("signed-in-as")).to_have_text("Logout Tester")


def test_deep_link_signs_in_in_place_and_login_redirects_when_signed_in(
    system: System, page: Page, api: httpx.Client
) -> None:
    base = system.gateway_url
    account = register(api)
    pose_as_fresh_client(page)
    page.goto(base + "/profile")
    expect(page.get_by_role("heading", name="Sign in to continue")).to_be_visible()
    field(page, "Email").fill(account.email)
    field(page, "Password").fill(account.password)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Profile", level=1)).to_be_visible()
    assert page.url == base + "/profile"

    page.goto(base + "/login?next=%2Fsetup")
    expect(page).to_have_url(base + "/setup")
    page.goto(base + "/register")
    expect(page).to_have_url(base + "/")


def test_expired_access_token_is_refreshed_silently(
    system: System, page: Page, api: httpx.Client
) -> None:
    base = system.gateway_url
    account = register(api, name="Refresh Tester")
    old_refresh = account.session["refreshToken"]
    page.goto(base + "/login")
    # An access token the server no longer accepts, with a valid refresh token.
    session = {**account.session, "accessToken": "expired-access-token"}
    page.evaluate("([k, v]) => localStorage.setItem(k, v)", [SESSION_KEY, json.dumps(session)])

    page.goto(base + "/profile")
    expect(field(page, "Name")).to_have_value("Refresh Tester")
    page.wait_for_function(
        "k => !(localStorage.getItem(k) || '').includes('expired-access-token')", arg=SESSION_KEY
    )
    expect(page.get_by_role("heading", name="Profile", level=1)).to_be_visible()
    renewed = stored_session(page)
    assert renewed is not None
    assert renewed["accessToken"] != "expired-access-token"
    assert renewed["refreshToken"] != old_refresh
    me = api.get("/api/v1/users/me", headers={"Authorization": f"Bearer {renewed['accessToken']}"})
    assert me.status_code == 200


def test_failed_refresh_sends_the_user_to_login_with_next(system: System, page: Page) -> None:
    base = system.gateway_url
    page.goto(base + "/login")
    forged = {
        "accessToken": "nope",
        "refreshToken": "also-nope",
        "expiresOn": "2099-01-01T00:00:00Z",
        "user": {"id": "x", "name": "Ghost", "email": "g@example.com", "apiKey": "k",
                 "timezone": "UTC", "allowedOrigins": [], "createdAt": "", "updatedAt": None},
    }  # fmt: skip
    page.evaluate("([k, v]) => localStorage.setItem(k, v)", [SESSION_KEY, json.dumps(forged)])
    page.goto(base + "/events")
    expect(page).to_have_url(re.compile(r"/login\?next=%2Fevents$"))
    expect(page.get_by_role("heading", name="Log in")).to_be_visible()
    assert stored_session(page) is None
