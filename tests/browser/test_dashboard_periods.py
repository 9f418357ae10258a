"""Periods on the dashboard: presets, previous / next arrows, Plausible's keyboard shortcuts (not
while typing), one message and no report for a range over ten years; All time; the chart charts
the card clicked, per hour, day, week or month, and compares with the previous period; tables
show shares; the offline banner."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from urllib.parse import parse_qs, urlparse

import httpx
import pytest
import redis
from playwright.sync_api import Page, expect

from tests.browser.conftest import screenshot
from tests.browser.test_dashboard_pages import SETTLED, open_signed_in
from tests.support.accounts import Account, register
from tests.support.events import CHROME, make_event, now_ms, send, wait_for_stored
from tests.support.system import System

pytestmark = pytest.mark.browser
DAY_MS = 86_400_000


def query_of(page: Page) -> dict[str, list[str]]:
    """The page's URL parameters."""
    return parse_qs(urlparse(page.url).query)


def account_with_history(api: httpx.Client, redis_sync: redis.Redis) -> Account:
    """Page views today (3), 8 days ago (2) and 20 days ago (1), in UTC."""
    account = register(api, name="Historian", timezone="UTC")
    now = now_ms()
    midnight = now - now % DAY_MS
    times = [now - 60_000, now - 50_000, now - 40_000]
    times += [midnight - 8 * DAY_MS + 3_600_000, midnight - 8 * DAY_MS + 7_200_000]
    times += [midnight - 20 * DAY_MS + 3_600_000]
    events = [
        make_event(
            userId=f"u{i}", sessionId=f"s{i}", eventTime=t, page=f"https://h.example/p{i % 2}"
        )
        for i, t in enumerate(times)
    ]
    assert send(api, account.user["apiKey"], events, user_agent=CHROME).status_code == 202
    assert wait_for_stored(redis_sync, account.user["id"], len(events)) == len(events)
    return account


def pageviews(page: Page, expected: str) -> None:
    """The page-views card shows exactly `expected` for the period."""
    value = page.get_by_test_id("summary-pageviews").get_by_test_id("value")
    expect(value).to_have_attribute("title", expected, timeout=SETTLED)


def test_arrows_and_shortcuts_move_the_period(
    system: System, page: Page, api: httpx.Client, redis_sync: redis.Redis
) -> None:
    account = account_with_history(api, redis_sync)
    today = datetime.now(UTC).date()
    open_signed_in(page, system.gateway_url, account, "/?period=7d")
    label = page.get_by_test_id("range-label")
    expect(label).to_contain_text("Last 7 days")
    pageviews(page, "3")
    expect(page.get_by_role("button", name="Next period")).to_be_disabled()

    # ← : the 7 days before.
    page.get_by_role("button", name="Previous period").click()
    expected_from, expected_to = today - timedelta(days=13), today - timedelta(days=7)
    expect(page).to_have_url(re.compile(rf"from={expected_from}&to={expected_to}"))
    pageviews(page, "2")
    expect(page.get_by_role("button", name="Next period")).to_be_enabled()
    # → : back to the last 7 days, as the preset.
    page.get_by_role("button", name="Next period").click()
    expect(page).to_have_url(re.compile(r"\?period=7d$"))
    pageviews(page, "3")

    # Plausible's shortcuts, with the focus on the page.
    page.locator("body").click(position={"x": 5, "y": 700})
    for key, period, text in [
        ("d", "today", "Today"),
        ("e", "yesterday", "Yesterday"),
        ("t", "30d", "Last 30 days"),
        ("m", "month", "This month"),
        ("y", "12mo", "Last 12 months"),
        ("w", "7d", "Last 7 days"),
    ]:
        page.keyboard.press(key)
        expect(label).to_contain_text(text)
        assert query_of(page)["period"] == [period]
    page.keyboard.press("t")
    pageviews(page, "6")
    page.keyboard.press("ArrowLeft")
    expect(page).to_have_url(
        re.compile(rf"from={today - timedelta(days=59)}&to={today - timedelta(days=30)}")
    )
    pageviews(page, "0")
    page.keyboard.press("ArrowRight")
    expect(page).to_have_url(re.compile(r"\?period=30d$"))
    page.keyboard.press("d")
    expect(label).to_contain_text("Today")
    page.keyboard.press("ArrowLeft")
    expect(label).to_contain_text("Yesterday")

    # Not while typing: a letter typed in the custom range's field stays there.
    page.get_by_role("combobox", name="Period").click()
    page.get_by_role("option", name="Custom range").click()
    page.get_by_label("From").focus()
    before = page.url
    page.keyboard.press("d")
    page.keyboard.press("ArrowLeft")
    page.wait_for_timeout(300)
    assert page.url == before


def test_a_range_over_ten_years_says_so_once_and_asks_for_nothing(
    system: System, page: Page, api: httpx.Client, redis_sync: redis.Redis
) -> None:
    account = account_with_history(api, redis_sync)
    stats: list[str] = []
    page.on("request", lambda r: stats.append(r.url) if "/api/v1/stats/" in r.url else None)
    open_signed_in(page, system.gateway_url, account, "/?from=2010-01-01&to=2024-06-30")
    problem = page.get_by_test_id("range-problem")
    expect(problem).to_have_text(
        "Pick a range of at most ten years (3,660 days; this one has 5,295)."
    )
    expect(problem).to_have_count(1)
    expect(page.get_by_role("button", name="Apply custom range")).to_be_disabled()
    expect(page.get_by_test_id("error-state")).to_have_count(0)
    expect(page.get_by_test_id("summary-cards")).to_have_count(0)
    page.wait_for_timeout(1000)
    asked = {u.split("/api/v1/stats/")[1].split("?")[0] for u in stats}
    assert asked.isdisjoint({"summary", "timeseries", "events", "pages", "breakdown"}), asked
    screenshot(page, "dashboard-range-too-long")

    # Shortening the range in the picker clears the message and loads the reports.
    page.get_by_label("From").fill("2023-07-01")
    expect(problem).to_have_count(0)
    page.get_by_role("button", name="Apply custom range").click()
    expect(page.get_by_test_id("summary-cards")).to_be_visible(timeout=SETTLED)
    expect(page.get_by_test_id("error-state")).to_have_count(0)


def test_all_time_starts_on_the_first_day_and_the_interval_follows_the_period(
    system: System, page: Page, api: httpx.Client, redis_sync: redis.Redis
) -> None:
    account = account_with_history(api, redis_sync)  # the first event 20 days ago
    open_signed_in(page, system.gateway_url, account, "/?period=all")
    expect(page.get_by_test_id("range-label")).to_contain_text("All time")
    pageviews(page, "6")
    expect(page.get_by_role("button", name="Previous period")).to_be_disabled()
    chart = page.get_by_test_id("chart")
    days = chart.get_by_role("table", name="Visitors per day")
    expect(days.get_by_role("row")).to_have_count(22, timeout=SETTLED)  # header + 21 days

    chart.locator("label", has_text="Week").click()
    expect(chart.get_by_role("heading", name="Visitors per week")).to_be_visible()
    assert query_of(page)["interval"] == ["week"]
    weeks = chart.get_by_role("table", name="Visitors per week")
    expect(weeks.get_by_role("row").nth(1)).to_contain_text("Week of")
    screenshot(page, "dashboard-all-time-weeks")

    # Today, by the hour: the running hour so far, the later ones not drawn.
    page.get_by_role("heading", name="Dashboard", level=1).click()
    page.keyboard.press("d")
    expect(chart.get_by_role("heading", name="Visitors per hour")).to_be_visible()
    assert "interval" not in query_of(page)
    hours = chart.get_by_role("table", name="Visitors per hour")
    expect(hours.get_by_role("row")).to_have_count(25, timeout=SETTLED)  # header + 24 UTC hours
    now_hour = datetime.now(UTC).hour
    expect(hours.get_by_role("row").nth(1 + now_hour)).to_contain_text("(so far)")
    if now_hour < 23:
        expect(hours.get_by_role("row").nth(2 + now_hour)).to_contain_text(
            "\u2013"
        )  # not begun: a dash


def test_cards_choose_the_chart_comparison_and_shares(
    system: System, page: Page, api: httpx.Client, redis_sync: redis.Redis
) -> None:
    account = account_with_history(api, redis_sync)
    series: list[str] = []
    page.on(
        "request", lambda r: series.append(r.url) if "/api/v1/stats/timeseries" in r.url else None
    )
    open_signed_in(page, system.gateway_url, account, "/?period=today")
    pageviews(page, "3")
    # Yesterday had nothing: not "new" in red, a neutral dash.
    badge = page.get_by_test_id("summary-pageviews").get_by_test_id("change")
    expect(badge).to_have_text("—")
    expect(badge).to_have_attribute("title", "No figure for the previous period to compare with")

    page.get_by_role("heading", name="Dashboard", level=1).click()
    page.keyboard.press("w")
    chart = page.get_by_test_id("chart")
    expect(chart.get_by_role("heading", name="Visitors per day")).to_be_visible()
    expect(badge).to_have_text("+50%")  # 3 against the 2 of the 7 days before

    card = page.get_by_test_id("summary-pageviews").get_by_role("button")
    expect(card).to_have_attribute("aria-pressed", "false")
    card.click()
    expect(card).to_have_attribute("aria-pressed", "true")
    expect(chart.get_by_role("heading", name="Page views per day")).to_be_visible()
    assert query_of(page)["metric"] == ["pageviews"]
    expect(
        chart.get_by_role("img", name=re.compile(r"^Page views per day, .*: 3 in total"))
    ).to_be_visible()
    # Ratios chart too, in their own unit (today's 3 single-page visits all bounced).
    page.get_by_test_id("summary-bounceRate").get_by_role("button").click()
    expect(chart.get_by_role("heading", name="Bounce rate per day")).to_be_visible()
    expect(chart.get_by_role("img", name=re.compile(r"at most 100%"))).to_be_visible()
    card.click()
    expect(chart.get_by_role("heading", name="Page views per day")).to_be_visible()

    toggle = chart.get_by_role("switch", name="Compare")
    toggle.click()  # the URL holds the state; the switch follows it
    expect(toggle).to_be_checked()
    expect(page).to_have_url(re.compile(r"compare=previous"))
    today = date.today()
    previous = f"from={today - timedelta(days=13)}&to={today - timedelta(days=7)}"
    expect(chart.get_by_role("img", name=re.compile(r"; previous period: 2"))).to_be_visible(
        timeout=SETTLED
    )
    assert any(previous in url for url in series), series
    expect(chart.get_by_role("table", name="Page views per day")).to_contain_text("Previous period")
    screenshot(page, "dashboard-compare")
    chart.locator("label", has_text="Same period last year").click()
    expect(page).to_have_url(re.compile(r"compare=year"))
    expect(chart.get_by_role("img", name=re.compile(r"; same period last year: 0"))).to_be_visible(
        timeout=SETTLED
    )

    # Every table has a share column, of the period's total.
    shares = page.get_by_test_id("pages-table").get_by_test_id("share")
    expect(shares.first).to_have_text(re.compile(r"^(67|33)%$"))
    header = page.get_by_test_id("pages-table").locator("abbr")
    expect(header).to_have_attribute("title", "Share of all 3 page views in the period")

    # Offline: a banner says the figures may be out of date; it goes when the network is back.
    page.context.set_offline(True)
    banner = page.get_by_test_id("connection-banner")
    expect(banner).to_contain_text("You are offline")
    page.context.set_offline(False)
    expect(banner).to_have_count(0)
