"""Sites that already run another tracker switch by pointing it here: Plausible's tracker (npm
package @plausible-analytics/tracker), Umami's (src/tracker/index.js of the umami@2.10.0 tarball)
and Umami's Node client (@umami/node), each unmodified, and the seed's inline snippet; and our SDK
served where those trackers' scripts were (/js/script.js with data-domain, /script.js with
data-website-id).

The trackers come from tests/browser/trackers (`make tracker-deps`: npm ci, npm pack), never from
a copy in this repository, and run in Chromium on a page of another origin, with a normal
desktop agent. Every test asserts the exact events stored for its own site and what the stats
API counts."""

from __future__ import annotations

import subprocess
import tarfile
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
import redis
from playwright.sync_api import Browser, BrowserContext, Page

from tests.support.accounts import Account, register
from tests.support.events import CHROME, context_of, stored_events, wait_for_stored
from tests.support.processes import REPO_ROOT
from tests.support.system import System

pytestmark = pytest.mark.browser

TRACKERS = REPO_ROOT / "tests" / "browser" / "trackers"
PLAUSIBLE_JS = TRACKERS / "node_modules" / "@plausible-analytics" / "tracker" / "plausible.js"
UMAMI_NODE = TRACKERS / "node_modules" / "@umami" / "node" / "dist" / "index.mjs"
UMAMI_TGZ = TRACKERS / ".cache" / "umami-2.10.0.tgz"
UMAMI_TRACKER = "package/src/tracker/index.js"
# Anything sent later than expected would arrive within this.
QUIET_S = 1.5


@pytest.fixture(scope="module")
def trackers() -> Path:
    """The trackers' packages, installed by `make tracker-deps` (run here when missing)."""
    if not (PLAUSIBLE_JS.is_file() and UMAMI_NODE.is_file() and UMAMI_TGZ.is_file()):
        subprocess.run(
            ["make", "--no-print-directory", "tracker-deps"], cwd=REPO_ROOT, check=True, timeout=300
        )
    return TRACKERS


@pytest.fixture
def account(api: httpx.Client) -> Account:
    """A fresh account: its first site's events are this test's only."""
    return register(api)


@pytest.fixture
def context(browser: Browser) -> Iterator[BrowserContext]:
    """A fresh profile with a desktop Chrome agent (the headless one says HeadlessChrome)."""
    ctx = browser.new_context(user_agent=CHROME, viewport={"width": 1280, "height": 800})
    yield ctx
    ctx.close()


@pytest.fixture
def tab(context: BrowserContext) -> Page:
    return context.new_page()


def _set_domain(api: httpx.Client, account: Account, domain: str) -> None:
    response = api.patch(
        f"/api/v1/sites/{account.user['id']}", json={"domain": domain}, headers=account.auth()
    )
    assert response.status_code == 200, response.text


def _stored(redis_sync: redis.Redis, site_id: str, n: int) -> list[dict[str, str]]:
    """Exactly `n` stored events of the site (waiting for them, then for anything extra)."""
    assert wait_for_stored(redis_sync, site_id, n) >= n
    time.sleep(QUIET_S)
    events = stored_events(redis_sync, site_id)
    names = sorted(e["eventName"] for e in events)
    assert len(events) == n, names
    return sorted(events, key=lambda e: (int(e["eventTime"]), e["eventName"]))


def _counted(api: httpx.Client, account: Account) -> dict[str, int]:
    """Events by name as the stats API counts them for the account's first site."""
    response = api.get("/api/v1/stats/events", headers=account.auth())
    assert response.status_code == 200, response.text
    return {row["eventName"]: row["count"] for row in response.json()["data"]}


def _page(folder: Path, name: str, html: str) -> None:
    (folder / name).write_text(f"<!doctype html><html><head><title>{name}</title>{html}")


# --- Plausible ------------------------------------------------------------------------------


def _plausible_page(folder: Path, gateway: str, domain: str) -> None:
    (folder / "plausible.js").symlink_to(PLAUSIBLE_JS)
    # Plausible's tracker sends nothing on 127.0.0.1 or under WebDriver unless told otherwise.
    _page(folder, "p.html", f"""
<script type="module">
import {{ init, track }} from './plausible.js';
init({{ domain: {orjson.dumps(domain).decode()}, endpoint: '{gateway}/api/event',
        captureOnLocalhost: true }});
window.sent = (name, options) =>
  new Promise((done) => track(name, {{ ...options, callback: done }}));
</script></head><body><h1>Plausible</h1></body></html>""")  # fmt: skip


def test_plausibles_tracker_counts_in_the_site_of_its_domain(
    api: httpx.Client,
    account: Account,
    redis_sync: redis.Redis,
    system: System,
    trackers: Path,
    site: tuple[str, Path],
    tab: Page,
) -> None:
    base, folder = site
    domain = f"plausible-{account.user['id'].lower()}.example"
    _set_domain(api, account, domain)
    _plausible_page(folder, system.gateway_url, domain)
    tab.goto(f"{base}/p.html?utm_source=newsletter")
    tab.wait_for_function("typeof window.sent === 'function'")
    result = tab.evaluate("sent('Signup', {props: {plan: 'pro', seats: '3'}})")
    assert result == {"status": 202}
    tab.evaluate("history.pushState({}, '', '/docs/intro')")  # a single-page-app navigation
    tab.evaluate("history.pushState({}, '', '/docs/intro#part')")  # same path: not a page view
    # Hiding the page makes the tracker send its engagement ping: not an event here.
    tab.evaluate("window.dispatchEvent(new Event('blur'))")
    events = _stored(redis_sync, account.user["id"], 3)

    assert [(e["eventName"], e["path"]) for e in events] == [
        ("PAGE_VIEW", "/p.html"), ("Signup", "/p.html"), ("PAGE_VIEW", "/docs/intro"),
    ]  # fmt: skip
    landing, signup, docs = events
    assert landing["utmSource"] == "newsletter"
    assert orjson.loads(signup["_context"]) == {"plan": "pro", "seats": "3"}
    assert len({e["userId"] for e in events}) == len({e["sessionId"] for e in events}) == 1
    assert {e["bot"] for e in events} == {"0"}
    assert docs["browser"] == "Chrome"
    assert _counted(api, account) == {"PAGE_VIEW": 2, "Signup": 1}


def test_plausibles_tracker_for_an_unknown_domain_is_dropped_not_failed(
    api: httpx.Client,
    account: Account,
    redis_sync: redis.Redis,
    system: System,
    trackers: Path,
    site: tuple[str, Path],
    tab: Page,
) -> None:
    base, folder = site
    _plausible_page(folder, system.gateway_url, "nobody-runs-this.example")
    answers: list[int] = []
    tab.on("response", lambda r: answers.append(r.status) if r.url.endswith("/api/event") else None)
    tab.goto(f"{base}/p.html")
    tab.wait_for_function("typeof window.sent === 'function'")
    assert tab.evaluate("sent('Signup')") == {"status": 202}
    tab.wait_for_timeout(500)
    assert len(answers) >= 2
    assert set(answers) == {202}
    assert wait_for_stored(redis_sync, account.user["id"], 1, within=QUIET_S) == 0


# --- Umami ----------------------------------------------------------------------------------


def _umami_script(folder: Path) -> None:
    with tarfile.open(UMAMI_TGZ) as tgz:
        member = tgz.extractfile(UMAMI_TRACKER)
        assert member is not None
        (folder / "umami.js").write_bytes(member.read())


def test_umamis_tracker_counts_in_the_site_of_its_website_id(
    api: httpx.Client,
    account: Account,
    redis_sync: redis.Redis,
    system: System,
    trackers: Path,
    site: tuple[str, Path],
    tab: Page,
) -> None:
    base, folder = site
    _umami_script(folder)
    site_id = account.user["id"]
    _page(folder, "u.html", f"""
<script defer src="umami.js" data-website-id="{site_id}" data-host-url="{system.gateway_url}">
</script></head><body>
<button id="cta" data-umami-event="cta" data-umami-event-place="hero">Go</button>
</body></html>""")  # fmt: skip
    answers: list[tuple[int, Any]] = []
    tab.on(
        "response",
        lambda r: answers.append((r.status, r.json())) if r.url.endswith("/api/send") else None,
    )
    tab.goto(f"{base}/u.html")
    tab.wait_for_function("window.umami && document.readyState === 'complete'")
    tab.wait_for_timeout(300)
    tab.click("#cta")
    tab.evaluate("umami.track('signup', {plan: 'pro'})")
    tab.evaluate("umami.identify('member-9')")
    tab.wait_for_timeout(300)
    tab.evaluate("history.pushState({}, '', '/pricing')")  # sent after 300 ms, with the cache
    events = _stored(redis_sync, site_id, 4)

    by_name = {e["eventName"]: e for e in events if e["eventName"] != "PAGE_VIEW"}
    views = [e for e in events if e["eventName"] == "PAGE_VIEW"]
    assert [v["path"] for v in views] == ["/u.html", "/pricing"]
    assert context_of(by_name["cta"])["place"] == "hero"
    assert context_of(by_name["signup"])["plan"] == "pro"
    # identify is no event; the events after it carry the id it gave.
    assert views[1]["userId"] == "member-9"
    assert views[0]["userId"] == by_name["cta"]["userId"] == by_name["signup"]["userId"]
    assert views[0]["userId"] != "member-9"
    assert len({e["sessionId"] for e in events}) == 1
    assert not views[1].get("referrerDomain")  # the previous page of the same site
    tab.wait_for_timeout(100)  # Playwright delivers the response events while it waits
    assert [status for status, _ in answers] == [200] * 5
    assert all(set(body) == {"cache", "sessionId", "visitId"} for _, body in answers)
    assert _counted(api, account) == {"PAGE_VIEW": 2, "cta": 1, "signup": 1}


def test_umamis_tracker_for_an_unknown_website_is_refused_as_umami_does(
    account: Account,
    redis_sync: redis.Redis,
    system: System,
    trackers: Path,
    site: tuple[str, Path],
    tab: Page,
) -> None:
    base, folder = site
    _umami_script(folder)
    _page(folder, "u.html", f"""
<script defer src="umami.js" data-website-id="01NOSUCHWEBSITE0000000000"
  data-host-url="{system.gateway_url}"></script></head><body></body></html>""")  # fmt: skip
    answers: list[tuple[int, str]] = []
    tab.on(
        "response",
        lambda r: answers.append((r.status, r.text())) if r.url.endswith("/api/send") else None,
    )
    tab.goto(f"{base}/u.html")
    tab.wait_for_function("window.umami && document.readyState === 'complete'")
    tab.wait_for_timeout(500)
    assert answers == [(400, "Website not found.")]
    assert wait_for_stored(redis_sync, account.user["id"], 1, within=QUIET_S) == 0


def test_umamis_node_client(
    api: httpx.Client, account: Account, redis_sync: redis.Redis, system: System, trackers: Path
) -> None:
    site_id = account.user["id"]
    script = f"""
import {{ Umami }} from {orjson.dumps(UMAMI_NODE.as_uri()).decode()};
const umami = new Umami({{ websiteId: {orjson.dumps(site_id).decode()},
                          hostUrl: {orjson.dumps(system.gateway_url).decode()} }});
const out = [];
for (const call of [
  () => umami.track({{ url: '/checkout', hostname: 'shop.example', title: 'Checkout' }}),
  () => umami.track('purchase', {{ amount: 42, currency: 'EUR' }}),
  () => umami.identify({{ plan: 'pro' }}),
  () => new Umami({{ websiteId: 'unknown', hostUrl: {orjson.dumps(system.gateway_url).decode()} }})
          .track('purchase'),
]) {{
  const res = await call();
  out.push([res.status, await res.text()]);
}}
console.log(JSON.stringify(out));
"""  # fmt: skip
    done = subprocess.run(
        ["node", "--input-type=module", "-e", script],
        capture_output=True, text=True, timeout=60, check=True,
    )  # fmt: skip
    answers = orjson.loads(done.stdout)
    assert [status for status, _ in answers] == [200, 200, 200, 400]
    assert set(orjson.loads(answers[0][1])) == {"cache", "sessionId", "visitId"}
    assert answers[3][1] == "Website not found."
    view, purchase = _stored(redis_sync, site_id, 2)
    assert (view["eventName"], view["page"]) == ("PAGE_VIEW", "https://shop.example/checkout")
    assert purchase["eventName"] == "purchase"
    assert orjson.loads(purchase["_context"]) == {"amount": 42, "currency": "EUR"}
    assert view["userId"] == purchase["userId"]
    assert _counted(api, account) == {"PAGE_VIEW": 1, "purchase": 1}


# --- the seed's inline snippet ----------------------------------------------------------------


def test_the_seed_snippet_from_another_origin(
    api: httpx.Client,
    account: Account,
    redis_sync: redis.Redis,
    system: System,
    site: tuple[str, Path],
    tab: Page,
) -> None:
    base, folder = site
    # The seed's request: JSON (so a CORS preflight first), one event per request.
    _page(folder, "s.html", f"""
<script>
window.seedTrack = (eventName, context) => fetch(
  '{system.gateway_url}/api/tracking-service/v1/public/events/', {{
    method: 'POST',
    headers: {{ 'Content-Type': 'application/json' }},
    body: JSON.stringify({{
      apiKey: '{account.user["apiKey"]}', eventName, context, userId: 'u-1',
      sessionId: 's-1', page: location.href, referrer: document.referrer || null,
      eventTime: Date.now(),
    }}),
  }}).then(async (r) => [r.status, await r.json()]);
</script></head><body></body></html>""")  # fmt: skip
    tab.goto(f"{base}/s.html")
    assert tab.evaluate("seedTrack('PAGE_VIEW')") == [201, {"data": {}, "errors": None}]
    assert tab.evaluate("seedTrack('Signup', {plan: 'pro'})") == [201, {"data": {}, "errors": None}]
    view, signup = _stored(redis_sync, account.user["id"], 2)
    assert (view["eventName"], view["path"], view["userId"]) == ("PAGE_VIEW", "/s.html", "u-1")
    assert context_of(signup)["plan"] == "pro"
    assert _counted(api, account) == {"PAGE_VIEW": 1, "Signup": 1}


# --- our SDK where their scripts were ---------------------------------------------------------


@pytest.mark.parametrize(
    ("script", "attribute"),
    [("/js/script.outbound-links.js", "data-domain"), ("/script.js", "data-website-id")],
)
def test_our_sdk_behind_another_trackers_tag(
    api: httpx.Client,
    account: Account,
    redis_sync: redis.Redis,
    system: System,
    site: tuple[str, Path],
    tab: Page,
    script: str,
    attribute: str,
) -> None:
    base, folder = site
    domain = f"sdk-{account.user['id'].lower()}.example"
    _set_domain(api, account, domain)
    value = domain if attribute == "data-domain" else account.user["id"]
    _page(folder, "t.html", f"""
<script defer src="{system.gateway_url}{script}" {attribute}="{value}"></script>
</head><body></body></html>""")  # fmt: skip
    tab.goto(f"{base}/t.html")
    tab.wait_for_function("window.__trk && typeof window.__trk.track === 'function'")
    tab.evaluate("__trk.track('Signup', {plan: 'pro'}); history.pushState({}, '', '/next')")
    events = _stored(redis_sync, account.user["id"], 3)
    assert Counter(e["eventName"] for e in events) == {"PAGE_VIEW": 2, "Signup": 1}
    assert all(e["eventId"] for e in events)  # the SDK's own guarantees: retries stored once
    assert _counted(api, account) == {"PAGE_VIEW": 2, "Signup": 1}
