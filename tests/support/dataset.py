"""A generated data set with known answers: sessions over months, several agents, countries and
referrers, in any zone; and brute-force answers computed in plain Python from the raw events,
following DESIGN.md's metric definitions."""

from __future__ import annotations

import random
import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from tests.support.events import CHROME, GOOGLEBOT, IPHONE

FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0"
AGENTS = {
    CHROME: ("Chrome", "Windows", "desktop"),
    IPHONE: ("Mobile Safari", "iOS", "mobile"),
    FIREFOX: ("Firefox", "Linux", "desktop"),
}
COUNTRIES = {"8.8.8.8": "US", "49.36.0.1": "IN", "81.2.69.142": "GB"}
PAGES = ["/", "/pricing", "/docs", "/blog/launch", "/signup"]
REFERRERS = [
    "",
    "https://www.google.com/search?q=x",
    "https://news.ycombinator.com/item",
    "https://twitter.com/someone",
]
CAMPAIGNS = [None, ("newsletter", "email", "november"), ("ads", "cpc", "black-friday")]
PAGE_VIEW = "PAGE_VIEW"
Filters = list[tuple[str, str]] | tuple[()]


@dataclass
class Sent:
    """One event as sent, with what the server derives from its request."""

    event: dict[str, Any]
    agent: str
    ip: str

    @property
    def time(self) -> int:
        return int(self.event["eventTime"])

    @property
    def path(self) -> str:
        return urlsplit(self.event["page"]).path or "/"


@dataclass
class Dataset:
    events: list[Sent] = field(default_factory=list)
    bots: list[Sent] = field(default_factory=list)

    def batches(self) -> list[tuple[str, str, list[dict[str, Any]]]]:
        """(agent, ip, events) groups in time order, each at most 500 events."""
        groups: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
        for sent in sorted(self.events + self.bots, key=lambda s: s.time):
            groups[(sent.agent, sent.ip)].append(sent.event)
        out = []
        for (agent, ip), events in groups.items():
            out += [(agent, ip, events[i : i + 500]) for i in range(0, len(events), 500)]
        return out


def generate(
    *,
    seed: int,
    start: datetime,
    end: datetime,
    sessions: int,
    extra_times: tuple[datetime, ...] | list[datetime] = (),
) -> Dataset:
    """Sessions of 1-6 events, each starting with a page view, between start and end (UTC);
    in some, the user id changes part-way (a visitor signing in)."""
    rng = random.Random(seed)
    data = Dataset()
    # Nothing in the future: the server would move such events to their receive time.
    not_after = int(datetime.now(UTC).timestamp() * 1000)
    span = (end - start).total_seconds()
    starts = [start + timedelta(seconds=rng.random() * span) for _ in range(sessions)]
    starts += list(extra_times)
    for n, begin in enumerate(starts):
        agent = rng.choice(list(AGENTS))
        ip = rng.choice(list(COUNTRIES))
        user = f"user-{rng.randrange(max(3, sessions // 3))}"
        referrer = rng.choice(REFERRERS)
        campaign = rng.choice(CAMPAIGNS)
        # Some visitors sign in part-way: the session's later events carry another user id.
        signs_in = rng.random() < 0.15
        late_referrer = not referrer and rng.random() < 0.3
        t = int(begin.timestamp() * 1000)
        for j in range(rng.randint(1, 6)):
            if t > not_after:
                break
            page = "https://site.example.com" + rng.choice(PAGES)
            if j == 0 and campaign:
                page += (
                    f"?utm_source={campaign[0]}&utm_medium={campaign[1]}&utm_campaign={campaign[2]}"
                )
            name = PAGE_VIEW if j == 0 or rng.random() < 0.7 else rng.choice(["signup", "Buy Now"])
            event = {
                "sessionId": f"s{seed}-{n}",
                "userId": f"{user}-signed-in" if signs_in and j >= 2 else user,
                "eventTime": t,
                "eventName": name,
                "page": page,
                "eventId": f"e{seed}-{n}-{j}",
                "context": {"plan": rng.choice(["free", "pro"])},
            }
            if j == 0 and referrer:
                event["referrer"] = referrer
            elif j == 2 and late_referrer:  # not the session's: its first event had none
                event["referrer"] = "https://duckduckgo.com/"
            data.events.append(Sent(event, agent, ip))
            t += rng.randint(5, 600) * 1000
    for k in range(5):
        bot = {
            "sessionId": f"bot{seed}-{k}",
            "userId": f"bot-{k}",
            "eventName": PAGE_VIEW,
            "eventTime": int((start + timedelta(days=k)).timestamp() * 1000),
            "page": "https://site.example.com/",
            "eventId": f"bot{seed}-{k}",
        }
        data.bots.append(Sent(bot, GOOGLEBOT, "8.8.8.8"))
    return data


# --- Brute force ------------------------------------------------------------------------------


def local_day(ms: int, tz: str) -> date:
    """The event's calendar day in the zone."""
    return datetime.fromtimestamp(ms / 1000, ZoneInfo(tz)).date()


def day_bounds(first: date, last: date, tz: str) -> tuple[int, int]:
    """Epoch ms of local midnight before `first` and after `last`."""
    zone = ZoneInfo(tz)
    lo = datetime(first.year, first.month, first.day, tzinfo=zone)
    after = last + timedelta(days=1)
    hi = datetime(after.year, after.month, after.day, tzinfo=zone)
    return int(lo.timestamp() * 1000), int(hi.timestamp() * 1000)


def in_range(events: list[Sent], lo: int, hi: int) -> list[Sent]:
    """Events with lo <= time < hi."""
    return [e for e in events if lo <= e.time < hi]


def totals(events: list[Sent]) -> dict[str, int]:
    """events, pageviews, distinct users and sessions."""
    return {
        "events": len(events),
        "pageviews": sum(e.event["eventName"] == PAGE_VIEW for e in events),
        "users": len({e.event["userId"] for e in events}),
        "sessions": len({e.event["sessionId"] for e in events}),
    }


def sessions_of(events: list[Sent]) -> dict[str, list[Sent]]:
    """Events per session, in time order."""
    out: dict[str, list[Sent]] = defaultdict(list)
    for e in sorted(events, key=lambda s: s.time):
        out[e.event["sessionId"]].append(e)
    return out


def started_in(events: list[Sent], lo: int, hi: int) -> dict[str, list[Sent]]:
    """Sessions whose first event is in [lo, hi)."""
    return {sid: evs for sid, evs in sessions_of(events).items() if lo <= evs[0].time < hi}


def summary(events: list[Sent], lo: int, hi: int, filters: Filters = ()) -> dict[str, float]:
    """The summary numbers of API.md for [lo, hi) under the filters."""
    kept, whole = select(events, filters)
    t = totals(in_range(kept, lo, hi))
    started = {sid: evs for sid, evs in whole.items() if lo <= evs[0].time < hi}
    bounces = sum(
        1 for evs in started.values() if len(evs) == 1 and evs[0].event["eventName"] == PAGE_VIEW
    )
    dur = sum(evs[-1].time - evs[0].time for evs in started.values())
    n = len(started)
    return {
        "visitors": t["users"],
        "sessions": t["sessions"],
        "pageviews": t["pageviews"],
        "events": t["events"],
        "bounceRate": round(100 * bounces / n, 2) if n else 0.0,
        "avgSessionDuration": round(dur / n / 1000, 2) if n else 0.0,
        "viewsPerSession": round(t["pageviews"] / t["sessions"], 2) if t["sessions"] else 0.0,
    }


def table(events: list[Sent], key: str, *, page_views_only: bool) -> dict[str, dict[str, int]]:
    """count, users, sessions per event name (or per path)."""
    out: dict[str, dict[str, Any]] = defaultdict(lambda: {"count": 0, "u": set(), "s": set()})
    for e in events:
        if page_views_only and e.event["eventName"] != PAGE_VIEW:
            continue
        value = e.path if key == "page" else e.event["eventName"]
        row = out[value]
        row["count"] += 1
        row["u"].add(e.event["userId"])
        row["s"].add(e.event["sessionId"])
    return {
        v: {"count": r["count"], "users": len(r["u"]), "sessions": len(r["s"])}
        for v, r in out.items()
    }


def _session_value(evs: list[Sent], dimension: str) -> str:
    first = evs[0]
    if dimension in ("entryPage", "exitPage"):
        views = [e for e in evs if e.event["eventName"] == PAGE_VIEW]
        return (views[0] if dimension == "entryPage" else views[-1]).path
    referrer = first.event.get("referrer", "")
    query = dict(p.split("=") for p in urlsplit(first.event["page"]).query.split("&") if "=" in p)
    browser, os_name, device = AGENTS[first.agent]
    host = (urlsplit(referrer).hostname or "").removeprefix("www.") if referrer else ""
    values = {
        "channel": _channel(host, query.get("utm_source", ""), query.get("utm_medium", "")),
        "referrer": referrer,
        "referrerDomain": host,
        "utmSource": query.get("utm_source", ""),
        "utmMedium": query.get("utm_medium", ""),
        "utmCampaign": query.get("utm_campaign", ""),
        "browser": browser,
        "os": os_name,
        "device": device,
        "country": COUNTRIES[first.ip],
    }
    return str(values[dimension])


def _channel(host: str, source: str, medium: str) -> str:
    """README's channel rules, for the data set's referrers and campaigns."""
    if medium in ("cpc", "ppc", "paid") or medium.startswith("paid"):
        return "Paid"
    if "email" in (medium, source) or "newsletter" in (medium, source):
        return "Email"
    if host in ("google.com", "duckduckgo.com"):
        return "Search"
    if host in ("news.ycombinator.com", "twitter.com"):
        return "Social"
    return "Referral" if host or source else "Direct"


def breakdown(
    events: list[Sent], lo: int, hi: int, dimension: str, filters: Filters = ()
) -> dict[str, dict[str, int]]:
    """value -> count, visitors for a breakdown dimension under the filters."""
    kept, whole = select(events, filters)
    out: dict[str, dict[str, Any]] = defaultdict(lambda: {"count": 0, "v": set()})
    if dimension in ("eventName", "page"):
        for value, row in table(
            in_range(kept, lo, hi), dimension, page_views_only=dimension == "page"
        ).items():
            out[value] = {"count": row["count"], "v": set(range(row["users"]))}
    elif dimension.startswith("context."):
        for e in in_range(kept, lo, hi):
            own = event_value(e, dimension)
            if own is not None:  # an event without the key is in no row
                out[own]["count"] += 1
                out[own]["v"].add(e.event["userId"])
    else:
        for evs in whole.values():
            if not lo <= evs[0].time < hi:
                continue
            value = _session_value(evs, dimension)
            if value or dimension in EMPTY_ROW_DIMENSIONS:  # '' is "Direct / None", "Unknown"
                out[value]["count"] += 1
                out[value]["v"].add(evs[0].event["userId"])
    return {v: {"count": r["count"], "visitors": len(r["v"])} for v, r in out.items()}


# --- Filters (README, "Filters") ----------------------------------------------------------------

EMPTY_ROW_DIMENSIONS = frozenset({"referrer", "referrerDomain", "country"})
SESSION_FILTERS = frozenset(
    {"channel", "referrer", "referrerDomain", "utmSource", "utmMedium", "utmCampaign", "browser",
     "os", "device", "country", "entryPage", "exitPage"}
)  # fmt: skip


def event_value(e: Sent, dimension: str) -> str | None:
    """An event's own value of an event-level dimension (None when it has none)."""
    if dimension == "page":
        return e.path
    if dimension.startswith("context."):
        value = e.event.get("context", {}).get(dimension.removeprefix("context."))
        return None if value is None else str(value)
    return str(e.event[dimension])


def select(events: list[Sent], filters: Filters = ()) -> tuple[list[Sent], dict[str, list[Sent]]]:
    """(the events kept, the sessions kept whole): a session-level filter keeps the sessions
    whose value matches; an event-level one keeps the matching events, and the sessions holding
    one; all filters must hold."""
    session_level = [(d, v) for d, v in filters if d in SESSION_FILTERS]
    event_level = [(d, v) for d, v in filters if d not in SESSION_FILTERS]

    def matches(e: Sent) -> bool:
        return all(event_value(e, d) == v for d, v in event_level)

    chosen = {
        sid: evs
        for sid, evs in sessions_of(events).items()
        if all(_session_value(evs, d) == v for d, v in session_level)
    }
    kept = [e for evs in chosen.values() for e in evs if matches(e)]
    whole = {sid: evs for sid, evs in chosen.items() if any(matches(e) for e in evs)}
    return sorted(kept, key=lambda e: e.time), whole


# --- Funnels (API.md: in order, by event time, within the window) ----------------------------


def funnel(events: list[Sent], lo: int, hi: int, filters: Filters,
           steps: list[tuple[str, str]], window_ms: int | None) -> list[int]:  # fmt: skip
    """Visitors reaching each step, by exhaustive search over every visitor's kept events."""

    def is_step(e: Sent, step: tuple[str, str]) -> bool:
        kind, match = step
        if kind == "event":
            return bool(e.event["eventName"] == match)
        pattern = ".*".join(re.escape(part) for part in match.split("*"))
        return e.event["eventName"] == PAGE_VIEW and re.fullmatch(pattern, e.path) is not None

    kept = in_range(select(events, filters)[0], lo, hi)
    by_user: dict[str, list[Sent]] = defaultdict(list)
    for e in kept:
        if any(is_step(e, step) for step in steps):
            by_user[e.event["userId"]].append(e)

    def order(e: Sent) -> tuple[int, int]:
        return e.time, min(k for k, step in enumerate(steps) if is_step(e, step))

    def deepest(seq: list[Sent], first: Sent, at: int, k: int) -> int:
        """Steps reached when step k may use any event after position `at`."""
        if k == len(steps):
            return k
        best = k
        for j in range(at + 1, len(seq)):
            e = seq[j]
            if window_ms is None and e.event["sessionId"] != first.event["sessionId"]:
                continue
            if window_ms is not None and e.time - first.time > window_ms:
                break
            if is_step(e, steps[k]):
                best = max(best, deepest(seq, first, j, k + 1))
        return best

    counts = [0] * len(steps)
    for evs in by_user.values():
        seq = sorted(evs, key=order)
        level = max((deepest(seq, e, i, 1) for i, e in enumerate(seq) if is_step(e, steps[0])),
                    default=0)  # fmt: skip
        for k in range(level):
            counts[k] += 1
    return counts


# --- Retention ------------------------------------------------------------------------------


def retention(events: list[Sent], first: date, last: date, tz: str, filters: Filters,
              unit: str) -> list[dict[str, Any]]:  # fmt: skip
    """Cohorts by the unit (day, week from Monday, month) of each visitor's first kept event."""
    lo, hi = day_bounds(first, last, tz)

    def unit_of(day: date) -> date:
        if unit == "day":
            start = day
        elif unit == "week":
            start = day - timedelta(days=day.weekday())
        else:
            start = day.replace(day=1)
        return max(start, first)

    units = sorted({unit_of(first + timedelta(days=i)) for i in range((last - first).days + 1)})
    index = {u: i for i, u in enumerate(units)}
    seen: dict[str, set[int]] = defaultdict(set)
    for e in in_range(select(events, filters)[0], lo, hi):
        seen[e.event["userId"]].add(index[unit_of(local_day(e.time, tz))])
    out = []
    for i, start in enumerate(units):
        cohort = [s for s in seen.values() if min(s) == i]
        retained = [sum(1 for s in cohort if j in s) for j in range(i, len(units))]
        out.append({"start": start.isoformat(), "size": len(cohort), "retained": retained})
    return out
