"""The dashboard with real events: the numbers shown are the numbers sent; a click filters,
the chip removes the filter, the range picker changes the period."""

from __future__ import annotations

import time

import httpx
import pytest
import redis
from playwright.sync_api import Page, expect

from tests.browser.conftest import screenshot
from tests.browser.test_dashboard_pages import SETTLED, open_signed_in
from tests.support.accounts import register
from tests.support.events import CHROME, IPHONE, make_event, now_ms, send, wait_for_stored
from tests.support.system import System

pytestmark = pytest.mark.browser


def test_dashboard_shows_the_counts_that_were_sent(
    system: System, page: Page, api: httpx.Client, redis_sync: redis.Redis
) -> None:
    account = register(api)
    key = account.user["apiKey"]
    start = now_ms() - 20 * 60_000
    # 4 visitors, 6 sessions; 14 page views (10 on /pricing, 4 on /docs) and 3 signups.
    events = []
    for session in range(6):
        user = f"visitor-{session % 4}"
        pages = ["/pricing", "/pricing", "/docs"] if session < 4 else ["/pricing"]
        for j, path in enumerate(pages):
            referrer = "https://www.google.com/" if j == 0 else None
            events.append(make_event(sessionId=f"s{session}", userId=user,
                                     eventTime=start + session * 60_000 + j * 1000,
                                     page=f"https://shop.example.com{path}",
                                     referrer=referrer))  # fmt: skip
        if session % 2 == 0:
            events.append(make_event(sessionId=f"s{session}", userId=user, eventName="signup",
                                     eventTime=start + session * 60_000 + 5000))  # fmt: skip
    assert send(api, key, events[:10], user_agent=CHROME).status_code == 202
    assert send(api, key, events[10:], user_agent=IPHONE).status_code == 202
    assert wait_for_stored(redis_sync, account.user["id"], len(events)) == len(events)
    time.sleep(0.3)

    page.set_viewport_size({"width": 1280, "height": 900})
    open_signed_in(page, system.gateway_url, account, "/?period=7d")
    expect(page.get_by_test_id("loading")).to_have_count(0, timeout=SETTLED)
    expect(page.get_by_test_id("summary-visitors")).to_contain_text("4")
    expect(page.get_by_test_id("summary-sessions")).to_contain_text("6")
    expect(page.get_by_test_id("summary-pageviews")).to_contain_text("14")
    expect(page.get_by_test_id("summary-events")).to_contain_text("17")
    screenshot(page, "dashboard-data")

    # A click on a Page Visits row filters everything by that page.
    page.get_by_role("button", name="/docs", exact=False).first.click()
    expect(page.get_by_test_id("filter-chips")).to_contain_text("/docs")
    assert "filter=page%3A%2Fdocs" in page.url
    expect(page.get_by_test_id("summary-pageviews")).to_contain_text("4")
    expect(page.get_by_test_id("summary-visitors")).to_contain_text("4")

    page.get_by_role("button", name="Remove filter", exact=False).first.click()
    expect(page.get_by_test_id("summary-pageviews")).to_contain_text("14")
    assert "filter=" not in page.url

    page.get_by_role("combobox", name="Period").click()
    page.get_by_role("option", name="Today").click()
    assert "period=today" in page.url
    expect(page.get_by_test_id("range-label")).to_contain_text("Today")


def test_the_world_map_shades_the_countries_visitors_came_from_and_filters_on_click(
    system: System, page: Page, api: httpx.Client, redis_sync: redis.Redis
) -> None:
    account = register(api)
    key = account.user["apiKey"]
    start = now_ms() - 10 * 60_000
    # Germany 3 visitors, the United States 1, India 1 (by the address each was sent from).
    senders = [("81.169.145.1", 3), ("8.8.8.8", 1), ("49.44.0.1", 1)]
    sent = 0
    for ip, visitors in senders:
        events = [
            make_event(sessionId=f"{ip}-{v}", userId=f"{ip}-{v}", eventTime=start + sent + v)
            for v in range(visitors)
        ]
        sent += visitors
        headers = {"X-Forwarded-For": ip}
        assert send(api, key, events, user_agent=CHROME, headers=headers).status_code == 202
    assert wait_for_stored(redis_sync, account.user["id"], sent) == sent

    page.set_viewport_size({"width": 1280, "height": 900})
    open_signed_in(page, system.gateway_url, account, "/?period=today")
    world = page.get_by_role("img", name="Visitors by country", exact=False)
    expect(world).to_have_attribute(
        "aria-label", "Visitors by country: Germany 3, India 1, United States 1", timeout=SETTLED
    )
    germany, india, france = (world.locator(f'path[data-code="{c}"]') for c in ("DE", "IN", "FR"))
    expect(germany).to_have_attribute("data-visitors", "3")
    fill = "el => getComputedStyle(el).fill"
    shades = {germany.evaluate(fill), india.evaluate(fill), france.evaluate(fill)}
    assert len(shades) == 3, shades  # more visitors, a deeper shade; none, the neutral one
    screenshot(page, "dashboard-world-map")

    germany.click()
    expect(page.get_by_test_id("filter-chips")).to_contain_text("Germany")
    assert "filter=country%3ADE" in page.url
    expect(page.get_by_test_id("summary-visitors")).to_contain_text("3")
