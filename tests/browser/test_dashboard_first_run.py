"""First run: a site without a single event opens on "Waiting for the first event" with its
script tag and a live check, not on empty reports; the dashboard appears by itself once the first
event is counted."""

from __future__ import annotations

import httpx
import pytest
import redis
from playwright.sync_api import Page, expect

from tests.browser.conftest import screenshot
from tests.browser.test_dashboard_pages import SETTLED, open_signed_in
from tests.support.accounts import register
from tests.support.events import CHROME, make_event, send, wait_for_stored
from tests.support.system import System

pytestmark = pytest.mark.browser


def test_empty_site_waits_for_the_first_event_then_shows_the_dashboard(
    system: System, page: Page, api: httpx.Client, redis_sync: redis.Redis
) -> None:
    base = system.gateway_url
    account = register(api, name="Brand New")
    stats_calls: list[str] = []
    page.on(
        "request",
        lambda r: stats_calls.append(r.url) if "/api/v1/stats/" in r.url else None,
    )
    open_signed_in(page, base, account, "/?period=7d")

    waiting = page.get_by_test_id("first-run")
    expect(
        waiting.get_by_role("heading", name="Waiting for the first event", level=2)
    ).to_be_visible(timeout=SETTLED)
    expect(page.get_by_role("heading", name="Dashboard", level=1)).to_be_visible()
    expect(waiting.get_by_test_id("script-tag")).to_have_text(
        f'<script defer src="{base}/sdk.js" data-api-key="{account.user["apiKey"]}"></script>'
    )
    expect(waiting.get_by_test_id("first-run-check")).to_contain_text(
        "Checking for events every 3 seconds"
    )
    expect(waiting.get_by_role("link", name="More on Setup", exact=False)).to_have_attribute(
        "href", "/setup"
    )
    # Not a page of empty reports.
    expect(page.get_by_test_id("empty-state")).to_have_count(0)
    expect(page.get_by_test_id("error-state")).to_have_count(0)
    expect(page.get_by_test_id("summary-cards")).to_have_count(0)
    screenshot(page, "dashboard-first-run")
    # While waiting, only the overview (and the notices) are asked, every few seconds.
    page.wait_for_timeout(3500)
    asked = {url.split("/api/v1/stats/")[1].split("?")[0] for url in stats_calls}
    assert asked <= {"overview", "refused", "realtime"}, asked
    assert sum("/stats/overview" in url for url in stats_calls) >= 2

    # The first event arrives through the real ingestion endpoint: the dashboard shows it.
    event = make_event(userId="first-visitor", sessionId="first-session")
    assert send(api, account.user["apiKey"], [event], user_agent=CHROME).status_code == 202
    assert wait_for_stored(redis_sync, account.user["id"], 1) == 1
    pageviews = page.get_by_test_id("summary-pageviews").get_by_test_id("value")
    expect(pageviews).to_have_attribute("title", "1", timeout=SETTLED)
    expect(page.get_by_test_id("summary-visitors").get_by_test_id("value")).to_have_attribute(
        "title", "1"
    )
    expect(waiting).to_have_count(0)
    expect(page.get_by_role("combobox", name="Period")).to_be_visible()
    expect(page.get_by_test_id("loading")).to_have_count(0, timeout=SETTLED)
    assert page.url == base + "/?period=7d"
