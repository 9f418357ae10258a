"""The raw-event path: FT.AGGREGATE over `Event:index`, always scoped to one site, bots out.
Exact (COUNT_DISTINCT), and used for filters, `context.<key>`, and zones without rollups."""

from __future__ import annotations

from typing import Any

import redis.asyncio as aioredis
from redis.exceptions import ResponseError

from tracking_system.common import keys
from tracking_system.common.errors import ServiceUnavailable
from tracking_system.common.search import site_clause, tag_clause

# The time limit of one raw query in Redis, past which it is abandoned with 503. RediSearch's own
# default (500 ms, "return") would silently hand back partial results.
QUERY_TIMEOUT_MS = 10_000
TOO_LONG = "The query took too long; narrow the period or the filters"
MAX_ROWS = 100_000
# Sessions are attributed to the day they start; to see their whole span the session queries
# look this far beyond the period on both sides.
SESSION_MARGIN_MS = 6 * 3600 * 1000
PAGE_VIEW = "PAGE_VIEW"


def field_of(dimension: str) -> str:
    """The hash field behind a filter or breakdown dimension."""
    if dimension == "page":
        return "path"
    if dimension.startswith("context."):
        return "ctx_" + dimension.removeprefix("context.")
    return dimension


def event_query(site_id: str, start_ms: int, end_ms: int,
                filters: list[tuple[str, str]]) -> str:  # fmt: skip
    """The site's non-bot events in [start, end) matching the indexed filters; context
    filters are not indexed and are applied after loading (see _context_filter_steps)."""
    parts = [site_clause(site_id), f"@eventTime:[{start_ms} ({end_ms}]", "-@bot:{1}"]
    parts += [tag_clause(field_of(dimension), value) for dimension, value in filters
              if not dimension.startswith("context.")]  # fmt: skip
    return " ".join(parts)


def _context_filter_steps(filters: list[tuple[str, str]]) -> list[str]:
    steps: list[str] = []
    for dimension, value in filters:
        if dimension.startswith("context."):
            field = field_of(dimension)
            literal = value.replace("\\", "\\\\").replace("'", "\\'")
            # Events without the key have no value: exists() keeps them out without an error.
            steps += ["LOAD", "1", f"@{field}",
                      "FILTER", f"exists(@{field}) && @{field} == '{literal}'"]  # fmt: skip
    return steps


async def aggregate(redis: aioredis.Redis, query: str, *steps: str) -> list[dict[str, str]]:
    """Rows of FT.AGGREGATE as dicts of strings; 503 when it runs past its time limit (its
    partial result would be wrong, not just incomplete)."""
    try:
        result: Any = await redis.execute_command(  # type: ignore[no-untyped-call]
            "FT.AGGREGATE", keys.EVENT_INDEX, query, "TIMEOUT", str(QUERY_TIMEOUT_MS), *steps,
            "DIALECT", "2",
        )  # fmt: skip
    except ResponseError as exc:
        if "timeout" in str(exc).lower():
            raise ServiceUnavailable(TOO_LONG, retry_after=10) from exc
        raise
    if isinstance(result, dict):
        if any("timeout" in str(w).lower() for w in result.get("warning") or ()):
            raise ServiceUnavailable(TOO_LONG, retry_after=10)
        rows = [row.get("extra_attributes", {}) for row in result.get("results", [])]
        return [{str(k): "" if v is None else str(v) for k, v in row.items()} for row in rows]
    rows = result[1:]
    return [{str(row[i]): str(row[i + 1]) for i in range(0, len(row), 2)} for row in rows]


def _int(row: dict[str, str], key: str) -> int:
    value = row.get(key)
    return int(float(value)) if value not in (None, "", "nan") else 0


async def totals(redis: aioredis.Redis, *, site_id: str, start_ms: int, end_ms: int,
                 filters: list[tuple[str, str]]) -> dict[str, int]:  # fmt: skip
    """events, pageviews, users, sessions in [start, end)."""
    query = event_query(site_id, start_ms, end_ms, filters)
    rows = await aggregate(
        redis, query, *_context_filter_steps(filters),
        "LOAD", "3", "@eventName", "@userId", "@sessionId",
        "APPLY", f"@eventName == '{PAGE_VIEW}'", "AS", "pv",
        "GROUPBY", "0",
        "REDUCE", "COUNT", "0", "AS", "events",
        "REDUCE", "SUM", "1", "@pv", "AS", "pageviews",
        "REDUCE", "COUNT_DISTINCT", "1", "@userId", "AS", "users",
        "REDUCE", "COUNT_DISTINCT", "1", "@sessionId", "AS", "sessions",
    )  # fmt: skip
    row = rows[0] if rows else {}
    return {k: _int(row, k) for k in ("events", "pageviews", "users", "sessions")}


async def session_totals(redis: aioredis.Redis, *, site_id: str, start_ms: int, end_ms: int,
                         filters: list[tuple[str, str]]) -> dict[str, int]:  # fmt: skip
    """started, bounces, dur (ms) of the sessions whose first event is in [start, end)."""
    query = event_query(site_id, start_ms - SESSION_MARGIN_MS, end_ms + SESSION_MARGIN_MS,
                           filters)  # fmt: skip
    rows = await aggregate(
        redis, query, *_context_filter_steps(filters),
        "LOAD", "2", "@eventName", "@sessionId",
        "APPLY", f"@eventName == '{PAGE_VIEW}'", "AS", "pv",
        "GROUPBY", "1", "@sessionId",
        "REDUCE", "COUNT", "0", "AS", "n",
        "REDUCE", "SUM", "1", "@pv", "AS", "pvs",
        "REDUCE", "MIN", "1", "@eventTime", "AS", "first",
        "REDUCE", "MAX", "1", "@eventTime", "AS", "last",
        "FILTER", f"@first >= {start_ms} && @first < {end_ms}",
        "APPLY", "@last - @first", "AS", "dur",
        "APPLY", "@n == 1 && @pvs == 1", "AS", "bounce",
        "GROUPBY", "0",
        "REDUCE", "COUNT", "0", "AS", "started",
        "REDUCE", "SUM", "1", "@bounce", "AS", "bounces",
        "REDUCE", "SUM", "1", "@dur", "AS", "dur",
    )  # fmt: skip
    row = rows[0] if rows else {}
    return {k: _int(row, k) for k in ("started", "bounces", "dur")}


async def top_by_event(redis: aioredis.Redis, *, site_id: str, start_ms: int, end_ms: int,
                       filters: list[tuple[str, str]], dimension: str, limit: int,
                       page_views_only: bool = False) -> list[dict[str, Any]]:  # fmt: skip
    """value, count (events), users, sessions grouped by an event-level dimension."""
    query = event_query(site_id, start_ms, end_ms, filters)
    if page_views_only:
        query += " " + tag_clause("eventName", PAGE_VIEW)
    field = field_of(dimension)
    rows = await aggregate(
        redis, query, *_context_filter_steps(filters),
        "LOAD", "3", f"@{field}", "@userId", "@sessionId",
        "FILTER", f"exists(@{field})",
        "GROUPBY", "1", f"@{field}",
        "REDUCE", "COUNT", "0", "AS", "count",
        "REDUCE", "COUNT_DISTINCT", "1", "@userId", "AS", "users",
        "REDUCE", "COUNT_DISTINCT", "1", "@sessionId", "AS", "sessions",
        "SORTBY", "4", "@count", "DESC", f"@{field}", "ASC", "MAX", str(limit),
    )  # fmt: skip
    return [
        {"value": row.get(field, ""), "count": _int(row, "count"), "users": _int(row, "users"),
         "sessions": _int(row, "sessions")}
        for row in rows
    ]  # fmt: skip


async def top_by_session(redis: aioredis.Redis, *, site_id: str, start_ms: int, end_ms: int,
                         filters: list[tuple[str, str]], dimension: str,
                         limit: int) -> list[dict[str, Any]]:  # fmt: skip
    """value, count (sessions), visitors for a session-level dimension: taken from the first
    event of each session (entryPage: its first page view; exitPage: its last)."""
    query = event_query(site_id, start_ms - SESSION_MARGIN_MS, end_ms + SESSION_MARGIN_MS,
                           filters)  # fmt: skip
    steps = list(_context_filter_steps(filters))
    field, order = field_of(dimension), "ASC"
    if dimension in ("entryPage", "exitPage"):
        # A session's entry page is its first page view, its exit page its last.
        query += " " + tag_clause("eventName", PAGE_VIEW)
        field, order = "path", ("ASC" if dimension == "entryPage" else "DESC")
    steps += ["LOAD", "3", f"@{field}", "@userId", "@sessionId",
              "GROUPBY", "1", "@sessionId",
              "REDUCE", "MIN", "1", "@eventTime", "AS", "first",
              "REDUCE", "FIRST_VALUE", "4", f"@{field}", "BY", "@eventTime", order, "AS", "value",
              "REDUCE", "FIRST_VALUE", "1", "@userId", "AS", "uid"]  # fmt: skip
    steps += [
        "FILTER", f"@first >= {start_ms} && @first < {end_ms}",
        "FILTER", "exists(@value) && @value != ''",
        "GROUPBY", "1", "@value",
        "REDUCE", "COUNT", "0", "AS", "count",
        "REDUCE", "COUNT_DISTINCT", "1", "@uid", "AS", "visitors",
        "SORTBY", "4", "@count", "DESC", "@value", "ASC", "MAX", str(limit),
    ]  # fmt: skip
    rows = await aggregate(redis, query, *steps)
    return [
        {"value": row["value"], "count": _int(row, "count"), "visitors": _int(row, "visitors")}
        for row in rows
        if row.get("value")  # a session whose first event lacks the attribute
    ]


async def minutes(redis: aioredis.Redis, *, site_id: str, start_ms: int, end_ms: int,
                  filters: list[tuple[str, str]]) -> tuple[int, dict[int, int]]:  # fmt: skip
    """(distinct users in the last 5 minutes of the window, events per UTC minute)."""
    query = event_query(site_id, start_ms, end_ms, filters)
    rows = await aggregate(
        redis, query, *_context_filter_steps(filters),
        "APPLY", "floor(@eventTime / 60000)", "AS", "minute",
        "GROUPBY", "1", "@minute", "REDUCE", "COUNT", "0", "AS", "events",
        "LIMIT", "0", "100",
    )  # fmt: skip
    per_minute = {_int(row, "minute"): _int(row, "events") for row in rows}
    recent_query = event_query(site_id, end_ms - 5 * 60_000, end_ms, filters)
    users = await aggregate(
        redis, recent_query, *_context_filter_steps(filters),
        "LOAD", "1", "@userId",
        "GROUPBY", "0", "REDUCE", "COUNT_DISTINCT", "1", "@userId", "AS", "users",
    )  # fmt: skip
    return (_int(users[0], "users") if users else 0), per_minute
