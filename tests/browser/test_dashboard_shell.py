"""The built dashboard, served by the real gateway, rendered by a real Chromium."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import screenshot
from tests.support.system import System

pytestmark = pytest.mark.browser


def test_home_page_shows_the_live_system_health(system: System, page: Page) -> None:
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.goto(system.gateway_url + "/")
    expect(page.get_by_role("heading", name="Tracking System", level=1)).to_be_visible()
    expect(page.get_by_test_id("health-status")).to_have_text("ok", timeout=15_000)
    screenshot(page, "home")
    assert errors == []


def test_deep_link_renders_the_app_not_a_404(system: System, page: Page) -> None:
    page.goto(system.gateway_url + "/setup")
    expect(page.locator("#root")).not_to_be_empty()
    assert page.url.endswith("/setup")
