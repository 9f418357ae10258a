"""Several sites under one login, in the dashboard: the Sites page adds, edits and deletes them,
the header's switcher moves every page to another site, and `?site=` deep links open one."""

from __future__ import annotations

import re
import uuid
from typing import Any

import httpx
import pytest
import redis
from playwright.sync_api import Locator, Page, expect

from tests.browser.conftest import screenshot
from tests.browser.test_dashboard_pages import SETTLED, UNLABELLED_JS, open_signed_in
from tests.browser.test_dashboard_profile import field
from tests.support.accounts import Account, register
from tests.support.events import make_event, now_ms, send, wait_for_stored
from tests.support.system import System

pytestmark = pytest.mark.browser


def unique_domain(tag: str) -> str:
    """A domain no other site uses (domains are unique across the instance)."""
    return f"{tag}-{uuid.uuid4().hex[:10]}.example.com"


def sites_of(api: httpx.Client, account: Account) -> list[dict[str, Any]]:
    """The account's sites, oldest first, as the API lists them."""
    response = api.get("/api/v1/sites", headers=account.auth())
    assert response.status_code == 200, response.text
    sites: list[dict[str, Any]] = response.json()["data"]
    return sites


def add_site(api: httpx.Client, account: Account, **body: Any) -> dict[str, Any]:
    """Create a site through the API."""
    response = api.post("/api/v1/sites", json=body, headers=account.auth())
    assert response.status_code == 201, response.text
    site: dict[str, Any] = response.json()["data"]
    return site


def send_visits(
    api: httpx.Client, redis_sync: redis.Redis, site: dict[str, Any], visitors: int, views: int
) -> None:
    """`views` page views from `visitors` visitors (one session each), stored before returning."""
    start = now_ms() - 10 * 60_000
    events = [
        make_event(userId=f"v{i % visitors}", sessionId=f"s{i % visitors}",
                   eventTime=start + i * 1000, page=f"https://site.example/{i}")
        for i in range(views)
    ]  # fmt: skip
    assert send(api, site["apiKey"], events).status_code == 202
    assert wait_for_stored(redis_sync, site["id"], views) == views


def switcher(page: Page) -> Locator:
    """The header's site menu button."""
    return page.get_by_role("banner").get_by_role("button", name=re.compile(r"^Switch site"))


def summary_value(page: Page, key: str) -> Locator:
    """The exact number a summary card shows (its title is the raw value)."""
    return page.get_by_test_id(f"summary-{key}").locator("[title]").first


def test_switching_sites_shows_each_sites_own_numbers(
    system: System, page: Page, api: httpx.Client, redis_sync: redis.Redis
) -> None:
    base = system.gateway_url
    account = register(api, name="Two Shops", timezone="UTC")
    open_signed_in(page, base, account, "/sites")
    expect(page).to_have_title("Sites · Tracking System")
    expect(page.get_by_test_id("site-list").get_by_role("row")).to_have_count(2)

    # Add the second site on the Sites page.
    domain = unique_domain("second")
    page.get_by_role("button", name="Add a site").click()
    form = page.get_by_role("form", name="Add a site")
    form.get_by_role("button", name="Add site").click()
    expect(form.get_by_text("Name must be 1 to 256 characters")).to_be_visible()
    field(form, "Name").fill("Second shop")
    field(form, "Domain").fill(f"https://www.{domain}/")
    form.get_by_role("button", name="Add site").click()
    expect(page.get_by_test_id("sites-notice")).to_contain_text("Site “Second shop” added")
    first, second = sites_of(api, account)
    assert first["name"] == "Two Shops"
    assert (second["name"], second["domain"]) == ("Second shop", domain)
    assert second["apiKey"] != first["apiKey"]
    expect(page).to_have_url(re.compile(rf"/sites\?site={second['id']}$"))
    expect(page.get_by_test_id("site-list").get_by_role("row")).to_have_count(3)
    expect(switcher(page)).to_contain_text(domain)
    screenshot(page, "sites")

    # 3 visitors and 4 page views on the first site; 2 visitors and 7 page views on the second.
    send_visits(api, redis_sync, first, visitors=3, views=4)
    send_visits(api, redis_sync, second, visitors=2, views=7)

    page.goto(base + "/?period=7d")
    expect(switcher(page)).to_have_accessible_name("Switch site, current: Two Shops")
    expect(summary_value(page, "pageviews")).to_have_attribute("title", "4", timeout=SETTLED)
    expect(summary_value(page, "visitors")).to_have_attribute("title", "3")

    switcher(page).click()
    menu = page.get_by_role("menu")
    expect(menu.get_by_role("menuitemradio")).to_have_count(2)
    expect(
        menu.get_by_role("menuitemradio", name="Two Shops, No domain yet", exact=True)
    ).to_have_attribute("aria-checked", "true")
    menu.get_by_role("menuitemradio", name=f"Second shop, {domain}").click()
    expect(page).to_have_url(re.compile(rf"/\?period=7d&site={second['id']}$"))
    expect(switcher(page)).to_have_accessible_name(f"Switch site, current: Second shop, {domain}")
    expect(summary_value(page, "pageviews")).to_have_attribute("title", "7", timeout=SETTLED)
    expect(summary_value(page, "visitors")).to_have_attribute("title", "2")
    expect(page.get_by_test_id("range-label")).to_contain_text("Last 7 days")
    expect(page.get_by_test_id("loading")).to_have_count(0, timeout=SETTLED)
    screenshot(page, "dashboard-second-site")

    # Navigation keeps the site: the Events page lists the second site's events only.
    page.get_by_role("navigation", name="Main navigation").get_by_role(
        "link", name="Events"
    ).click()
    expect(page).to_have_url(re.compile(rf"/events\?site={second['id']}$"))
    rows = page.get_by_test_id("events-explorer-table").get_by_role("row")
    expect(rows).to_have_count(8)  # header + 7 page views

    # And back to the first site with the keyboard alone.
    switcher(page).focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("menu")).to_be_visible()
    # As the menu button pattern has it, the menu opens with its first item focused.
    first_item = page.get_by_role("menuitemradio", name="Two Shops, No domain yet", exact=True)
    expect(first_item).to_be_focused()
    page.keyboard.press("ArrowDown")
    expect(page.get_by_role("menuitemradio", name=re.compile(r"^Second shop, "))).to_be_focused()
    page.keyboard.press("ArrowUp")
    expect(first_item).to_be_focused()
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(rf"/events\?site={first['id']}$"))
    expect(rows).to_have_count(5)  # header + 4 page views


def test_rename_and_domain_show_in_the_switcher(
    system: System, page: Page, api: httpx.Client
) -> None:
    base = system.gateway_url
    account = register(api, name="Renamer")
    blog = add_site(api, account, name="Blog")
    taken = unique_domain("taken")
    add_site(api, account, name="Taken", domain=taken)
    open_signed_in(page, base, account, f"/sites?site={blog['id']}")
    form = page.get_by_role("form", name="Site settings")
    expect(field(form, "Name")).to_have_value("Blog")
    expect(switcher(page)).to_have_accessible_name("Switch site, current: Blog")

    # Errors from the API appear on their fields: not a domain (400), another site's (409).
    field(form, "Domain").fill("localhost")
    form.get_by_role("button", name="Save site").click()
    expect(form.get_by_text("Not a domain name (like example.com): localhost")).to_be_visible()
    expect(field(form, "Domain")).to_have_attribute("aria-invalid", "true")
    field(form, "Domain").fill(taken)
    form.get_by_role("button", name="Save site").click()
    expect(form.get_by_text("Another site already uses this domain")).to_be_visible()

    domain = unique_domain("blog")
    field(form, "Name").fill("Blog ✓ EU")
    field(form, "Domain").fill(domain.upper())
    form.get_by_role("button", name="Save site").click()
    expect(page.get_by_test_id("site-saved")).to_be_visible()
    expect(field(form, "Domain")).to_have_value(domain)  # as the API normalised it
    expect(switcher(page)).to_have_accessible_name(f"Switch site, current: Blog ✓ EU, {domain}")
    expect(switcher(page)).to_contain_text("Blog ✓ EU")
    expect(switcher(page)).to_contain_text(domain)
    switcher(page).click()
    expect(page.get_by_role("menuitemradio", name=f"Blog ✓ EU, {domain}")).to_be_visible()
    page.keyboard.press("Escape")
    row = page.get_by_test_id(f"site-row-{blog['id']}")
    expect(row).to_contain_text("Blog ✓ EU")
    expect(row).to_contain_text(domain)
    saved = api.get(f"/api/v1/sites/{blog['id']}", headers=account.auth()).json()["data"]
    assert (saved["name"], saved["domain"]) == ("Blog ✓ EU", domain)

    # It stays after a reload, and clearing the domain clears it.
    page.reload()
    form = page.get_by_role("form", name="Site settings")
    expect(field(form, "Name")).to_have_value("Blog ✓ EU")
    field(form, "Domain").fill("")
    form.get_by_role("button", name="Save site").click()
    expect(switcher(page)).to_have_accessible_name("Switch site, current: Blog ✓ EU")
    cleared = api.get(f"/api/v1/sites/{blog['id']}", headers=account.auth()).json()["data"]
    assert cleared["domain"] is None


def test_delete_a_site_after_typing_its_name(system: System, page: Page, api: httpx.Client) -> None:
    base = system.gateway_url
    account = register(api, name="Keeper")
    old = add_site(api, account, name="Old site")
    assert send(api, old["apiKey"], [make_event()]).status_code == 202
    open_signed_in(page, base, account, f"/sites?site={old['id']}&period=7d")
    settings = page.get_by_test_id("site-settings")
    expect(settings.get_by_role("heading", name="Old site")).to_be_visible()

    settings.get_by_role("button", name="Delete site").click()
    dialog = page.get_by_role("dialog")
    confirm = dialog.get_by_role("button", name="Delete permanently")
    expect(confirm).to_be_disabled()
    typed = dialog.get_by_label("Type “Old site” to confirm")
    typed.fill("Old sit")
    expect(confirm).to_be_disabled()
    typed.fill("Old site")
    expect(confirm).to_be_enabled()
    confirm.click()
    expect(dialog).to_be_hidden()
    expect(page.get_by_test_id("sites-notice")).to_contain_text("Site “Old site” deleted")
    expect(page.get_by_test_id("site-list").get_by_role("row")).to_have_count(2)
    first = sites_of(api, account)
    assert [s["name"] for s in first] == ["Keeper"]
    # The first site becomes the current one; the range stays in the URL.
    expect(page).to_have_url(re.compile(rf"/sites\?site={first[0]['id']}&period=7d$"))
    expect(switcher(page)).to_have_accessible_name("Switch site, current: Keeper")
    assert send(api, old["apiKey"], [make_event()]).status_code == 401
    assert api.get(f"/api/v1/sites/{old['id']}", headers=account.auth()).status_code == 404

    # The last site cannot go: the dialog says why.
    settings.get_by_role("button", name="Delete site").click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_label("Type “Keeper” to confirm").fill("Keeper")
    dialog.get_by_role("button", name="Delete permanently").click()
    expect(dialog.get_by_test_id("delete-site-error")).to_contain_text(
        "An account keeps at least one site"
    )
    dialog.get_by_role("button", name="Cancel").click()
    assert len(sites_of(api, account)) == 1


def test_deep_link_opens_that_site(
    system: System, page: Page, api: httpx.Client, redis_sync: redis.Redis
) -> None:
    base = system.gateway_url
    account = register(api, name="Deep Linker", timezone="UTC")
    other = register(api, name="Someone Else")
    first = sites_of(api, account)[0]
    second = add_site(api, account, name="Linked", timezone="Asia/Kolkata")
    send_visits(api, redis_sync, second, visitors=2, views=5)

    open_signed_in(page, base, account, f"/?site={second['id']}&period=7d")
    expect(switcher(page)).to_have_accessible_name("Switch site, current: Linked")
    expect(page.get_by_test_id("range-label")).to_contain_text("Asia/Kolkata")
    expect(summary_value(page, "pageviews")).to_have_attribute("title", "5", timeout=SETTLED)
    nav = page.get_by_role("navigation", name="Main navigation")
    expect(nav.get_by_role("link", name="Setup")).to_have_attribute(
        "href", f"/setup?site={second['id']}"
    )
    nav.get_by_role("link", name="Setup").click()
    expect(page.get_by_test_id("script-tag")).to_contain_text(f'data-api-key="{second["apiKey"]}"')
    expect(page.get_by_test_id("first-event")).to_have_attribute(
        "data-state", "received", timeout=SETTLED
    )

    # Another account's site, or an unknown id, falls back to the first site.
    other_site = sites_of(api, other)[0]
    for wrong in (other_site["id"], "no-such-site"):
        page.goto(f"{base}/?period=7d&site={wrong}")
        expect(page).to_have_url(re.compile(rf"/\?period=7d&site={first['id']}$"))
        expect(switcher(page)).to_have_accessible_name("Switch site, current: Deep Linker")
        # That site has no event yet: it waits for its first one.
        expect(page.get_by_test_id("first-run")).to_be_visible(timeout=SETTLED)


def test_sites_page_and_switcher_are_accessible_and_fit_a_phone(
    system: System, page: Page, api: httpx.Client
) -> None:
    base = system.gateway_url
    account = register(api, name="A rather long account name for a phone")
    add_site(api, account, name="Another site with a long name", domain=unique_domain("phone"))
    open_signed_in(page, base, account, "/sites")
    expect(page.get_by_role("heading", level=1, name="Sites")).to_be_visible()
    expect(page.get_by_test_id("site-list")).to_be_visible()
    assert page.evaluate(UNLABELLED_JS) == []
    page.get_by_role("button", name="Add a site").click()
    expect(page.get_by_role("form", name="Add a site")).to_be_visible()
    assert page.evaluate(UNLABELLED_JS) == []
    page.keyboard.press("Escape")

    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(base + "/")
    expect(page.get_by_test_id("loading")).to_have_count(0, timeout=SETTLED)
    expect(switcher(page)).to_be_in_viewport()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    switcher(page).click()
    item = page.get_by_role("menuitemradio", name=re.compile(r"^Another site"))
    expect(item).to_be_in_viewport()
    assert page.evaluate(UNLABELLED_JS) == []
    screenshot(page, "site-switcher-mobile")
    item.click()
    expect(page).to_have_url(re.compile(r"/\?site="))
    page.get_by_role("button", name="Toggle navigation").click()
    nav = page.get_by_role("navigation", name="Main navigation")
    nav.get_by_role("link", name="Sites").click()
    expect(
        page.get_by_role("heading", level=2, name="Another site with a long name")
    ).to_be_visible()
    assert page.evaluate(UNLABELLED_JS) == []
