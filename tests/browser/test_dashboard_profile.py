"""The Profile page against the real user service: name, password change; the API key, which
belongs to a site, is rotated on the Sites page."""

from __future__ import annotations

import json
import re

import httpx
import pytest
from playwright.sync_api import Browser, Locator, Page, expect

from tests.browser.conftest import screenshot
from tests.support.accounts import Account, fresh_ip, register
from tests.support.events import make_event, send
from tests.support.system import System

pytestmark = pytest.mark.browser

SESSION_KEY = "tracking.session"


def field(scope: Page | Locator, label: str) -> Locator:
    """The input labelled exactly `label` (a required input's label also shows " *")."""
    return scope.get_by_label(re.compile(rf"^{re.escape(label)}( \*)?$"))


def open_signed_in(page: Page, base: str, account: Account, path: str) -> None:
    """Open `path` with the account's session in localStorage, as after signing in."""
    page.goto(base + "/login")
    page.evaluate(
        "([k, v]) => localStorage.setItem(k, v)", [SESSION_KEY, json.dumps(account.session)]
    )
    page.goto(base + path)


def test_change_name(system: System, page: Page, api: httpx.Client) -> None:
    base = system.gateway_url
    account = register(api, name="Before Rename")
    open_signed_in(page, base, account, "/profile")
    expect(page).to_have_title("Profile · Tracking System")
    name = field(page, "Name")
    expect(name).to_have_value("Before Rename")

    name.fill("")
    page.get_by_role("button", name="Save profile").click()
    expect(page.get_by_text("Name must be 1 to 256 characters")).to_be_visible()

    name.fill("After Rename ✓")
    page.get_by_role("button", name="Save profile").click()
    expect(page.get_by_test_id("profile-saved")).to_be_visible()
    expect(page.get_by_test_id("signed-in-as")).to_have_text("After Rename ✓")
    assert api.get("/api/v1/users/me", headers=account.auth()).json()["data"]["name"] == (
        "After Rename ✓"
    )
    page.reload()
    expect(field(page, "Name")).to_have_value("After Rename ✓")


def test_rotate_api_key_after_confirmation(system: System, page: Page, api: httpx.Client) -> None:
    base = system.gateway_url
    account = register(api)
    old_key = account.user["apiKey"]
    open_signed_in(page, base, account, "/profile")
    # Profile keeps what is personal; the key belongs to a site, on the Sites page.
    expect(field(page, "Name")).to_be_visible()
    expect(page.get_by_test_id("api-key")).to_have_count(0)
    expect(page.get_by_label("Time zone", exact=True)).to_have_count(0)
    screenshot(page, "profile")
    page.get_by_role("main").get_by_role("link", name="Sites").click()
    expect(page).to_have_title("Sites · Tracking System")

    settings = page.get_by_test_id("site-settings")
    key = settings.get_by_test_id("api-key")
    expect(key).to_have_text(old_key)  # the first site's key is the account's

    settings.get_by_role("button", name="Rotate key").click()
    dialog = page.get_by_role("dialog")
    expect(dialog).to_contain_text("stops working immediately")
    dialog.get_by_role("button", name="Cancel").click()
    expect(dialog).to_be_hidden()
    expect(key).to_have_text(old_key)

    settings.get_by_role("button", name="Rotate key").click()
    page.get_by_role("dialog").get_by_role("button", name="Rotate now").click()
    expect(key).not_to_have_text(old_key)
    expect(page.get_by_role("dialog")).to_be_hidden()
    expect(page.get_by_test_id("api-key-rotated")).to_be_visible()
    new_key = key.inner_text()
    assert new_key.startswith("ts_")
    assert new_key != old_key
    expect(settings.get_by_test_id("site-script-tag")).to_contain_text(f'data-api-key="{new_key}"')
    first_site = api.get("/api/v1/sites", headers=account.auth()).json()["data"][0]
    assert first_site["apiKey"] == new_key
    assert api.get("/api/v1/users/me", headers=account.auth()).json()["data"]["apiKey"] == new_key
    assert send(api, old_key, [make_event()]).status_code == 401
    assert send(api, new_key, [make_event()]).status_code == 202
    screenshot(page, "sites-key-rotated")


def test_password_change_signs_out_the_other_session(
    system: System, browser: Browser, page: Page, api: httpx.Client
) -> None:
    base = system.gateway_url
    account = register(api, name="Two Sessions")

    # A second browser, signed in through the login form before the change.
    other = browser.new_context(viewport={"width": 1280, "height": 800})
    try:
        other_page = other.new_page()
        other_page.set_extra_http_headers({"X-Forwarded-For": fresh_ip()})
        other_page.goto(base + "/login?next=%2Fsetup")
        field(other_page, "Email").fill(account.email)
        field(other_page, "Password").fill(account.password)
        other_page.get_by_role("button", name="Log in").click()
        expect(other_page.get_by_role("heading", name="Set up tracking")).to_be_visible()

        open_signed_in(page, base, account, "/profile")
        form = page.get_by_role("form", name="Change password")
        field(form, "Current password").fill(account.password)
        field(form, "New password").fill("a brand new password")
        field(form, "Confirm new password").fill("a brand new password")
        form.get_by_role("button", name="Change password").click()
        expect(page.get_by_test_id("password-changed")).to_contain_text(
            "Every other session was signed out"
        )

        # The other browser's next API call fails, its refresh fails: back to /login.
        other_page.reload()
        expect(other_page).to_have_url(re.compile(r"/login\?next=%2Fsetup$"))
        expect(other_page.get_by_role("heading", name="Log in")).to_be_visible()
        assert other_page.evaluate("k => localStorage.getItem(k)", SESSION_KEY) is None
    finally:
        other.close()

    # This browser stays signed in, and the new password works.
    page.reload()
    expect(field(page, "Name")).to_have_value("Two Sessions")
    login = api.post(
        "/api/v1/auth/login",
        json={"email": account.email, "password": "a brand new password"},
        headers={"X-Forwarded-For": account.ip},
    )
    assert login.status_code == 200
