"""The browser SDK (/sdk.js from the real gateway) on test sites served from a second origin.

Each test loads pages of tests/browser/sites in a real headless Chromium, with a fresh account's
API key, and asserts the exact events the real worker stored for that account.
"""

from __future__ import annotations

import re
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis
from playwright.sync_api import Browser, BrowserContext, ConsoleMessage, Page, Request, expect

from tests.support.accounts import Account, register
from tests.support.events import CHROME, context_of, stored_count, stored_events, wait_for_stored
from tests.support.system import System

pytestmark = pytest.mark.browser

SITES = Path(__file__).parent / "sites"
EVENTS_PATH = "/api/v1/events"
# The SDK sends a batch at most every second once the first one has gone: anything more than
# expected would arrive within this quiet period.
QUIET_S = 1.5


@dataclass
class Site:
    """The test site's origin; its HTML pages embed the current gateway URL and API key."""

    base_url: str
    gateway_url: str
    api_key: str = ""

    def url(self, path: str) -> str:
        """Absolute URL of a page of the site."""
        return f"{self.base_url}/{path.lstrip('/')}"

    def render(self, name: str) -> bytes:
        """A page of tests/browser/sites with its placeholders filled in."""
        text = (SITES / name).read_text(encoding="utf-8")
        text = text.replace("{{GATEWAY}}", self.gateway_url).replace("{{API_KEY}}", self.api_key)
        return text.encode()


def _handler(site: Site) -> type[SimpleHTTPRequestHandler]:
    class Handler(SimpleHTTPRequestHandler):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, directory=str(SITES), **kwargs)

        def do_GET(self) -> None:
            path = self.path.split("?", 1)[0]
            # Deep links of the single-page app get its shell, as a real SPA host would.
            name = "spa.html" if path.startswith("/spa/") else path.lstrip("/") or "index.html"
            if name.endswith(".html") and (SITES / name).is_file():
                body = site.render(name)
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
                return
            super().do_GET()

        def end_headers(self) -> None:  # every response: a reload always fetches afresh
            self.send_header("Cache-Control", "no-store")
            super().end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler


@pytest.fixture(scope="module")
def site_server(system: System) -> Iterator[Site]:
    """tests/browser/sites on its own origin (a free port), for the whole module."""
    site = Site(base_url="", gateway_url=system.gateway_url)
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(site))
    site.base_url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield site
    server.shutdown()
    server.server_close()


@pytest.fixture
def account(api: httpx.Client) -> Account:
    """A fresh account: its events are this test's only."""
    return register(api)


@pytest.fixture
def site(site_server: Site, account: Account) -> Site:
    """The test site, sending to this test's account."""
    site_server.api_key = account.user["apiKey"]
    return site_server


@pytest.fixture
def context(browser: Browser) -> Iterator[BrowserContext]:
    """A fresh profile (empty localStorage) with a desktop Chrome user agent (not a bot)."""
    ctx = browser.new_context(user_agent=CHROME, viewport={"width": 1280, "height": 800})
    yield ctx
    ctx.close()


@pytest.fixture
def tab(context: BrowserContext) -> Page:
    """A page of that profile."""
    return context.new_page()


def settled(redis_client: redis.Redis, account: Account, expected: int) -> list[dict[str, str]]:
    """The account's stored events, oldest first, once `expected` arrived and all went quiet."""
    account_id = account.user["id"]
    wait_for_stored(redis_client, account_id, expected, within=20)
    time.sleep(QUIET_S)
    events = stored_events(redis_client, account_id)
    return sorted(events, key=lambda e: int(e["eventTime"]))


def names(events: list[dict[str, str]]) -> list[str]:
    """Event names in order."""
    return [e["eventName"] for e in events]


def event_requests(tab: Page) -> list[Request]:
    """Records every request the page makes to the ingestion endpoint."""
    sent: list[Request] = []
    tab.on("request", lambda r: sent.append(r) if EVENTS_PATH in r.url else None)
    return sent


def test_page_views_and_custom_events_arrive_exactly(
    system: System, site: Site, account: Account, tab: Page, redis_sync: redis.Redis
) -> None:
    tab.goto(site.url("index.html"))
    tab.click("#to-about")
    expect(tab).to_have_url(site.url("about.html"))
    tab.wait_for_load_state("domcontentloaded")  # the deferred SDK and button scripts have run
    tab.click("#signup")

    events = settled(redis_sync, account, 3)
    assert names(events) == ["PAGE_VIEW", "PAGE_VIEW", "signup"], events
    home, about, signup = events
    assert [home["path"], about["path"]] == ["/index.html", "/about.html"]
    assert about["page"] == signup["page"] == site.url("about.html")
    assert about["referrer"] == site.url("index.html")
    assert context_of(signup)["plan"] == "pro"
    assert {e["userId"] for e in events} == {home["userId"]}
    assert home["userId"].startswith("temp:")
    assert {e["sessionId"] for e in events} == {home["sessionId"]}
    assert len({e["eventId"] for e in events}) == 3
    assert {e["bot"] for e in events} == {"0"}


def test_spa_navigation_counts_each_real_navigation_once(
    system: System, site: Site, account: Account, tab: Page, redis_sync: redis.Redis
) -> None:
    def step(button: str | None, url_path: str) -> None:
        if button:
            tab.click(f"#{button}")
        expect(tab.locator("#route")).to_have_text(url_path)
        expect(tab).to_have_url(site.url(url_path))

    tab.goto(site.url("spa.html"))
    step(None, "/spa.html")  # +1 (load)
    step("push-a", "/spa/a")  # +1
    step("replace-a-query", "/spa/a?tab=2")  # +0: same path
    step("push-b", "/spa/b")  # +1
    step("back", "/spa/a?tab=2")  # +1
    step("forward", "/spa/b")  # +1
    tab.go_back()
    step(None, "/spa/a?tab=2")  # +1
    tab.go_forward()
    step(None, "/spa/b")  # +1
    step("router-push-c", "/spa/c")  # +1, not 2: pushState and its synthetic popstate

    events = settled(redis_sync, account, 8)
    assert set(names(events)) == {"PAGE_VIEW"}
    paths = [e["path"] for e in events]
    assert Counter(paths) == {"/spa.html": 1, "/spa/a": 3, "/spa/b": 3, "/spa/c": 1}, paths
    assert len(events) == 8
    pages = sorted(e["page"] for e in events if e["path"] == "/spa/a")
    assert pages == [site.url("/spa/a")] + [site.url("/spa/a?tab=2")] * 2


def test_events_sent_just_before_navigating_away_arrive(
    system: System, site: Site, account: Account, tab: Page, redis_sync: redis.Redis
) -> None:
    tab.goto(site.url("leave.html"))
    assert wait_for_stored(redis_sync, account.user["id"], 1) == 1  # the page view
    # The click handler tracks and leaves for another origin in the same tick: the event was
    # still waiting for its batch timer, and no later page of this site loads the SDK again.
    tab.click("#leave")
    expect(tab).to_have_url(system.gateway_url + "/health")

    events = settled(redis_sync, account, 2)
    assert names(events) == ["PAGE_VIEW", "checkout"], events
    assert context_of(events[1])["total"] == "42"
    assert events[1]["page"] == site.url("leave.html")


def _track_while_gateway_down(system: System, tab: Page, count: int) -> None:
    """Stops the gateway, tracks `count` events and waits until a delivery attempt failed."""
    failed: list[Request] = []
    tab.on("requestfailed", lambda r: failed.append(r) if EVENTS_PATH in r.url else None)
    system.stop("gateway")
    tab.evaluate(
        "n => { for (let i = 0; i < n; i++) window.__trk.track('offline', { n: i }) }", count
    )
    deadline = time.monotonic() + 10
    while not failed and time.monotonic() < deadline:
        tab.wait_for_timeout(50)
    assert failed, "the SDK never tried to send while the gateway was down"
    queued = tab.evaluate("JSON.parse(localStorage.getItem('trk_queue') || '[]').length")
    assert queued == count


def test_events_queued_while_the_server_is_down_arrive_after_it_returns(
    system: System, site: Site, account: Account, tab: Page, redis_sync: redis.Redis
) -> None:
    tab.goto(site.url("index.html"))
    assert wait_for_stored(redis_sync, account.user["id"], 1) == 1
    try:
        _track_while_gateway_down(system, tab, 3)
        time.sleep(1)
        assert stored_count(redis_sync, account.user["id"]) == 1
    finally:
        system.start("gateway")

    # The page stays open: its retries (exponential backoff, at most 30 s apart) deliver them.
    assert wait_for_stored(redis_sync, account.user["id"], 4, within=60) == 4
    events = settled(redis_sync, account, 4)
    assert names(events) == ["PAGE_VIEW", "offline", "offline", "offline"], events
    assert sorted(context_of(e)["n"] for e in events[1:]) == ["0", "1", "2"]
    assert len({e["eventId"] for e in events}) == 4
    assert tab.evaluate("localStorage.getItem('trk_queue')") == "[]"


def test_events_queued_while_the_server_is_down_are_sent_by_the_next_page_load(
    system: System, site: Site, account: Account, context: BrowserContext, redis_sync: redis.Redis
) -> None:
    first = context.new_page()
    first.goto(site.url("index.html"))
    assert wait_for_stored(redis_sync, account.user["id"], 1) == 1
    try:
        _track_while_gateway_down(system, first, 3)
        first.close()  # its retry timers die with it: only the queue in localStorage is left
    finally:
        system.start("gateway")
    time.sleep(QUIET_S)
    assert stored_count(redis_sync, account.user["id"]) == 1

    second = context.new_page()
    second.goto(site.url("about.html"))
    events = settled(redis_sync, account, 5)
    assert names(events) == ["PAGE_VIEW", "offline", "offline", "offline", "PAGE_VIEW"], events
    assert events[-1]["path"] == "/about.html"
    assert len({e["eventId"] for e in events}) == 5
    assert len({e["userId"] for e in events}) == 1


def test_identify_survives_a_reload(
    system: System, site: Site, account: Account, tab: Page, redis_sync: redis.Redis
) -> None:
    tab.goto(site.url("index.html"))
    assert wait_for_stored(redis_sync, account.user["id"], 1) == 1
    tab.evaluate("() => { __trk.identify('user-42'); __trk.track('before-reload') }")
    assert wait_for_stored(redis_sync, account.user["id"], 2) == 2
    tab.reload()
    assert wait_for_stored(redis_sync, account.user["id"], 3) == 3
    tab.evaluate("() => __trk.track('after-reload')")

    events = settled(redis_sync, account, 4)
    assert names(events) == ["PAGE_VIEW", "before-reload", "PAGE_VIEW", "after-reload"], events
    assert events[0]["userId"].startswith("temp:")
    assert [e["userId"] for e in events[1:]] == ["user-42"] * 3
    assert {e["sessionId"] for e in events} == {events[0]["sessionId"]}


def test_loaded_twice_sends_one_page_view(
    system: System, site: Site, account: Account, tab: Page, redis_sync: redis.Redis
) -> None:
    sdk_loads: list[int] = []
    tab.on("response", lambda r: sdk_loads.append(r.status) if "/sdk.js" in r.url else None)
    tab.goto(site.url("twice.html"))
    tab.click("#signup")

    events = settled(redis_sync, account, 2)
    assert sdk_loads == [200, 200]  # both copies were fetched (and so ran)
    assert Counter(names(events)) == {"PAGE_VIEW": 1, "signup": 1}, events


def test_without_an_api_key_nothing_is_sent_and_one_warning(
    system: System, site: Site, tab: Page
) -> None:
    warnings: list[str] = []
    tab.on("console", lambda m: warnings.append(m.text) if _is_warning(m) else None)
    sent = event_requests(tab)
    with tab.expect_response(lambda r: r.url.endswith("/sdk.js")) as loaded:
        tab.goto(site.url("nokey.html"))
    assert loaded.value.status == 200
    tab.wait_for_timeout(QUIET_S * 1000)
    assert warnings == ["[trk] no data-api-key: off"]
    assert sent == []
    assert tab.evaluate("typeof window.__trk") == "undefined"


def _is_warning(message: ConsoleMessage) -> bool:
    return message.type == "warning" and bool(re.search(r"\btrk\b", message.text))
