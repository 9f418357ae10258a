"""A real headless Chromium (Debian's /usr/bin/chromium) driven by Playwright."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from tests.support.processes import REPO_ROOT

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
# Without the networking flags Chromium keeps trying to reach Google on this closed network.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]
SCREENSHOTS = REPO_ROOT / "test-artifacts" / "screenshots"


# Module scope: Playwright's sync API keeps an event loop running in this thread while it is
# started, which would break the asyncio tests that run after the browser tests.
@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """One Chromium per test module; a missing binary is a failure, not a skip."""
    if not Path(CHROMIUM).is_file():
        pytest.fail(f"{CHROMIUM} not found: `make test` installs Debian's chromium package")
    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    """A fresh browser context and page, with console errors collected."""
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    tab = context.new_page()
    yield tab
    context.close()


def screenshot(page: Page, name: str) -> Path:
    """Save a full-page screenshot under test-artifacts/screenshots."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
