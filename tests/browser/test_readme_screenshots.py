"""The README's screenshots (docs/screenshots/*.png) in the light and the dark theme (`-dark`),
taken from the real system after `tracking-system demo` has sent it a month of traffic.

Only when asked, as it takes a few minutes (the demo's traffic goes through ingestion and the
worker like any other):

    apt-get install fonts-noto-color-emoji   # once: the countries' flags are emoji
    cd dashboard && npm run build && cd ..
    SCREENSHOTS=1 .venv/bin/pytest tests/browser/test_readme_screenshots.py -q

Without SCREENSHOTS=1 it is skipped, so `make test` never rewrites the pictures."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Literal

import httpx
import pytest
import redis
from playwright.sync_api import Browser, Page, expect

from tests.browser.test_dashboard_pages import SESSION_KEY, SETTLED
from tests.support.accounts import fresh_ip, register
from tests.support.events import wait_for_stored
from tests.support.processes import REPO_ROOT
from tests.support.system import System

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        os.environ.get("SCREENSHOTS") != "1",
        reason="writes docs/screenshots: run with SCREENSHOTS=1 to regenerate them",
    ),
]

DOCS = REPO_ROOT / "docs" / "screenshots"
DEMO_EMAIL = "demo@example.com"
DEMO_PASSWORD = "demo-password-123"  # the demo's published login
# Sixty days: the thirty shown and the thirty before them, which Compare draws.
VISITORS = 3000
DAYS = 60
EMOJI_FONT = Path("/usr/share/fonts/truetype/noto/NotoColorEmoji.ttf")

Scheme = Literal["light", "dark"]


def send_demo(url: str) -> int:
    """Run `tracking-system demo` against the system; the number of events it had accepted."""
    cli = Path(sys.executable).with_name("tracking-system")
    done = subprocess.run(
        [str(cli), "demo", "--url", url, "--visitors", str(VISITORS), "--days", str(DAYS)],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    found = re.search(r"\(([\d,]+) accepted\)", done.stdout)
    assert found, done.stdout
    return int(found.group(1).replace(",", ""))


@pytest.fixture(scope="module")
def demo_session(system: System) -> dict[str, Any]:
    """The demo account's session once all of its traffic is stored, with a second site."""
    accepted = send_demo(system.gateway_url)
    with httpx.Client(base_url=system.gateway_url, timeout=30) as api:
        ip = fresh_ip()
        login = api.post(
            "/api/v1/auth/login",
            json={"email": DEMO_EMAIL, "password": DEMO_PASSWORD},
            headers={"X-Forwarded-For": ip},
        )
        assert login.status_code == 200, login.text
        session: dict[str, Any] = login.json()["data"]
        auth = {"Authorization": f"Bearer {session['accessToken']}", "X-Forwarded-For": ip}
        blog = {"name": "Demo Blog", "domain": "blog.example.com", "timezone": "Europe/Berlin"}
        assert api.post("/api/v1/sites", json=blog, headers=auth).status_code == 201
    client = redis.Redis.from_url(system.redis_url, decode_responses=True)
    try:
        stored = wait_for_stored(client, session["user"]["id"], accepted, within=300)
    finally:
        client.close()
    assert stored == accepted
    return session


@pytest.fixture(params=["light", "dark"])
def scheme(request: pytest.FixtureRequest) -> Scheme:
    """The theme (the OS's preference; the app follows it by default)."""
    chosen: Scheme = request.param
    return chosen


def shot(page: Page, name: str, scheme: Scheme, *, full_page: bool = True) -> None:
    """docs/screenshots/<name>.png, or <name>-dark.png."""
    DOCS.mkdir(parents=True, exist_ok=True)
    suffix = "" if scheme == "light" else "-dark"
    page.wait_for_timeout(1500)  # the chart's animation and the cards' transitions end
    page.screenshot(path=str(DOCS / f"{name}{suffix}.png"), full_page=full_page)


def settled(page: Page, scheme: Scheme) -> None:
    """Every report has answered, in the expected theme."""
    expect(page.locator("html")).to_have_attribute("data-mantine-color-scheme", scheme)
    expect(page.get_by_test_id("loading")).to_have_count(0, timeout=SETTLED)
    expect(page.locator("[aria-busy=true]")).to_have_count(0, timeout=SETTLED)


def new_page(browser: Browser, scheme: Scheme, width: int, height: int) -> Page:
    context = browser.new_context(
        viewport={"width": width, "height": height},
        color_scheme=scheme,
        device_scale_factor=1,
        is_mobile=width < 500,
        has_touch=width < 500,
    )
    return context.new_page()


def signed_in(page: Page, base: str, session: dict[str, Any]) -> None:
    page.goto(base + "/login")
    page.evaluate("([k, v]) => localStorage.setItem(k, v)", [SESSION_KEY, json.dumps(session)])


@pytest.fixture
def desktop(browser: Browser, scheme: Scheme) -> Iterator[Page]:
    page = new_page(browser, scheme, 1280, 900)
    yield page
    page.context.close()


def test_readme_screenshots(
    system: System, browser: Browser, desktop: Page, scheme: Scheme, demo_session: dict[str, Any]
) -> None:
    assert EMOJI_FONT.is_file(), "apt-get install fonts-noto-color-emoji: flags would be boxes"
    base = system.gateway_url
    page = desktop

    # Signed out: the login page.
    page.set_viewport_size({"width": 1280, "height": 800})
    page.goto(base + "/login")
    expect(page.get_by_test_id("health-status")).not_to_have_text("loading", timeout=SETTLED)
    expect(page.locator("html")).to_have_attribute("data-mantine-color-scheme", scheme)
    shot(page, "login", scheme, full_page=False)

    # The demo's month: the dashboard, the events, setup, profile and sites.
    signed_in(page, base, demo_session)
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(base + "/?period=30d&compare=previous")
    settled(page, scheme)
    expect(page.get_by_test_id("breakdown-country")).to_contain_text("United States")
    shot(page, "dashboard", scheme)

    page.goto(base + "/events")
    expect(page.get_by_test_id("events-explorer-table").get_by_role("row").nth(5)).to_be_visible(
        timeout=SETTLED
    )
    settled(page, scheme)
    shot(page, "events", scheme, full_page=False)

    for name, path, heading in (
        ("setup", "/setup", "Set up tracking"),
        ("profile", "/profile", "Profile"),
        ("sites", "/sites", "Sites"),
    ):
        page.goto(base + path)
        expect(page.get_by_role("heading", name=heading, level=1)).to_be_visible()
        settled(page, scheme)
        shot(page, name, scheme)

    # A phone.
    phone = new_page(browser, scheme, 390, 844)
    signed_in(phone, base, demo_session)
    phone.goto(base + "/?period=30d")
    settled(phone, scheme)
    shot(phone, "dashboard-mobile", scheme)
    phone.context.close()

    # A new account's first look: waiting for the first event.
    with httpx.Client(base_url=base, timeout=30) as api:
        fresh = register(api, name="New Shop", timezone="UTC")
    signed_in(page, base, fresh.session)
    page.set_viewport_size({"width": 1280, "height": 800})
    page.goto(base + "/")
    expect(page.get_by_text("Waiting for the first event")).to_be_visible(timeout=SETTLED)
    settled(page, scheme)
    shot(page, "home", scheme, full_page=False)
