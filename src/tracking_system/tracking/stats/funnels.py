"""Funnels: a visitor reaches step k when steps 1..k happened in that order (by event time) within
the window: one session, or N days from the step-1 event. One event serves one step; steps on the
same millisecond count in either order of arrival, taken in the funnel's order."""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import redis.asyncio as aioredis

from tracking_system.common.errors import InvalidInput, ServiceUnavailable
from tracking_system.common.zones import DAY_MS
from tracking_system.tracking.ingest.validation import has_control_chars
from tracking_system.tracking.stats import columnar, sql
from tracking_system.tracking.stats.filters import Filters
from tracking_system.tracking.stats.params import Period

MIN_STEPS, MAX_STEPS = 2, 8
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


# The lowest step an event is, by its step mask (ties of time are taken in the funnel's order).
_LOWEST = np.array([(m & -m).bit_length() - 1 for m in range(1 << MAX_STEPS)], dtype=np.int64)


def _codes(table: pa.Table, name: str) -> np.ndarray:
    """A text column as integers, equal where the text is."""
    encoded = pc.dictionary_encode(table.column(name)).combine_chunks()
    return np.asarray(encoded.indices.to_numpy(zero_copy_only=False), dtype=np.int64)


def _order(table: pa.Table, times: np.ndarray, masks: np.ndarray,
           by_session: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray]:  # fmt: skip
    """(the rows' order: by visitor (and session), time, then the lowest step; whether each row
    so ordered starts a new partition; whether it starts a new visitor)."""
    users = _codes(table, "u")
    rel = times - times.min()
    lowest = _LOWEST[masks]
    if by_session:
        sessions = _codes(table, "s")
        order = np.lexsort([lowest, rel, sessions, users])
        ordered, ordered_sessions = users[order], sessions[order]
        new_user = np.concatenate(([True], ordered[1:] != ordered[:-1]))
        new_session = np.concatenate(([True], ordered_sessions[1:] != ordered_sessions[:-1]))
        return order, new_user | new_session, new_user
    if int(users.max()) < 1 << 24 and int(rel.max()) < 1 << 35:
        order = np.argsort((users << 38) | (rel << 3) | lowest)  # one key: a third of the time
    else:
        order = np.lexsort([lowest, rel, users])
    ordered = users[order]
    new_user = np.concatenate(([True], ordered[1:] != ordered[:-1]))
    return order, new_user, new_user


def step_counts(table: pa.Table, steps: int, window_ms: int | None) -> list[int]:
    """Visitors reaching each step, from sql.funnel_events' rows.

    In each visitor's (or, for a session window, each session's) events ordered by time, a
    row's `start` is the latest step-1 time of a chain of steps 1..k ending there (the latest
    start is the best for a window): at a row that is step k+1 it is the running maximum of the
    step-k starts before it in its partition."""
    if table.num_rows == 0:
        return [0] * steps
    times = table.column("t").to_numpy()
    masks = table.column("mask").to_numpy().astype(np.int64)
    order, partitions, new_user = _order(table, times, masks, by_session=window_ms is None)
    rel, masks = times[order] - times.min(), masks[order]
    big = int(rel.max()) + 2
    part = np.cumsum(partitions) - 1
    if int(part[-1]) * big >= 2**62:
        raise ServiceUnavailable(columnar.TOO_LONG, retry_after=10)
    base = part * big
    start = np.where(masks & 1 > 0, rel, -1)
    level = (masks & 1).astype(np.int64)
    for k in range(1, steps):
        running = np.maximum.accumulate(base + start + 1)  # (no chain: base + 0)
        before = np.concatenate(([-1], running[:-1]))
        start = np.where((masks >> k) & 1 > 0, np.where(before > base, before - base - 1, -1), -1)
        reached = start >= 0
        if window_ms is not None:
            reached &= rel - start <= window_ms
        level = np.where(reached, k + 1, level)
    per_user = np.maximum.reduceat(level, np.flatnonzero(new_user))
    return [int((per_user > k).sum()) for k in range(steps)]


def _levels(query: sql.Query, events: pa.Table, steps: int, window_ms: int | None) -> list[int]:
    return step_counts(columnar.run_query(query, {"events": events}, arrow=True), steps,
                       window_ms)  # fmt: skip


async def funnel_levels(redis: aioredis.Redis, *, site_id: str, period: Period,
                        filters: Filters, steps: list[Step],
                        window_ms: int | None) -> list[int]:  # fmt: skip
    """Visitors reaching each step, from the columnar tier (the query and the walk in a worker
    thread)."""
    start, end = period.start_ms(), period.end_ms()
    events = await columnar.events_near(redis, site_id=site_id, start_ms=start, end_ms=end)
    query = sql.funnel_events(filters, start, end, [(s.kind, s.match) for s in steps])
    return await asyncio.to_thread(_levels, query, events, len(steps), window_ms)


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
