"""Funnels: a visitor reaches step k when steps 1..k happened in that order (by event time) within
the window: one session, or N days from the step-1 event. One event serves one step; steps on the
same millisecond count in either order of arrival, taken in the funnel's order."""

from __future__ import annotations

import asyncio
import itertools
import re
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa
import redis.asyncio as aioredis

from tracking_system.common.errors import InvalidInput
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


def _regroup(order: np.ndarray, codes: np.ndarray) -> np.ndarray:
    """`order` stably re-sorted by the rows' int32 codes (vid, sid): two passes of 16 bits,
    radix sorts several times faster than one sort of a composite key."""
    for shift in (0, 16):
        digits = ((codes[order] >> shift) & 0xFFFF).astype(np.uint16)
        order = order[np.argsort(digits, kind="stable")]
    return order


def _starts(values: np.ndarray) -> np.ndarray:
    """Whether each value differs from the one before it (the first always does)."""
    changed = np.empty(len(values), dtype=bool)
    changed[0] = True
    np.not_equal(values[1:], values[:-1], out=changed[1:])
    return changed


@dataclass(frozen=True)
class _Rows:
    """Funnel rows as arrays: time, step mask, visitor code, session code (session windows)."""

    times: np.ndarray
    masks: np.ndarray
    users: np.ndarray
    sessions: np.ndarray | None

    def parts(self, count: int) -> list[_Rows]:
        """The rows in `count` parts by visitor (one visitor's rows all in one part), each in
        the order the rows had."""
        residue = (self.users % count).astype(np.uint8)
        order = np.argsort(residue, kind="stable")  # a radix sort: one pass
        bounds = np.searchsorted(residue[order], np.arange(count + 1)).tolist()
        times, masks, users = self.times[order], self.masks[order], self.users[order]
        sessions = None if self.sessions is None else self.sessions[order]
        return [_Rows(times[a:b], masks[a:b], users[a:b],
                      None if sessions is None else sessions[a:b])
                for a, b in itertools.pairwise(bounds)]  # fmt: skip


# Past this many rows, visitors are split in PARTS parts walked by two threads (numpy lets go
# of the GIL, and a part's arrays stay in the CPU's caches): 1.3x faster than one piece at 220k
# rows, 1.7x at 2.2M (1.5x faster than two halves).
PARALLEL_ROWS = 100_000
PARTS = 8
_POOL = ThreadPoolExecutor(max_workers=2, thread_name_prefix="funnel")


def step_counts(table: pa.Table, steps: int, window_ms: int | None) -> list[int]:
    """Visitors reaching each step, from sql.funnel_events' rows."""
    if table.num_rows == 0:
        return [0] * steps
    rows = _Rows(
        times=table.column("t").to_numpy(),
        masks=table.column("mask").to_numpy().astype(np.uint8),  # MAX_STEPS (8) bits
        users=table.column("u").to_numpy(),  # vid: already integers
        sessions=table.column("s").to_numpy() if window_ms is None else None,  # sid
    )
    if table.num_rows < PARALLEL_ROWS:
        return _walk(rows, steps, window_ms)
    counted = list(_POOL.map(lambda part: _walk(part, steps, window_ms), rows.parts(PARTS)))
    return [sum(per_part) for per_part in zip(*counted, strict=True)]


def _walk(found: _Rows, steps: int, window_ms: int | None) -> list[int]:
    """Rows are ordered by visitor (and session, for a session window), time, then lowest step.
    A step-k row's `start` is the latest step-1 time of a chain of steps 1..k ending there (the
    latest start is the best for a window): the start of the last chain of steps 1..k-1 that
    ends before it in its partition (along a partition, those starts never decrease). Each step
    looks only at the chains of the step before and at its own rows."""
    if len(found.times) == 0:
        return [0] * steps
    rel = found.times - found.times.min()
    # The rows come nearly in time order (day blobs are sorted): this first sort is quick.
    order = np.argsort((rel << 3) | _LOWEST[found.masks], kind="stable")
    if found.sessions is not None:
        order = _regroup(order, found.sessions)
    order = _regroup(order, found.users)
    user_of, rel, masks = found.users[order], rel[order], found.masks[order]
    new_partition = _starts(user_of)
    if found.sessions is not None:
        new_partition |= _starts(found.sessions[order])
    partition = np.cumsum(new_partition)

    def visitors(rows: np.ndarray) -> int:
        return int(np.count_nonzero(_starts(user_of[rows]))) if len(rows) else 0

    rows = np.flatnonzero(masks & 1)  # the ends of chains of steps 1..k, k = 1 first
    start = rel[rows]
    counts = [visitors(rows)]
    for k in range(1, steps):
        candidates = np.flatnonzero(masks & (1 << k))
        if len(rows) == 0 or len(candidates) == 0:
            rows = candidates[:0]
            counts.append(0)
            continue
        before = np.searchsorted(rows, candidates) - 1  # the last chain end strictly before
        reached = before >= 0
        before[~reached] = 0
        reached &= partition[rows[before]] == partition[candidates]
        start_here = start[before]
        if window_ms is not None:
            reached &= rel[candidates] - start_here <= window_ms
        rows, start = candidates[reached], start_here[reached]
        counts.append(visitors(rows))
    return counts


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
    query = sql.funnel_events(
        filters, start, end, [(s.kind, s.match) for s in steps], sessions=window_ms is None
    )
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
