"""Funnels: a visitor reaches step k when steps 1..k happened in that order (by event time) within
the window: one session, or N days from the step-1 event. One event serves one step; steps on the
same millisecond count in either order of arrival, taken in the funnel's order."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import redis.asyncio as aioredis

from tracking_system.common.errors import InvalidInput
from tracking_system.tracking.goals import page_matches
from tracking_system.tracking.ingest.validation import has_control_chars
from tracking_system.tracking.stats import raw
from tracking_system.tracking.stats.aggregate import PAGE_VIEW, match_clause
from tracking_system.tracking.stats.filters import Filters
from tracking_system.tracking.stats.params import Period

MIN_STEPS, MAX_STEPS = 2, 8
DAY_MS = 86_400_000
SESSION = "session"
_WINDOW = re.compile(r"([1-9]\d{0,2})d")


@dataclass(frozen=True)
class Step:
    """An event name, or a page path where `*` matches any run of characters."""

    kind: str
    match: str

    def matches(self, event_name: str, path: str) -> bool:
        """True when the event is this step."""
        if self.kind == "event":
            return event_name == self.match
        return event_name == PAGE_VIEW and page_matches(self.match, path)


def parse_steps(values: list[str] | None) -> list[Step]:
    """`kind:match` pairs, 2..8 of them, or 400 on `step`."""
    steps: list[Step] = []
    for value in values or []:
        kind, sep, match = value.partition(":")
        if not sep or kind not in ("event", "page") or not match.strip() or len(match) > 512:
            raise InvalidInput(
                errors={"step": f"Use event:<name> or page:<path>, got {value[:80]!r}"}
            )
        if has_control_chars(match) or (kind == "page" and not match.startswith("/")):
            raise InvalidInput(errors={"step": "A page step is a path starting with /"})
        steps.append(Step(kind, match))
    if not MIN_STEPS <= len(steps) <= MAX_STEPS:
        raise InvalidInput(errors={"step": f"A funnel has {MIN_STEPS} to {MAX_STEPS} steps"})
    return steps


def parse_window(value: str | None) -> int | None:
    """The window in ms, None for `session`; default one day; 400 on `window`."""
    if value is None:
        return DAY_MS
    if value == SESSION:
        return None
    found = _WINDOW.fullmatch(value)
    if not found or int(found.group(1)) > 366:
        raise InvalidInput(errors={"window": "Use `session` or Nd with N from 1 to 366"})
    return int(found.group(1)) * DAY_MS


def reached(events: list[tuple[int, str, list[int]]], steps: int, window_ms: int | None) -> int:
    """How many steps, in order, one visitor's events (time, session, the steps each event is)
    reach at best, from any step-1 event."""
    best = 0
    ordered = sorted(events, key=lambda e: (e[0], min(e[2])))  # ties: in the funnel's order
    for start, (t0, session, kinds) in enumerate(ordered):
        if 0 not in kinds:
            continue
        level, used = 1, {start}
        for i in range(start + 1, len(ordered)):
            if level == steps:
                break
            t, s, event_steps = ordered[i]
            if window_ms is None and s != session:
                continue
            if window_ms is not None and t - t0 > window_ms:
                break
            if level in event_steps and i not in used:
                used.add(i)
                level += 1
        best = max(best, level)
        if best == steps:
            break
    return best


async def get_funnel(*, redis: aioredis.Redis, site_id: str, period: Period, filters: Filters,
                     steps: list[Step], window_ms: int | None) -> dict[str, Any]:  # fmt: skip
    """`{steps: [{label, visitors, conversionRate, dropOff}]}` over the period's events that the
    filters keep; conversionRate from the first step, dropOff the visitors lost since the
    previous step."""
    start, end = period.start_ms(), period.end_ms()
    paths = await raw.page_paths(redis, site_id=site_id, start_ms=start, end_ms=end) if any(
        step.kind == "page" for step in steps) else []  # fmt: skip
    clauses = [c for c in (match_clause(step.kind, step.match, paths) for step in steps) if c]
    rows = await raw.clause_events(redis, site_id=site_id, start_ms=start, end_ms=end,
                                   filters=filters, clause=" | ".join(f"({c})" for c in clauses)
                                   ) if clauses else []  # fmt: skip
    per_user: dict[str, list[tuple[int, str, list[int]]]] = {}
    for row in rows:
        kinds = [k for k, step in enumerate(steps) if step.matches(row["eventName"], row["path"])]
        if kinds:
            per_user.setdefault(row["userId"], []).append(
                (int(row["eventTime"]), row["sessionId"], kinds)
            )
    levels = [reached(events, len(steps), window_ms) for events in per_user.values()]
    counts = [sum(1 for level in levels if level > k) for k in range(len(steps))]
    first = counts[0]
    return {"steps": [
        {"label": step.match, "visitors": n,
         "conversionRate": round(100 * n / first, 2) if first else 0.0,
         "dropOff": (counts[k - 1] - n) if k else 0}
        for k, (step, n) in enumerate(zip(steps, counts, strict=True))
    ]}  # fmt: skip
