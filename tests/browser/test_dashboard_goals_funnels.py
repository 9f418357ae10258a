"""Goals, funnels and retention in the real system: a goal added on the Sites page and others
through the API show their visitors, conversions and rate on the dashboard (a click filters by
the goal; a page goal with * cannot), a funnel built and saved on the Funnels page draws the
expected bars, the retention triangle shows the expected cohorts; both new pages pass axe-core
in the light and the dark theme."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from typing import Any, Literal

import httpx
import pytest
import redis
from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import screenshot
from tests.browser.test_dashboard_a11y import settle, sign_in, themed_context, violations
from tests.browser.test_dashboard_pages import SETTLED, open_signed_in
from tests.support.accounts import Account, register
from tests.support.events import make_event, send, wait_for_stored
from tests.support.system import System

pytestmark = pytest.mark.browser

SHOP = "https://shop.example.com"


def day(offset: int) -> dt.date:
    """The UTC day `offset` days from today (the accounts here keep UTC)."""
    return dt.datetime.now(dt.UTC).date() + dt.timedelta(days=offset)


# Three whole past days: nothing depends on the time of day the test runs at.
D0, D1, D2 = day(-3), day(-2), day(-1)
PERIOD = f"from={D0.isoformat()}&to={D2.isoformat()}"

# (day, user, session, minute after noon, page path or event name)
VISITS: list[tuple[dt.date, str, str, int, str]] = [
    (D0, "u1", "a1", 0, "/"),
    (D0, "u1", "a1", 1, "/pricing"),
    (D0, "u1", "a1", 2, "signup"),
    (D0, "u2", "a2", 0, "/"),
    (D0, "u2", "a2", 5, "/pricing"),
    (D0, "u3", "a3", 0, "/"),
    (D0, "u3", "a3", 1, "/blog/post-1"),
    (D1, "u1", "b1", 0, "/"),
    (D1, "u4", "b4", 0, "/"),
    (D1, "u4", "b4", 3, "signup"),
    (D2, "u1", "c1", 0, "/pricing"),
    (D2, "u2", "c2", 0, "/"),
]

FUNNEL_STEPS = [
    {"kind": "page", "match": "/"},
    {"kind": "page", "match": "/pricing"},
    {"kind": "event", "match": "signup"},
]
# Step 1: u1, u2, u3 (D0) and u4 (D1); step 2: u1 and u2; step 3: u1 (signup after /pricing).
FUNNEL_EXPECTED = [(4, "100", "0"), (2, "50", "2"), (1, "25", "1")]


def seed(api: httpx.Client, redis_sync: redis.Redis, account: Account) -> None:
    """Send VISITS through the public API and wait until they are stored."""
    events: list[dict[str, Any]] = []
    for when, user, session, minute, what in VISITS:
        noon = dt.datetime(when.year, when.month, when.day, 12, tzinfo=dt.UTC)
        millis = int(noon.timestamp() * 1000) + minute * 60_000
        common = {"userId": f"{user}-{account.user['id']}", "sessionId": f"{session}-{user}"}
        if what.startswith("/"):
            events.append(make_event(eventTime=millis, page=SHOP + what, **common))
        else:
            events.append(make_event(eventTime=millis, eventName=what, page=SHOP + "/", **common))
    assert send(api, account.user["apiKey"], events).status_code == 202
    assert wait_for_stored(redis_sync, account.user["id"], len(events)) == len(events)


def add_goal(api: httpx.Client, account: Account, name: str, kind: str, match: str) -> None:
    """POST /api/v1/goals."""
    response = api.post(
        "/api/v1/goals",
        json={"name": name, "kind": kind, "match": match},
        headers=account.auth(),
    )
    assert response.status_code in (200, 201), response.text


def rows_by_name(page: Page) -> dict[str, list[str]]:
    """The goals panel's rows: name → [visitors, conversions, rate] as written."""
    found: dict[str, list[str]] = page.evaluate(
        """() => Object.fromEntries(
          [...document.querySelectorAll('[data-testid=goal-row]')].map(r => [
          r.querySelector('td').textContent.trim(),
          ['goal-visitors', 'goal-conversions', 'goal-rate'].map(
            id => r.querySelector(`[data-testid=${id}]`).textContent.trim()),
        ]))"""
    )
    return found


def test_goals_funnel_and_retention_show_the_expected_numbers(
    system: System, page: Page, api: httpx.Client, redis_sync: redis.Redis
) -> None:
    base = system.gateway_url
    account = register(api, timezone="UTC")
    seed(api, redis_sync, account)
    add_goal(api, account, "Pricing", "page", "/pricing")
    add_goal(api, account, "Blog", "page", "/blog/*")

    # A goal added on the Sites page, after a refused one (the API's field error under its field).
    open_signed_in(page, base, account, "/sites")
    card = page.get_by_test_id("goals-card")
    expect(card.get_by_test_id("goals-list")).to_contain_text("/blog/*", timeout=SETTLED)
    form = card.get_by_role("form", name="Add a goal")
    form.get_by_label("Goal name").fill("Signed up")
    form.get_by_label("Kind", exact=True).select_option("page")
    form.get_by_label("Page path").fill("signup")
    form.get_by_role("button", name="Add goal").click()
    expect(form).to_contain_text("A page goal is a path starting with /")
    form.get_by_label("Kind", exact=True).select_option("event")
    form.get_by_label("Event name").fill("signup")
    form.get_by_role("button", name="Add goal").click()
    expect(card.get_by_test_id("goals-notice")).to_contain_text("Goal “Signed up” added.")
    expect(card.get_by_test_id("goals-list").get_by_role("row")).to_have_count(4)

    # The dashboard's panel: 4 visitors in the period (u1..u4).
    page.goto(f"{base}/?{PERIOD}")
    panel = page.get_by_test_id("panel-goals")
    expect(panel.get_by_test_id("goal-row")).to_have_count(3, timeout=SETTLED)
    expect(panel.get_by_test_id("loading")).to_have_count(0, timeout=SETTLED)
    assert rows_by_name(page) == {
        "Signed up": ["2", "2", "50%"],  # u1, u4; two signup events
        "Pricing": ["2", "3", "50%"],  # u1, u2; three /pricing views
        "Blog": ["1", "1", "25%"],  # u3
    }
    expect(panel.get_by_test_id("goal-not-filterable")).to_contain_text("Blog")
    expect(panel.get_by_role("button", name="Filter by goal Blog")).to_have_count(0)
    panel.get_by_role("button", name="Filter by goal Pricing").click()
    expect(page.get_by_test_id("filter-chips")).to_contain_text("Page is /pricing")
    assert "filter=page%3A%2Fpricing" in page.url
    screenshot(page, "goals-panel")

    # The Funnels page, reached from the header with the period and filter carried along.
    nav = page.get_by_role("navigation", name="Main navigation")
    nav.get_by_role("link", name="Funnels").click()
    expect(page.get_by_role("heading", name="Funnels", level=1)).to_be_visible()
    assert f"from={D0.isoformat()}" in page.url
    assert "filter=page" in page.url
    page.get_by_role("button", name="Remove filter Page is /pricing").click()
    expect(page.get_by_test_id("filter-chips")).to_have_count(0)

    page.get_by_role("combobox", name="Step 2 page path").fill("/pricing")
    page.keyboard.press("Escape")
    page.get_by_role("button", name="Add a step").click()
    page.get_by_label("Step 3 kind").select_option("event")
    page.get_by_role("combobox", name="Step 3 event name").fill("signup")
    page.keyboard.press("Escape")
    page.get_by_label("Within", exact=True).select_option("7d")
    check_funnel_bars(page)

    page.get_by_label("Funnel name").fill("Sign-up")
    page.get_by_role("button", name="Save funnel").click()
    expect(page.get_by_test_id("funnel-notice")).to_contain_text("Funnel “Sign-up” saved.")
    saved = api.get("/api/v1/funnels", headers=account.auth()).json()["data"]
    assert [(f["name"], f["steps"], f["window"]) for f in saved] == [
        ("Sign-up", FUNNEL_STEPS, "7d")
    ]
    screenshot(page, "funnels")

    # Picked again after a reload, it draws the same bars; then it is deleted.
    page.reload()
    picker = page.get_by_label("Saved funnel")
    expect(picker.locator("option", has_text="Sign-up")).to_have_count(1, timeout=SETTLED)
    picker.select_option(label="Sign-up")
    check_funnel_bars(page)
    page.get_by_role("button", name="Delete funnel").click()
    page.get_by_role("dialog").get_by_role("button", name="Delete funnel").click()
    expect(page.get_by_test_id("funnel-notice")).to_contain_text("Funnel “Sign-up” deleted.")
    assert api.get("/api/v1/funnels", headers=account.auth()).json()["data"] == []

    # Retention by day: D0's cohort u1, u2, u3; u1 back on D1; u1 and u2 back on D2. D1's: u4.
    page.goto(f"{base}/retention?{PERIOD}&unit=day")
    expect(page.get_by_role("heading", name="Retention", level=1)).to_be_visible()
    table = page.get_by_test_id("retention-table")
    expect(table).to_be_visible(timeout=SETTLED)
    first = table.locator(f"[data-start='{D0.isoformat()}']")
    expect(first.get_by_test_id("cohort-size")).to_have_text("3")
    cells = first.get_by_test_id("retention-cell")
    expect(cells).to_have_count(3)
    for offset, (text, count) in enumerate([("100%", "3"), ("33%", "1"), ("67%", "2")]):
        expect(cells.nth(offset)).to_contain_text(text)
        expect(cells.nth(offset)).to_have_attribute("data-count", count)
    second = table.locator(f"[data-start='{D1.isoformat()}']")
    expect(second.get_by_test_id("cohort-size")).to_have_text("1")
    expect(second.get_by_test_id("retention-cell").nth(0)).to_contain_text("100%")
    expect(second.get_by_test_id("retention-cell").nth(1)).to_contain_text("0%")
    expect(cells.nth(1)).to_have_attribute("title", "Day 1: 1 of 3 visitors")
    screenshot(page, "retention")


def check_funnel_bars(page: Page) -> None:
    """The bars of FUNNEL_STEPS over the period: visitors, rate from step 1, drop-off."""
    steps = page.get_by_test_id("funnel-bars").get_by_test_id("funnel-step")
    expect(steps).to_have_count(3, timeout=SETTLED)
    for i, (visitors, rate, drop) in enumerate(FUNNEL_EXPECTED):
        step = steps.nth(i)
        expect(step).to_have_attribute("data-visitors", str(visitors), timeout=SETTLED)
        expect(step).to_have_attribute("data-rate", rate)
        expect(step).to_have_attribute("data-dropoff", drop)
    expect(steps.nth(1)).to_contain_text("2 visitors")
    expect(steps.nth(1)).to_contain_text("50% of step 1")
    expect(steps.nth(1)).to_contain_text("\u22122 since step 1 (50%)")
    expect(steps.nth(2)).to_contain_text("1 visitor")
    expect(steps.nth(2)).to_contain_text("\u22121 since step 2 (50%)")


@pytest.fixture(scope="module")
def report_account(system: System) -> Account:
    """An account with VISITS and a saved funnel, shared by the axe checks."""
    with httpx.Client(base_url=system.gateway_url, timeout=30) as api:
        account = register(api, name="Axe Reports", timezone="UTC")
        client = redis.Redis.from_url(system.redis_url, decode_responses=True)
        try:
            seed(api, client, account)
        finally:
            client.close()
        response = api.post(
            "/api/v1/funnels",
            json={"name": "Sign-up", "steps": FUNNEL_STEPS, "window": "7d"},
            headers=account.auth(),
        )
        assert response.status_code in (200, 201), response.text
        add_goal(api, account, "Signed up", "event", "signup")
        add_goal(api, account, "Blog", "page", "/blog/*")
    return account


@pytest.fixture(params=["light", "dark"])
def themed_page(request: pytest.FixtureRequest, browser: Browser) -> Iterator[tuple[Page, str]]:
    """A page in a browser preferring the light, then the dark theme."""
    scheme: Literal["light", "dark"] = request.param
    context = themed_context(browser, scheme)
    yield context.new_page(), scheme
    context.close()


def test_funnels_and_retention_pass_axe_in_both_themes(
    system: System, themed_page: tuple[Page, str], report_account: Account
) -> None:
    page, scheme = themed_page
    base = system.gateway_url
    sign_in(page, base, report_account)
    report: dict[str, list[dict[str, Any]]] = {}

    page.goto(f"{base}/funnels?{PERIOD}")
    expect(page.get_by_role("heading", name="Funnels", level=1)).to_be_visible()
    picker = page.get_by_label("Saved funnel")
    expect(picker.locator("option", has_text="Sign-up")).to_have_count(1, timeout=SETTLED)
    picker.select_option(label="Sign-up")
    expect(page.get_by_test_id("funnel-step").first).to_have_attribute(
        "data-visitors", "4", timeout=SETTLED
    )
    settle(page, scheme)
    report["funnels"] = violations(page)
    screenshot(page, f"a11y-funnels-{scheme}")

    for unit in ("day", "week"):
        page.goto(f"{base}/retention?{PERIOD}&unit={unit}")
        expect(page.get_by_role("heading", name="Retention", level=1)).to_be_visible()
        expect(page.get_by_test_id("retention-cell").first).to_be_visible(timeout=SETTLED)
        settle(page, scheme)
        report[f"retention-{unit}"] = violations(page)
    screenshot(page, f"a11y-retention-{scheme}")

    # The goals panel, with the reason a wildcard goal cannot filter open in its tooltip.
    page.goto(f"{base}/?{PERIOD}")
    expect(page.get_by_test_id("goal-row")).to_have_count(2, timeout=SETTLED)
    settle(page, scheme)
    page.get_by_test_id("goal-not-filterable").focus()
    expect(page.get_by_role("tooltip")).to_contain_text("cannot filter the dashboard")
    report["dashboard goals"] = violations(page)

    # Nothing wider than a phone's screen.
    page.set_viewport_size({"width": 390, "height": 844})
    for path in ("/funnels", "/retention?unit=day"):
        page.goto(f"{base}{path}{'&' if '?' in path else '?'}{PERIOD}")
        expect(page.get_by_role("heading", level=1)).to_be_visible()
        settle(page, scheme)
        assert page.evaluate("document.documentElement.scrollWidth") <= 390, path

    failures = {name: found for name, found in report.items() if found}
    assert not failures, (
        f"axe-core found serious or critical violations ({scheme} theme):\n"
        + json.dumps(failures, indent=2)
    )
