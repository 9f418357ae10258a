"""The raw-event path's answers: exact counts over every stored event (the columnar tier, read
with DuckDB), for filters, `context.<key>`, goals and zones without rollups. The queries are
built in sql.py; this module gets the events and shapes the rows."""

from __future__ import annotations

from typing import Any

import pyarrow as pa
import redis.asyncio as aioredis

from tracking_system.tracking.stats import columnar, sql
from tracking_system.tracking.stats.filters import Filters

SERIES = ("events", "pageviews", "users", "sessions", "started", "bounces", "dur")


async def _ask(redis: aioredis.Redis, site_id: str, start_ms: int, end_ms: int, query: sql.Query,
               **tables: pa.Table) -> list[tuple[Any, ...]]:  # fmt: skip
    """The rows of a query over the site's events near [start, end) (and other tables)."""
    events = await columnar.events_near(redis, site_id=site_id, start_ms=start_ms, end_ms=end_ms)
    return await columnar.query(query, events=events, **tables)


async def series(redis: aioredis.Redis, *, site_id: str, bounds: list[tuple[int, int]],
                 filters: Filters) -> list[dict[str, int]]:  # fmt: skip
    """Per unit of contiguous (start, end) bounds: events, pageviews, users, sessions of the
    events kept in it, and started, bounces, dur (ms) of the selected sessions begun in it."""
    start, end = bounds[0][0], bounds[-1][1]
    query = sql.series(filters, [b[0] for b in bounds], end)
    rows = await _ask(redis, site_id, start, end, query)
    found = {int(row[0]): row[1:] for row in rows}
    zero = (0,) * len(SERIES)
    return [dict(zip(SERIES, map(int, found.get(i, zero)), strict=True))
            for i in range(len(bounds))]  # fmt: skip


async def totals(redis: aioredis.Redis, *, site_id: str, start_ms: int, end_ms: int,
                 filters: Filters) -> dict[str, int]:  # fmt: skip
    """events, pageviews, users, sessions in [start, end) under the filters, and started,
    bounces, dur (ms) of the selected sessions that began then."""
    return (await series(redis, site_id=site_id, bounds=[(start_ms, end_ms)],
                         filters=filters))[0]  # fmt: skip


async def top_by_session(redis: aioredis.Redis, *, site_id: str, start_ms: int, end_ms: int,
                         filters: Filters, dimension: str,
                         limit: int) -> list[dict[str, Any]]:  # fmt: skip
    """value, count (sessions), visitors for a session-level dimension: the value of each
    selected session that began in the period (its first event's; entryPage: its first page
    view's path; exitPage: its last); visitors are the users of those sessions' first events.
    Sessions without a value make a '' row for the dimensions in EMPTY_ROW_DIMENSIONS."""
    query = sql.top_by_session(filters, start_ms, end_ms, dimension, limit)
    rows = await _ask(redis, site_id, start_ms, end_ms, query)
    return [{"value": v, "count": int(c), "visitors": int(u)} for v, c, u in rows]


async def top_by_event(redis: aioredis.Redis, *, site_id: str, start_ms: int, end_ms: int,
                       filters: Filters, dimension: str, limit: int,
                       page_views_only: bool = False) -> list[dict[str, Any]]:  # fmt: skip
    """value, count (events), users, sessions grouped by an event-level dimension."""
    query = sql.top_by_event(filters, start_ms, end_ms, dimension, limit, page_views_only)
    rows = await _ask(redis, site_id, start_ms, end_ms, query)
    return [{"value": v, "count": int(c), "users": int(u), "sessions": int(s)}
            for v, c, u, s in rows]  # fmt: skip


async def minutes(redis: aioredis.Redis, *, site_id: str, start_ms: int, end_ms: int,
                  filters: Filters) -> tuple[int, dict[int, int]]:  # fmt: skip
    """(distinct users in the last 5 minutes of the window, events per UTC minute)."""
    query = sql.minutes(filters, start_ms, end_ms, end_ms - 5 * 60_000)
    rows = await _ask(redis, site_id, start_ms, end_ms, query)
    per_minute = {int(minute): int(n) for minute, n in rows if minute >= 0}
    return next((int(n) for minute, n in rows if minute < 0), 0), per_minute


Counted = tuple[int, int]


async def goal_totals(redis: aioredis.Redis, *, site_id: str, start_ms: int, end_ms: int,
                      filters: Filters,
                      goals: list[tuple[str, str]]) -> tuple[int, list[Counted]]:  # fmt: skip
    """(the visitors in [start, end) that the filters keep, then per goal — (kind, match) — the
    events and distinct users among them that are the goal)."""
    rows = await _ask(redis, site_id, start_ms, end_ms, sql.goals(filters, start_ms, end_ms, goals))
    row = [int(n or 0) for n in rows[0]]
    return row[0], [(row[1 + 2 * k], row[2 + 2 * k]) for k in range(len(goals))]


async def first_event_ms(redis: aioredis.Redis, *, site_id: str) -> int | None:
    """The time of the site's earliest counted event, or None before any (read once per site,
    for events stored before the worker kept it)."""
    events = await columnar.site_events(redis, site_id=site_id, start_ms=0, end_ms=2**62)
    found = (await columnar.query(sql.first_event(), events=events))[0][0]
    return None if found is None else int(found)
