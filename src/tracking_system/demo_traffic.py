"""The demo's traffic model: weeks of plausible visits with daily and weekly rhythm, sessions of
several pages, referrers, campaigns, agents, countries and custom events. Pure: the same seed
gives the same events and ids (only the times follow `now`); `summarize` counts what the
dashboard should show."""

from __future__ import annotations

import hashlib
import random
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode, urlsplit
from zoneinfo import ZoneInfo

from iptocc import country_code

SITE = "https://demo.example.com"
PAGE_VIEW = "PAGE_VIEW"
DAY_MS = 86_400_000
HOUR_MS = 3_600_000


# Traffic by local hour (0-23): quiet nights, a morning ramp, an afternoon peak, a calm evening.
HOUR_WEIGHTS = (
    0.20, 0.12, 0.08, 0.06, 0.06, 0.10, 0.25, 0.50, 0.80, 1.00, 1.10, 1.15,
    1.10, 1.15, 1.20, 1.15, 1.05, 0.95, 0.85, 0.80, 0.75, 0.65, 0.45, 0.30,
)  # fmt: skip
WEEKEND_FACTOR = 0.55
GROWTH = 0.25  # the site grows: the last day gets this much more traffic than the first

# (label, user agent, weight). Labels say what the server's parser should see.
USER_AGENTS: tuple[tuple[str, str, float], ...] = (
    ("Chrome/Windows",
     "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
     "Chrome/124.0.0.0 Safari/537.36", 28),
    ("Edge/Windows",
     "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
     "Chrome/124.0.0.0 Safari/537.36 Edg/124.0.2478.80", 8),
    ("Firefox/Windows",
     "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:125.0) Gecko/20100101 Firefox/125.0", 3),
    ("Safari/macOS",
     "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) "
     "Version/17.4.1 Safari/605.1.15", 14),
    ("Chrome/macOS",
     "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) "
     "Chrome/124.0.0.0 Safari/537.36", 8),
    ("Safari/iPhone",
     "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4_1 like Mac OS X) AppleWebKit/605.1.15 "
     "(KHTML, like Gecko) Version/17.4.1 Mobile/15E148 Safari/604.1", 18),
    ("Safari/iPad",
     "Mozilla/5.0 (iPad; CPU OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
     "Version/17.4 Mobile/15E148 Safari/604.1", 2),
    ("Chrome/Android phone",
     "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
     "Chrome/124.0.6367.82 Mobile Safari/537.36", 12),
    ("Chrome/Android tablet",
     "Mozilla/5.0 (Linux; Android 13; SM-X710) AppleWebKit/537.36 (KHTML, like Gecko) "
     "Chrome/124.0.6367.82 Safari/537.36", 3),
    ("Firefox/Linux",
     "Mozilla/5.0 (X11; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0", 4),
)  # fmt: skip
# (user agent, address): the crawlers' own published ranges.
BOT_AGENTS = (
    ("Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)", "66.249.66.1"),
    ("Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)", "157.55.39.1"),
)
BOT_SHARE = 0.02  # of visitors: crawlers, which the server stores but leaves out of the stats

# Well-known public addresses per country (DNS resolvers, big sites, ISP ranges), with weights.
# The server maps addresses to countries offline with `iptocc`; COUNTRY_IPS keeps only the
# addresses that it maps to the intended country, so a change in its data cannot mislabel one.
CANDIDATE_IPS: dict[str, tuple[tuple[str, ...], float]] = {
    "US": (("8.8.8.8", "9.9.9.9", "17.253.144.10", "151.101.1.69", "104.16.0.1"), 34),
    "IN": (("49.36.0.1", "117.192.0.1", "59.144.0.1"), 11),
    "GB": (("81.2.69.142", "212.58.244.22"), 10),
    "DE": (("85.214.132.117", "193.99.144.80", "88.198.0.1"), 10),
    "BR": (("200.147.67.142", "177.71.0.1", "189.0.0.1"), 7),
    "JP": (("133.242.0.1", "202.12.27.33", "126.0.0.1"), 6),
    "FR": (("80.67.169.12", "90.0.0.1", "80.12.0.1"), 6),
    "AU": (("1.1.1.1", "203.2.218.214"), 5),
    "CA": (("24.48.0.1", "206.167.0.1"), 4),
    "NG": (("41.58.0.1", "102.89.0.1", "105.112.0.1"), 4),
    "NL": (("145.97.0.1",), 3),
}


def _verified_ips() -> dict[str, tuple[tuple[str, ...], float]]:
    table = {}
    for country, (ips, weight) in CANDIDATE_IPS.items():
        kept = tuple(ip for ip in ips if country_code(ip) == country)
        if kept:
            table[country] = (kept, weight)
    return table


COUNTRY_IPS = _verified_ips()

# Where sessions come from: (name, weight, referrer, utm or None, landing pages).
SOURCES: tuple[tuple[str, float, str | None, dict[str, str] | None, tuple[str, ...]], ...] = (
    ("direct", 28, None, None, ("/", "/", "/pricing", "/login", "/docs")),
    ("google", 27, "https://www.google.com/", None,
     ("/", "/features", "/blog/privacy-first-analytics", "/docs/getting-started", "/pricing",
      "/products/starter-kit")),
    ("google-ads", 6, "https://www.google.com/",
     {"utm_source": "google", "utm_medium": "cpc", "utm_campaign": "brand_search"},
     ("/pricing", "/")),
    ("hacker-news", 8, "https://news.ycombinator.com/item?id=40123456", None,
     ("/blog/redis-streams", "/")),
    ("twitter", 9, "https://t.co/x7Yq2LmN3p",
     {"utm_source": "twitter", "utm_medium": "social", "utm_campaign": "spring_launch"},
     ("/blog/launch-week", "/")),
    ("x", 3, "https://x.com/", None, ("/", "/blog/launch-week")),
    ("reddit", 7, "https://www.reddit.com/r/selfhosted/comments/1c2d3e4/", None,
     ("/blog/privacy-first-analytics", "/")),
    ("newsletter", 7, None,
     {"utm_source": "newsletter", "utm_medium": "email", "utm_campaign": "weekly_digest"},
     ("/blog/launch-week", "/products/pro-license")),
)  # fmt: skip

# Where a visitor goes next from each page, with weights.
NEXT_PAGES: dict[str, tuple[tuple[str, float], ...]] = {
    "/": (("/pricing", 4), ("/features", 4), ("/products/starter-kit", 2), ("/blog", 2),
          ("/signup", 2), ("/about", 1), ("/docs", 1)),
    "/pricing": (("/signup", 5), ("/features", 2), ("/products/pro-license", 2), ("/", 1),
                 ("/contact", 1)),
    "/features": (("/features/analytics", 3), ("/features/integrations", 2), ("/pricing", 3),
                  ("/signup", 1)),
    "/features/analytics": (("/pricing", 3), ("/features/integrations", 1), ("/signup", 2)),
    "/features/integrations": (("/pricing", 2), ("/docs", 2), ("/signup", 1)),
    "/blog": (("/blog/launch-week", 2), ("/blog/privacy-first-analytics", 2),
              ("/blog/redis-streams", 2), ("/", 1)),
    "/blog/launch-week": (("/pricing", 2), ("/blog", 2), ("/products/pro-license", 1),
                          ("/", 1)),
    "/blog/privacy-first-analytics": (("/features", 2), ("/blog", 2), ("/pricing", 1)),
    "/blog/redis-streams": (("/docs", 2), ("/blog", 1), ("/", 2), ("/docs/api", 1)),
    "/docs": (("/docs/getting-started", 4), ("/docs/api", 2), ("/pricing", 1)),
    "/docs/getting-started": (("/docs/api", 2), ("/signup", 2), ("/pricing", 1)),
    "/docs/api": (("/docs/getting-started", 1), ("/signup", 1), ("/pricing", 1)),
    "/products/starter-kit": (("/cart", 4), ("/products/pro-license", 2),
                              ("/products/team-pack", 1), ("/pricing", 1)),
    "/products/pro-license": (("/cart", 4), ("/products/team-pack", 1), ("/pricing", 1)),
    "/products/team-pack": (("/cart", 4), ("/products/pro-license", 1), ("/contact", 1)),
    "/cart": (("/checkout", 5), ("/products/starter-kit", 1), ("/", 1)),
    "/checkout": (("/", 2), ("/docs/getting-started", 2), ("/cart", 1)),
    "/signup": (("/docs/getting-started", 3), ("/pricing", 1), ("/", 1)),
    "/login": (("/docs", 2), ("/", 1), ("/pricing", 1)),
    "/about": (("/contact", 2), ("/pricing", 2), ("/", 1)),
    "/contact": (("/", 2), ("/pricing", 1)),
}  # fmt: skip

PRODUCTS = {
    "/products/starter-kit": ("starter-kit", 19),
    "/products/pro-license": ("pro-license", 49),
    "/products/team-pack": ("team-pack", 149),
}
PLANS = (("free", 0), ("pro", 49), ("team", 149))
SESSION_LENGTH_WEIGHTS = (34, 20, 15, 11, 8, 6, 4, 2)  # 1..8 events
SESSIONS_PER_VISITOR_WEIGHTS = (62, 22, 10, 6)  # 1..4 sessions
ANONYMOUS_SHARE = 0.3  # visitors without a userId (each session then counts as its own visitor)


@dataclass(frozen=True)
class DemoEvent:
    """One event as sent in a batch, with what the browser would have sent around it."""

    event: dict[str, Any]
    user_agent: str
    ip: str
    country: str
    bot: bool = False

    @property
    def visitor(self) -> str:
        """The visitor as the server counts it: userId, or temp:<sessionId> when anonymous."""
        user_id = self.event.get("userId")
        return str(user_id) if user_id else f"temp:{self.event['sessionId']}"


def _digest(*parts: object) -> str:
    return hashlib.blake2b(":".join(map(str, parts)).encode(), digest_size=10).hexdigest()


def _now_ms(now: datetime | None) -> int:
    moment = now if now is not None else datetime.now(UTC)
    if moment.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    return int(moment.timestamp() * 1000)


def _hour_slots(start_ms: int, end_ms: int, zone: ZoneInfo) -> tuple[list[int], list[float]]:
    """Hour-long slots covering [start, end) and their cumulative traffic weights."""
    starts: list[int] = []
    cumulative: list[float] = []
    total = 0.0
    slot = start_ms - start_ms % HOUR_MS
    span = max(1, end_ms - start_ms)
    while slot < end_ms:
        lo, hi = max(slot, start_ms), min(slot + HOUR_MS, end_ms)
        local = datetime.fromtimestamp((lo + hi) / 2000, zone)
        weight = HOUR_WEIGHTS[local.hour] * (WEEKEND_FACTOR if local.weekday() >= 5 else 1.0)
        weight *= 1 + GROWTH * (lo - start_ms) / span
        total += weight * (hi - lo) / HOUR_MS
        starts.append(slot)
        cumulative.append(total)
        slot += HOUR_MS
    return starts, cumulative


def _page_url(path: str, utm: dict[str, str] | None = None) -> str:
    return f"{SITE}{path}" + (f"?{urlencode(utm)}" if utm else "")


def _choose(rng: random.Random, options: Sequence[tuple[str, float]]) -> str:
    return rng.choices([o for o, _ in options], weights=[w for _, w in options])[0]


def _custom_event(rng: random.Random, path: str, done: set[str]) -> tuple[str, dict[str, Any]]:
    """The custom event a visitor may fire on this page ("" when none)."""
    if path in PRODUCTS and "add_to_cart" not in done and rng.random() < 0.45:
        product, value = PRODUCTS[path]
        return "add_to_cart", {"product": product, "value": value, "currency": "USD"}
    if path == "/checkout" and "purchase" not in done and rng.random() < 0.6:
        plan, value = rng.choices(PLANS[1:], weights=(4, 1))[0]
        return "purchase", {"plan": plan, "value": value, "currency": "USD"}
    if path == "/signup" and "signup" not in done and rng.random() < 0.5:
        plan, _ = rng.choices(PLANS, weights=(6, 3, 1))[0]
        return "signup", {"plan": plan}
    if path.startswith("/docs") and "copy_snippet" not in done and rng.random() < 0.15:
        return "copy_snippet", {"language": rng.choice(("html", "react", "python"))}
    return "", {}


def _human_session(
    rng: random.Random,
) -> tuple[str | None, dict[str, str] | None, list[tuple[str, str, dict[str, Any] | None]]]:
    """(referrer, utm, steps) of one session; steps are (eventName, path, context), landing
    page first."""
    _, _, referrer, utm, landings = rng.choices(SOURCES, weights=[s[1] for s in SOURCES])[0]
    length = rng.choices(range(1, 9), weights=SESSION_LENGTH_WEIGHTS)[0]
    path = rng.choice(landings)
    steps: list[tuple[str, str, dict[str, Any] | None]] = [(PAGE_VIEW, path, None)]
    fired: set[str] = set()
    while len(steps) < length:
        name, context = _custom_event(rng, path, fired)
        if name:
            fired.add(name)
            steps.append((name, path, context))
            continue
        path = _choose(rng, NEXT_PAGES[path])
        steps.append((PAGE_VIEW, path, None))
    return referrer, utm, steps


def _weighted_ua(rng: random.Random) -> str:
    return rng.choices([u for _, u, _ in USER_AGENTS], weights=[w for *_, w in USER_AGENTS])[0]


def _weighted_country(rng: random.Random) -> tuple[str, str]:
    countries = list(COUNTRY_IPS)
    country = rng.choices(countries, weights=[COUNTRY_IPS[c][1] for c in countries])[0]
    return country, rng.choice(COUNTRY_IPS[country][0])


def _place_session(
    rng: random.Random, steps: int, slots: tuple[list[int], list[float]], window: tuple[int, int]
) -> list[int]:
    """Event times of one session: a start drawn from the traffic curve, gaps of 30 s - 5 min,
    shifted back when the session would otherwise end after `now`."""
    starts, cumulative = slots
    start_ms, end_ms = window
    slot = rng.choices(starts, cum_weights=cumulative)[0]
    lo, hi = max(slot, start_ms), min(slot + HOUR_MS, end_ms)
    times = [lo + int(rng.random() * (hi - lo))]
    for _ in range(steps - 1):
        times.append(times[-1] + rng.randint(30_000, 300_000))
    overshoot = times[-1] - end_ms
    if overshoot > 0:
        times = [t - overshoot for t in times]
    return times


def generate(
    *,
    seed: int = 1,
    days: int = 28,
    visitors: int = 3000,
    now: datetime | None = None,
    tz: str = "UTC",
) -> list[DemoEvent]:
    """Events of `visitors` people (plus a few crawlers) over the `days` days ending at `now`.

    Ids (eventId, sessionId, userId) depend only on the seed and the visitor's number, so a
    re-run sends the same ids and the server's dedup by eventId stores nothing twice."""
    if days < 1:
        raise ValueError("days must be at least 1")
    if visitors < 0:
        raise ValueError("visitors must not be negative")
    zone = ZoneInfo(tz)
    end_ms = _now_ms(now)
    start_ms = end_ms - days * DAY_MS
    window = (start_ms, end_ms)
    slots = _hour_slots(start_ms, end_ms, zone)
    out: list[DemoEvent] = []
    for number in range(visitors):
        rng = random.Random(f"demo:{seed}:visitor:{number}")  # noqa: S311 - not security
        user_agent = _weighted_ua(rng)
        country, ip = _weighted_country(rng)
        user_id = None if rng.random() < ANONYMOUS_SHARE else f"u-{_digest(seed, 'u', number)}"
        sessions = rng.choices(range(1, 5), weights=SESSIONS_PER_VISITOR_WEIGHTS)[0]
        for s in range(sessions):
            session_id = f"s-{_digest(seed, 's', number, s)}"
            referrer, utm, steps = _human_session(rng)
            times = _place_session(rng, len(steps), slots, window)
            for i, ((name, path, context), at) in enumerate(zip(steps, times, strict=True)):
                event: dict[str, Any] = {
                    "eventId": f"demo-{_digest(seed, 'e', number, s, i)}",
                    "sessionId": session_id,
                    "eventTime": at,
                    "eventName": name,
                    "page": _page_url(path, utm if i == 0 else None),
                }
                if user_id is not None:
                    event["userId"] = user_id
                if i == 0 and referrer:
                    event["referrer"] = referrer
                if context:
                    event["context"] = context
                out.append(DemoEvent(event=event, user_agent=user_agent, ip=ip, country=country))
    out.extend(_crawlers(seed, visitors, slots, window))
    out.sort(key=lambda e: e.event["eventTime"])
    return out


def _crawlers(
    seed: int, visitors: int, slots: tuple[list[int], list[float]], window: tuple[int, int]
) -> Iterator[DemoEvent]:
    pages = list(NEXT_PAGES)
    for number in range(round(visitors * BOT_SHARE)):
        rng = random.Random(f"demo:{seed}:bot:{number}")  # noqa: S311 - not security
        user_agent, ip = rng.choice(BOT_AGENTS)
        session_id = f"s-{_digest(seed, 'bot', number)}"
        crawled = rng.sample(pages, rng.randint(3, 8))
        times = _place_session(rng, len(crawled), slots, window)
        for i, (path, at) in enumerate(zip(crawled, times, strict=True)):
            event = {
                "eventId": f"demo-{_digest(seed, 'bot', number, i)}",
                "sessionId": session_id,
                "eventTime": at,
                "eventName": PAGE_VIEW,
                "page": _page_url(path),
            }
            yield DemoEvent(event=event, user_agent=user_agent, ip=ip, country="", bot=True)


def local_day(ms: int, tz: str) -> str:
    """The calendar day (YYYY-MM-DD) of an epoch-ms instant in a zone."""
    return datetime.fromtimestamp(ms / 1000, ZoneInfo(tz)).date().isoformat()


def summarize(events: Iterable[DemoEvent], *, tz: str = "UTC", top: int = 10) -> dict[str, Any]:
    """What the dashboard should show for these events (crawlers are left out, as it does)."""
    sent = bots = pageviews = 0
    visitors: set[str] = set()
    sessions: set[str] = set()
    pages: Counter[str] = Counter()
    names: Counter[str] = Counter()
    countries: dict[str, set[str]] = {}
    first = last = None
    for item in events:
        sent += 1
        if item.bot:
            bots += 1
            continue
        event = item.event
        visitors.add(item.visitor)
        sessions.add(event["sessionId"])
        names[event["eventName"]] += 1
        countries.setdefault(item.country, set()).add(item.visitor)
        if event["eventName"] == PAGE_VIEW:
            pageviews += 1
            pages[urlsplit(event["page"]).path or "/"] += 1
        at = event["eventTime"]
        first = at if first is None else min(first, at)
        last = at if last is None else max(last, at)
    return {
        "sent": sent,
        "events": sent - bots,
        "pageviews": pageviews,
        "visitors": len(visitors),
        "sessions": len(sessions),
        "botEvents": bots,
        "eventNames": dict(names.most_common()),
        "countries": {c: len(v) for c, v in sorted(countries.items(), key=lambda kv: -len(kv[1]))},
        "topPages": pages.most_common(top),
        "firstDay": local_day(first, tz) if first is not None else None,
        "lastDay": local_day(last, tz) if last is not None else None,
    }
