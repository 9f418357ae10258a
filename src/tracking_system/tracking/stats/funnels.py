"""Funnels: a visitor reaches step k when steps 1..k happened in that order (by event time) within
the window: one session, or N days from the step-1 event. One event serves one step; steps on the
same millisecond count in either order of arrival, taken in the funnel's order."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import redis.asyncio as aioredis

from tracking_system.common.errors import InvalidInput, ServiceUnavailable
from tracking_system.tracking.ingest.validation import has_control_chars
from tracking_system.tracking.stats import columnar, sql
from tracking_system.tracking.stats.filters import Filters
from tracking_system.tracking.stats.params import Period
from tracking_system.tracking.stats.sql import SESSION_MARGIN_MS

MIN_STEPS, MAX_STEPS = 2, 8
DAY_MS = 86_400_000
SESSION = "session"
_WINDOW = re.compile(r"([1-9]\d{0,2})d")


@dataclass(frozen=True)
class Step:
    """An event name, or a page path where `*` matches any run of characters."""

    kind: str
    match: str


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


def _codes(table: pa.Table, name: str) -> np.ndarray:
    """A text column as integers, equal where the text is."""
    encoded = pc.dictionary_encode(table.column(name)).combine_chunks()
    return np.asarray(encoded.indices.to_numpy(zero_copy_only=False), dtype=np.int64)


def step_counts(table: pa.Table, steps: int, window_ms: int | None) -> list[int]:
    """Visitors reaching each step, from sql.funnel_events' rows.

    The rows are ordered by visitor (and session, for a session window), time, the funnel's
    order, then arrival. A row's `start` is the latest step-1 time of a chain of steps 1..k
    ending there (the latest start is the best for a window): at a row that is step k+1 it is
    the running maximum of the step-k starts before it in its partition (the visitor, or the
    visitor's session)."""
    if table.num_rows == 0:
        return [0] * steps
    users = _codes(table, "u")
    times = table.column("t").to_numpy()
    keys = [table.column("r").to_numpy(), table.column("o").to_numpy(), times]
    sessions = _codes(table, "s") if window_ms is None else None
    order = np.lexsort([*keys, *([sessions] if sessions is not None else []), users])
    users, times = users[order], times[order]
    new_user = np.concatenate(([True], users[1:] != users[:-1]))
    partitions = new_user
    if sessions is not None:
        sessions = sessions[order]
        partitions = new_user | np.concatenate(([True], sessions[1:] != sessions[:-1]))
    rel = times - times.min()
    big = int(rel.max()) + 2
    part = np.cumsum(partitions) - 1
    if int(part[-1]) * big >= 2**62:
        raise ServiceUnavailable(columnar.TOO_LONG, retry_after=10)
    base = part * big
    is_step = [table.column(f"c{k}").to_numpy(zero_copy_only=False)[order] for k in range(steps)]
    start = np.where(is_step[0], rel, -1)
    level = is_step[0].astype(np.int64)
    for k in range(1, steps):
        running = np.maximum.accumulate(base + start + 1)  # (no chain: base + 0)
        before = np.concatenate(([-1], running[:-1]))
        start = np.where(is_step[k] & (before > base), before - base - 1, -1)
        reached = start >= 0
        if window_ms is not None:
            reached &= rel - start <= window_ms
        level = np.where(reached, k + 1, level)
    per_user = np.maximum.reduceat(level, np.flatnonzero(new_user))
    return [int((per_user > k).sum()) for k in range(steps)]


async def funnel_levels(redis: aioredis.Redis, *, site_id: str, period: Period,
                        filters: Filters, steps: list[Step],
                        window_ms: int | None) -> list[int]:  # fmt: skip
    """Visitors reaching each step, from the columnar tier."""
    start, end = period.start_ms(), period.end_ms()
    events = await columnar.site_events(redis, site_id=site_id, start_ms=start - SESSION_MARGIN_MS,
                                        end_ms=end + SESSION_MARGIN_MS)  # fmt: skip
    query = sql.funnel_events(filters, start, end, [(s.kind, s.match) for s in steps])
    rows = await columnar.query_arrow(query, events=events)
    return step_counts(rows, len(steps), window_ms)


async def get_funnel(*, redis: aioredis.Redis, site_id: str, period: Period, filters: Filters,
                     steps: list[Step], window_ms: int | None) -> dict[str, Any]:  # fmt: skip
    """`{steps: [{label, visitors, conversionRate, dropOff}]}` over the period's events that the
    filters keep; conversionRate from the first step, dropOff the visitors lost since the
    previous step."""
    counts = await funnel_levels(redis, site_id=site_id, period=period, filters=filters,
                                 steps=steps, window_ms=window_ms)  # fmt: skip
    first = counts[0]
    return {"steps": [
        {"label": step.match, "visitors": n,
         "conversionRate": round(100 * n / first, 2) if first else 0.0,
         "dropOff": (counts[k - 1] - n) if k else 0}
        for k, (step, n) in enumerate(zip(steps, counts, strict=True))
    ]}  # fmt: skip
