"""Accessibility of every page in the real system, in the light and the dark theme: axe-core
finds no serious or critical violation (contrast included), nor with the header's menus open
(label in name included); the theme follows the OS until the header's menu picks light or dark,
the choice stays and applies before the app runs; focus stays where the user acted; the chart has
a name and a table beside it."""

from __future__ import annotations

import itertools
import json
import re
import time
from collections.abc import Iterator
from typing import Any, Literal

import httpx
import pytest
import redis
from playwright.sync_api import Browser, BrowserContext, Page, expect

from tests.browser.conftest import screenshot
from tests.browser.test_dashboard_pages import SESSION_KEY, SETTLED
from tests.support.accounts import Account, register
from tests.support.events import CHROME, IPHONE, make_event, now_ms, send, wait_for_stored
from tests.support.processes import REPO_ROOT
from tests.support.system import System

pytestmark = pytest.mark.browser

AXE = REPO_ROOT / "dashboard" / "node_modules" / "axe-core" / "axe.min.js"

# axe's serious and critical findings, with where they are, for the assertion message.
RUN_AXE_JS = """
async (rules) => {
  const result = await axe.run(document, { resultTypes: ['violations'], rules });
  return result.violations
    .filter(v => v.impact === 'serious' || v.impact === 'critical')
    .map(v => ({
      id: v.id, impact: v.impact, help: v.help,
      nodes: v.nodes.slice(0, 6).map(n => ({
        target: n.target.join(' '), html: n.html.slice(0, 160), why: n.failureSummary,
      })),
    }));
}
"""


def seed_traffic(api: httpx.Client, redis_sync: redis.Redis, account: Account) -> None:
    """A few visitors with pages, referrers, devices and a custom event, stored before returning."""
    start = now_ms() - 30 * 60_000
    events: list[dict[str, Any]] = []
    for session in range(6):
        user = f"visitor-{session % 4}"
        for j, path in enumerate(["/pricing", "/docs", "/blog"][: 1 + session % 3]):
            events.append(make_event(
                sessionId=f"s{session}", userId=user, eventTime=start + session * 60_000 + j * 1000,
                page=f"https://shop.example.com{path}",
                referrer="https://www.google.com/" if j == 0 and session % 2 else None,
            ))  # fmt: skip
        events.append(make_event(sessionId=f"s{session}", userId=user, eventName="signup",
                                 eventTime=start + session * 60_000 + 5000))  # fmt: skip
    assert send(api, account.user["apiKey"], events[:8], user_agent=CHROME).status_code == 202
    assert send(api, account.user["apiKey"], events[8:], user_agent=IPHONE).status_code == 202
    site_id = account.user["id"]
    assert wait_for_stored(redis_sync, site_id, len(events)) == len(events)
    time.sleep(0.3)


@pytest.fixture(scope="module")
def data_account(system: System) -> Account:
    """One account with traffic, shared by the page checks of this module."""
    with httpx.Client(base_url=system.gateway_url, timeout=30) as api:
        account = register(api, name="Axe Tester", timezone="UTC")
        client = redis.Redis.from_url(system.redis_url, decode_responses=True)
        try:
            seed_traffic(api, client, account)
        finally:
            client.close()
    return account


def themed_context(browser: Browser, scheme: Literal["light", "dark"]) -> BrowserContext:
    """A browser whose OS prefers `scheme`; CSP bypassed so axe can be injected."""
    return browser.new_context(
        viewport={"width": 1280, "height": 900}, color_scheme=scheme, bypass_csp=True
    )


@pytest.fixture(params=["light", "dark"])
def themed(request: pytest.FixtureRequest, browser: Browser) -> Iterator[tuple[Page, str]]:
    """A page in a browser preferring the light, then the dark theme."""
    scheme: Literal["light", "dark"] = request.param
    context = themed_context(browser, scheme)
    yield context.new_page(), scheme
    context.close()


# axe's experimental label-in-name check (WCAG 2.5.3), off by default.
LABEL_IN_NAME = {"label-content-name-mismatch": {"enabled": True}}


def violations(page: Page, rules: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    """axe-core's serious and critical violations on the page as it is now."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.add_script_tag(path=str(AXE))
    found: list[dict[str, Any]] = page.evaluate(RUN_AXE_JS, rules or {})
    return found


def settle(page: Page, scheme: str) -> None:
    """Wait until the page shows its data in the expected theme (no skeleton, no spinner)."""
    expect(page.locator("html")).to_have_attribute("data-mantine-color-scheme", scheme)
    expect(page.get_by_test_id("loading")).to_have_count(0, timeout=SETTLED)
    expect(page.locator("[aria-busy=true]")).to_have_count(0, timeout=SETTLED)
    page.wait_for_timeout(300)  # transitions (opacity) end


def sign_in(page: Page, base: str, account: Account) -> None:
    """Put the account's session in localStorage, as after signing in."""
    page.goto(base + "/login")
    page.evaluate(
        "([k, v]) => localStorage.setItem(k, v)", [SESSION_KEY, json.dumps(account.session)]
    )


PAGES = [
    ("dashboard", "/?period=7d&compare=previous", "Dashboard"),
    ("events", "/events", "Events"),
    ("setup", "/setup", "Set up tracking"),
    ("profile", "/profile", "Profile"),
    ("sites", "/sites", "Sites"),
]


def test_every_page_passes_axe_in_both_themes(
    system: System, themed: tuple[Page, str], data_account: Account
) -> None:
    page, scheme = themed
    base = system.gateway_url
    report: dict[str, list[dict[str, Any]]] = {}

    for name, path in (("login", "/login"), ("register", "/register")):
        page.goto(base + path)
        expect(page.get_by_role("heading", level=1)).to_be_visible()
        expect(page.get_by_test_id("health-status")).not_to_have_text("loading", timeout=SETTLED)
        settle(page, scheme)
        report[name] = violations(page)

    sign_in(page, base, data_account)
    for name, path, heading in PAGES:
        page.goto(base + path)
        expect(page.get_by_role("heading", name=heading, level=1)).to_be_visible()
        settle(page, scheme)
        if name == "dashboard":
            expect(
                page.get_by_test_id("summary-pageviews").get_by_test_id("value")
            ).to_have_attribute("title", "12")
            screenshot(page, f"a11y-dashboard-{scheme}")
        report[name] = violations(page)

    failures = {name: found for name, found in report.items() if found}
    assert not failures, (
        f"axe-core found serious or critical violations ({scheme} theme):\n"
        + json.dumps(failures, indent=2)
    )


def test_theme_follows_the_os_until_a_choice_and_the_choice_stays(
    system: System, browser: Browser, data_account: Account
) -> None:
    context = themed_context(browser, "dark")
    page = context.new_page()
    base = system.gateway_url
    sign_in(page, base, data_account)
    page.goto(base + "/?period=7d")
    html = page.locator("html")
    expect(html).to_have_attribute("data-mantine-color-scheme", "dark")
    toggle = page.get_by_test_id("color-scheme-toggle")
    expect(toggle).to_have_accessible_name("Theme: system (now dark)")

    def choose(name: str) -> None:
        toggle.click()
        page.get_by_test_id("theme-menu").get_by_role("menuitemradio", name=name).click()
        expect(page.get_by_test_id("theme-menu")).to_be_hidden()

    choose("Light")
    expect(html).to_have_attribute("data-mantine-color-scheme", "light")
    expect(toggle).to_have_accessible_name("Theme: light")
    page.reload()
    expect(html).to_have_attribute("data-mantine-color-scheme", "light")
    page.goto(base + "/events")
    expect(html).to_have_attribute("data-mantine-color-scheme", "light")

    # Back to the system's: it follows the OS again, also when the OS changes.
    choose("System")
    expect(html).to_have_attribute("data-mantine-color-scheme", "dark")
    expect(toggle).to_have_accessible_name("Theme: system (now dark)")
    page.emulate_media(color_scheme="light")
    expect(html).to_have_attribute("data-mantine-color-scheme", "light")
    expect(toggle).to_have_accessible_name("Theme: system (now light)")
    page.reload()
    expect(toggle).to_have_attribute("data-choice", "auto")
    context.close()


def test_the_chosen_theme_applies_before_the_app_runs(
    system: System, browser: Browser, data_account: Account
) -> None:
    """public/color-scheme.js (an external script: the CSP forbids inline ones) sets the theme
    before the first paint; with the app's own code blocked, the page is already dark."""
    context = themed_context(browser, "light")
    page = context.new_page()
    base = system.gateway_url
    page.goto(base + "/login")
    page.evaluate("() => localStorage.setItem('mantine-color-scheme-value', 'dark')")
    page.route("**/assets/*.js", lambda route: route.abort())
    page.goto(base + "/login")
    html = page.locator("html")
    expect(html).to_have_attribute("data-mantine-color-scheme", "dark")
    page.evaluate("() => localStorage.setItem('mantine-color-scheme-value', 'auto')")
    page.reload()
    expect(html).to_have_attribute("data-mantine-color-scheme", "light")
    context.close()


def test_the_header_menus_pass_axe_open(
    system: System, themed: tuple[Page, str], data_account: Account
) -> None:
    """The site switcher's and the theme's menus, open: every item's name contains its visible
    text (label in name), and nothing else serious."""
    page, scheme = themed
    base = system.gateway_url
    sign_in(page, base, data_account)
    page.goto(base + "/?period=7d")
    settle(page, scheme)

    page.get_by_test_id("site-switcher").click()
    menu = page.get_by_test_id("site-menu")
    expect(menu).to_be_visible()
    expect(menu.get_by_role("menuitemradio", name="Axe Tester, No domain yet")).to_have_attribute(
        "aria-checked", "true"
    )
    page.wait_for_timeout(300)  # the menu's transition ends
    found = {"site menu": violations(page, LABEL_IN_NAME)}
    page.keyboard.press("Escape")
    expect(menu).to_be_hidden()

    page.get_by_test_id("color-scheme-toggle").click()
    theme_menu = page.get_by_test_id("theme-menu")
    expect(theme_menu.get_by_role("menuitemradio")).to_have_count(3)
    page.wait_for_timeout(300)
    found["theme menu"] = violations(page, LABEL_IN_NAME)
    page.keyboard.press("Escape")

    failures = {name: v for name, v in found.items() if v}
    assert not failures, (
        f"axe-core found serious or critical violations ({scheme} theme):\n"
        + json.dumps(failures, indent=2)
    )


def test_focus_stays_on_the_row_and_moves_sensibly_when_a_chip_goes(
    system: System, page: Page, data_account: Account
) -> None:
    base = system.gateway_url
    sign_in(page, base, data_account)
    page.goto(base + "/?period=7d")
    expect(page.get_by_test_id("loading")).to_have_count(0, timeout=SETTLED)

    # Activate a row with the keyboard: the filter applies and focus stays on that row.
    table = page.get_by_test_id("pages-table")
    row = table.get_by_role("button", name=re.compile(r"^Filter by Page .*\/docs$"))
    name = row.get_attribute("aria-label") or ""
    docs = name.removeprefix("Filter by Page ")
    row.focus()
    page.keyboard.press("Enter")
    expect(page.get_by_test_id("filter-chips")).to_contain_text(f"Page is {docs}")
    expect(page.get_by_test_id("summary-pageviews").get_by_test_id("value")).to_have_attribute(
        "title", "4", timeout=SETTLED
    )
    expect(table.get_by_role("button", name=name, exact=True)).to_be_focused()

    # A second filter, from another table.
    browsers = page.get_by_test_id("breakdown-browser")
    first = browsers.get_by_role("button").first
    browser_name = first.get_attribute("aria-label") or ""
    chosen = browser_name.removeprefix("Filter by Browser ")
    first.click()
    expect(page.get_by_test_id("filter-chips")).to_contain_text(f"Browser is {chosen}")
    expect(browsers.get_by_role("button", name=browser_name, exact=True)).to_be_focused()

    # Removing the first chip puts focus on the chip that takes its place ...
    page.get_by_role("button", name=f"Remove filter Page is {docs}").click()
    expect(page.get_by_role("button", name=f"Remove filter Browser is {chosen}")).to_be_focused()
    # ... and removing the last one on the page's heading, not on nothing.
    page.keyboard.press("Enter")
    expect(page.get_by_test_id("filter-chips")).to_have_count(0)
    expect(page.get_by_role("heading", name="Dashboard", level=1)).to_be_focused()


def test_the_chart_is_named_and_has_a_table(
    system: System, page: Page, data_account: Account
) -> None:
    base = system.gateway_url
    sign_in(page, base, data_account)
    page.goto(base + "/?period=7d")
    chart = page.get_by_test_id("chart")
    expect(chart.get_by_role("heading", name="Visitors per day", level=2)).to_be_visible()
    plot = chart.get_by_role("img", name=re.compile(r"^Visitors per day, .*: at most \d"))
    expect(plot).to_be_visible(timeout=SETTLED)
    expect(plot).to_have_attribute("aria-label", re.compile(r"this day is not over yet\.$"))
    table = chart.get_by_role("table", name="Visitors per day")
    expect(table.get_by_role("row")).to_have_count(8)  # header + 7 days
    expect(table).to_contain_text("(so far)")
    # No nameless focus stop inside the chart.
    assert chart.locator("svg[tabindex], [role=application]").count() == 0
    # Headings in order: h1, then h2 for every card.
    levels = page.evaluate(
        "() => [...document.querySelectorAll('main h1, main h2, main h3, main h4')]"
        ".map(h => Number(h.tagName[1]))"
    )
    assert levels[0] == 1, levels
    assert all(b - a <= 1 for a, b in itertools.pairwise(levels)), levels
