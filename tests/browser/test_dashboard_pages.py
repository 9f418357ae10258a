"""Dashboard, Setup and Events pages: they render, settle (data, empty or error: never an endless
spinner), keep range and filters in the URL, and work in a phone-width window."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest
import redis
from playwright.sync_api import Page, expect

from tests.browser.conftest import screenshot
from tests.support.accounts import Account, register
from tests.support.events import make_event, send, wait_for_stored
from tests.support.system import System

pytestmark = pytest.mark.browser

SESSION_KEY = "tracking.session"
SETTLED = 20_000  # ms for every panel to leave its loading state


def open_signed_in(page: Page, base: str, account: Account, path: str) -> None:
    """Open `path` with the account's session in localStorage, as after signing in."""
    page.goto(base + "/login")
    page.evaluate(
        "([k, v]) => localStorage.setItem(k, v)", [SESSION_KEY, json.dumps(account.session)]
    )
    page.goto(base + path)


# Every visible control must have an accessible name (label, aria-label(ledby), text or title).
UNLABELLED_JS = """
() => [...document.querySelectorAll('button, input, select, textarea, [role=button], a[href]')]
  .filter(el => el.type !== 'hidden' && el.getClientRects().length > 0)
  .filter(el => {
    const byIds = (el.getAttribute('aria-labelledby') || '').split(' ').filter(Boolean)
      .map(id => document.getElementById(id)?.textContent || '').join('');
    const labels = [...(el.labels || [])].map(l => l.textContent).join('');
    const name = el.getAttribute('aria-label') || byIds || labels || el.textContent
      || el.getAttribute('title') || el.getAttribute('placeholder') || '';
    return name.trim() === '';
  })
  .map(el => el.outerHTML.slice(0, 160))
"""


@pytest.fixture
def problems(page: Page) -> list[str]:
    """Uncaught page errors and CSP violations, which must stay empty."""
    found: list[str] = []
    page.on("pageerror", lambda exc: found.append(f"pageerror: {exc}"))
    page.on(
        "console",
        lambda msg: (
            found.append(f"console: {msg.text}")
            if "Content Security Policy" in msg.text or "Refused to" in msg.text
            else None
        ),
    )
    return found


def test_dashboard_settles_and_keeps_range_and_filters_in_the_url(
    system: System, page: Page, api: httpx.Client, redis_sync: redis.Redis, problems: list[str]
) -> None:
    base = system.gateway_url
    account = register(api)
    # One event: a site without any opens on the first-run view instead (test_dashboard_first_run).
    assert send(api, account.user["apiKey"], [make_event()]).status_code == 202
    assert wait_for_stored(redis_sync, account.user["id"], 1) == 1
    open_signed_in(
        page, base, account, "/?period=7d&filter=browser:Firefox&filter=page:https://x.io/a:b"
    )
    expect(page).to_have_title("Dashboard · Tracking System")
    expect(page.get_by_role("heading", name="Dashboard", level=1)).to_be_visible()
    expect(page.get_by_test_id("range-label")).to_contain_text("Last 7 days")
    chips = page.get_by_test_id("filter-chips")
    expect(chips).to_contain_text("Browser is Firefox")
    expect(chips).to_contain_text("Page is https://x.io/a:b")
    for name in ("Visitors per day", "Events", "Page Visits", "Sources", "Devices"):
        expect(page.get_by_role("heading", name=name, exact=True)).to_be_visible()
    expect(page.get_by_test_id("loading")).to_have_count(0, timeout=SETTLED)
    expect(page.get_by_test_id("realtime")).not_to_contain_text("…")

    page.get_by_role("button", name="Remove filter Browser is Firefox").click()
    expect(chips).not_to_contain_text("Firefox")
    assert "Firefox" not in page.url
    assert "filter=page%3Ahttps%3A%2F%2Fx.io%2Fa%3Ab" in page.url

    page.get_by_role("combobox", name="Period").click()
    page.get_by_role("option", name="This month").click()
    expect(page.get_by_test_id("range-label")).to_contain_text("This month")
    assert "period=month" in page.url
    page.reload()
    expect(page.get_by_test_id("range-label")).to_contain_text("This month")
    expect(page.get_by_test_id("loading")).to_have_count(0, timeout=SETTLED)
    screenshot(page, "dashboard")
    assert problems == []


def test_setup_page_shows_the_script_tag_with_the_key(
    system: System, page: Page, api: httpx.Client, problems: list[str], site: tuple[str, Path]
) -> None:
    base = system.gateway_url
    account = register(api)
    open_signed_in(page, base, account, "/setup")
    expect(page).to_have_title("Setup · Tracking System")
    expect(page.get_by_test_id("script-tag")).to_have_text(
        f'<script defer src="{base}/sdk.js" data-api-key="{account.user["apiKey"]}"></script>'
    )
    expect(page.get_by_text("window.__trk.identify('user-123')")).to_be_visible()
    expect(page.get_by_text("window.__trk.track('signup', {plan: 'pro'})")).to_be_visible()
    first_event = page.get_by_test_id("first-event")
    expect(first_event).to_have_attribute("data-state", "waiting")

    # A site that pastes the script tag: its page view turns the check green.
    shop_url, shop_dir = site
    tag = page.get_by_test_id("script-tag").inner_text()
    (shop_dir / "index.html").write_text(f"<!doctype html><title>Shop</title>{tag}<h1>Shop</h1>")
    shop = page.context.new_page()
    shop.goto(shop_url + "/index.html")
    expect(first_event).to_have_attribute("data-state", "received", timeout=20_000)
    shop.close()

    page.get_by_role("button", name="Send a test event").click()
    expect(page.get_by_test_id("test-event-result")).to_contain_text("accepted", timeout=10_000)
    screenshot(page, "setup")
    assert problems == []


def test_events_page_settles(
    system: System, page: Page, api: httpx.Client, problems: list[str]
) -> None:
    base = system.gateway_url
    account = register(api)
    open_signed_in(page, base, account, "/events")
    expect(page).to_have_title("Events · Tracking System")
    expect(page.get_by_role("heading", name="Live feed")).to_be_visible()
    expect(page.get_by_test_id("live-status")).to_be_visible()
    explorer = page.get_by_test_id("events-explorer")
    expect(explorer.get_by_test_id("loading")).to_have_count(0, timeout=SETTLED)
    for label in ("Event name", "Page", "User ID", "Session ID"):
        expect(explorer.get_by_label(label, exact=True)).to_be_visible()
    expect(page.get_by_role("button", name="Export CSV")).to_be_enabled()
    screenshot(page, "events")
    assert problems == []


def test_phone_width_uses_a_burger_menu(
    system: System, page: Page, api: httpx.Client, problems: list[str]
) -> None:
    base = system.gateway_url
    account = register(api)
    page.set_viewport_size({"width": 390, "height": 844})
    open_signed_in(page, base, account, "/")
    expect(page.get_by_role("heading", name="Dashboard", level=1)).to_be_visible()
    burger = page.get_by_role("button", name="Toggle navigation")
    expect(burger).to_be_visible()
    nav = page.get_by_role("navigation", name="Main navigation")
    expect(nav.get_by_role("link", name="Events")).not_to_be_in_viewport()
    expect(page.get_by_test_id("loading")).to_have_count(0, timeout=SETTLED)
    # Nothing wider than the screen.
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    screenshot(page, "dashboard-mobile")

    burger.click()
    expect(nav.get_by_role("link", name="Events")).to_be_in_viewport()
    nav.get_by_role("link", name="Events").click()
    expect(page.get_by_role("heading", name="Events", level=1)).to_be_visible()
    expect(nav.get_by_role("link", name="Setup")).not_to_be_in_viewport()
    assert problems == []


@pytest.mark.parametrize("path", ["/", "/events", "/setup", "/profile"])
def test_every_control_has_an_accessible_name(
    system: System, page: Page, api: httpx.Client, path: str
) -> None:
    account = register(api)
    open_signed_in(page, system.gateway_url, account, path)
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    expect(page.get_by_test_id("loading")).to_have_count(0, timeout=SETTLED)
    assert page.evaluate(UNLABELLED_JS) == []
    page.set_viewport_size({"width": 390, "height": 844})
    page.get_by_role("button", name="Toggle navigation").click()
    assert page.evaluate(UNLABELLED_JS) == []
