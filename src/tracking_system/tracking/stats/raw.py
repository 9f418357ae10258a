"""The raw-event path's answers: FT.AGGREGATE over the site's event index, exact
(COUNT_DISTINCT), used for filters, `context.<key>`, goals, funnels, retention and zones without
rollups. Filters follow filters.py: event filters select events through the index
(aggregate.py); session filters need whole sessions (sessions.py)."""

from __future__ import annotations

import asyncio
from typing import Any

import redis.asyncio as aioredis

from tracking_system.common.errors import ServiceUnavailable
from tracking_system.tracking.stats.aggregate import (
    MAX_ROWS,
    PAGE_VIEW,
    TOO_LONG,
    Row,
    aggregate,
    as_int,
    event_level,
    event_query,
)
from tracking_system.tracking.stats.filters import (
    EMPTY_ROW_DIMENSIONS,
    Filters,
    Split,
    field_of,
    split,
)
from tracking_system.tracking.stats.sessions import (
    ACTIVE,
    EITHER,
    STARTED,
    USERS_STEPS,
    active_ids,
    in_sessions,
    selected,
    session_query,
    session_steps,
    session_value,
    users_of,
    visitors,
)


async def _active_totals(redis: aioredis.Redis, site_id: str, start_ms: int, end_ms: int,
                         kinds: Split, rows: list[Row]) -> dict[str, int]:  # fmt: skip
    """events, pageviews, users, sessions of the session rows active in [start, end)."""
    active = [row for row in rows if as_int(row, "ev") > 0]
    ids = [row["sessionId"] for row in active]
    return {
        "events": sum(as_int(row, "ev") for row in active),
        "pageviews": sum(as_int(row, "evpv") for row in active),
        "users": await visitors(redis, site_id, start_ms, end_ms, kinds, ids),
        "sessions": len(active),
    }


async def totals(redis: aioredis.Redis, *, site_id: str, start_ms: int, end_ms: int,
                 filters: Filters) -> dict[str, int]:  # fmt: skip
    """events, pageviews, users, sessions in [start, end) under the filters."""
    kinds = split(filters)
    if kinds.session:
        rows = await selected(redis, site_id, start_ms, end_ms, kinds, ACTIVE)
        return await _active_totals(redis, site_id, start_ms, end_ms, kinds, rows)
    query, steps = event_level(site_id, start_ms, end_ms, kinds)
    rows = await aggregate(
        redis, site_id, query, *steps,
        "LOAD", "3", "@eventName", "@userId", "@sessionId",
        "APPLY", f"@eventName == '{PAGE_VIEW}'", "AS", "pv",
        "GROUPBY", "0",
        "REDUCE", "COUNT", "0", "AS", "events",
        "REDUCE", "SUM", "1", "@pv", "AS", "pageviews",
        "REDUCE", "COUNT_DISTINCT", "1", "@userId", "AS", "users",
        "REDUCE", "COUNT_DISTINCT", "1", "@sessionId", "AS", "sessions",
    )  # fmt: skip
    row = rows[0] if rows else {}
    return {k: as_int(row, k) for k in ("events", "pageviews", "users", "sessions")}


def _visit_numbers(started: list[Row]) -> dict[str, int]:
    """started, bounces, dur (ms) of sessions."""
    return {
        "started": len(started),
        "bounces": sum(1 for r in started if as_int(r, "n") == 1 and as_int(r, "pvs") == 1),
        "dur": sum(as_int(r, "last") - as_int(r, "first") for r in started),
    }


async def summary_totals(redis: aioredis.Redis, *, site_id: str, start_ms: int, end_ms: int,
                         filters: Filters) -> dict[str, int]:  # fmt: skip
    """totals() in [start, end), and started, bounces, dur (ms) of the selected sessions that
    began then: each session whole, whichever of its events matched."""
    kinds = split(filters)
    if kinds.session:  # one pass over the sessions for both
        rows = await selected(redis, site_id, start_ms, end_ms, kinds, EITHER)
        return {
            **await _active_totals(redis, site_id, start_ms, end_ms, kinds, rows),
            **_visit_numbers([row for row in rows if as_int(row, "st") == 1]),
        }
    steps = session_steps(kinds, start_ms=start_ms, end_ms=end_ms, select=STARTED)
    counted, visits = await asyncio.gather(
        totals(redis, site_id=site_id, start_ms=start_ms, end_ms=end_ms, filters=filters),
        aggregate(
            redis, site_id, session_query(site_id, start_ms, end_ms), *steps,
            "APPLY", "@last - @first", "AS", "dur",
            "APPLY", "@n == 1 && @pvs == 1", "AS", "bounce",
            "GROUPBY", "0",
            "REDUCE", "COUNT", "0", "AS", "started",
            "REDUCE", "SUM", "1", "@bounce", "AS", "bounces",
            "REDUCE", "SUM", "1", "@dur", "AS", "dur",
        ),
    )  # fmt: skip
    row = visits[0] if visits else {}
    return {**counted, **{k: as_int(row, k) for k in ("started", "bounces", "dur")}}


async def top_by_session(redis: aioredis.Redis, *, site_id: str, start_ms: int, end_ms: int,
                         filters: Filters, dimension: str,
                         limit: int) -> list[dict[str, Any]]:  # fmt: skip
    """value, count (sessions), visitors for a session-level dimension: the value of each
    selected session that began in the period (its first event's; entryPage: its first page
    view's path; exitPage: its last); visitors are the users of those sessions' first events.
    Sessions without a value make a '' row for the dimensions in EMPTY_ROW_DIMENSIONS."""
    kinds = split(filters)
    alias = f"s{len(kinds.session)}"
    rows = await selected(redis, site_id, start_ms, end_ms, kinds, STARTED, dimension)
    counts: dict[str, int] = {}
    visitors: dict[str, set[str]] = {}
    for row in rows:
        value = session_value(row, dimension, alias)
        if value or dimension in EMPTY_ROW_DIMENSIONS:
            counts[value] = counts.get(value, 0) + 1
            visitors.setdefault(value, set()).add(str(row.get("uid", "")))
    ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))[:limit]
    return [{"value": v, "count": c, "visitors": len(visitors[v])} for v, c in ranked]


async def top_by_event(redis: aioredis.Redis, *, site_id: str, start_ms: int, end_ms: int,
                       filters: Filters, dimension: str, limit: int,
                       page_views_only: bool = False) -> list[dict[str, Any]]:  # fmt: skip
    """value, count (events), users, sessions grouped by an event-level dimension."""
    kinds = split(filters)
    if page_views_only:
        kinds = Split(session=kinds.session, event=[*kinds.event, ("eventName", PAGE_VIEW)])
    field = field_of(dimension)
    if kinds.session:
        ids = await active_ids(redis, site_id, start_ms, end_ms, kinds)
        steps = ["LOAD", "3", f"@{field}", "@userId", "@sessionId", "FILTER", f"exists(@{field})",
                 "GROUPBY", "1", f"@{field}",
                 "REDUCE", "COUNT", "0", "AS", "count",
                 "REDUCE", "TOLIST", "1", "@userId", "AS", "u",
                 "REDUCE", "COUNT_DISTINCT", "1", "@sessionId", "AS", "sessions",
                 "LIMIT", "0", str(MAX_ROWS)]  # fmt: skip
        counts: dict[str, list[int]] = {}
        users: dict[str, set[str]] = {}
        for rows in await in_sessions(redis, site_id, start_ms, end_ms, kinds, ids, steps):
            for row in rows:  # sessions never span groups: their counts add up
                value = str(row.get(field, ""))
                total = counts.setdefault(value, [0, 0])
                total[0] += as_int(row, "count")
                total[1] += as_int(row, "sessions")
                users.setdefault(value, set()).update(users_of(row.get("u")))
        ranked = sorted(counts.items(), key=lambda item: (-item[1][0], item[0]))[:limit]
        return [{"value": v, "count": c, "users": len(users[v]), "sessions": n}
                for v, (c, n) in ranked]  # fmt: skip
    query, filter_steps = event_level(site_id, start_ms, end_ms, kinds)
    rows = await aggregate(
        redis, site_id, query, *filter_steps,
        "LOAD", "3", f"@{field}", "@userId", "@sessionId",
        "FILTER", f"exists(@{field})",
        "GROUPBY", "1", f"@{field}",
        "REDUCE", "COUNT", "0", "AS", "count",
        "REDUCE", "COUNT_DISTINCT", "1", "@userId", "AS", "users",
        "REDUCE", "COUNT_DISTINCT", "1", "@sessionId", "AS", "sessions",
        "SORTBY", "4", "@count", "DESC", f"@{field}", "ASC", "MAX", str(limit),
    )  # fmt: skip
    return [
        {"value": row.get(field, ""), "count": as_int(row, "count"), "users": as_int(row, "users"),
         "sessions": as_int(row, "sessions")}
        for row in rows
    ]  # fmt: skip


async def minutes(redis: aioredis.Redis, *, site_id: str, start_ms: int, end_ms: int,
                  filters: Filters) -> tuple[int, dict[int, int]]:  # fmt: skip
    """(distinct users in the last 5 minutes of the window, events per UTC minute)."""
    kinds = split(filters)
    per_minute_steps = ["APPLY", "floor(@eventTime / 60000)", "AS", "minute",
                        "GROUPBY", "1", "@minute", "REDUCE", "COUNT", "0", "AS", "events",
                        "LIMIT", "0", "100"]  # fmt: skip
    recent = end_ms - 5 * 60_000
    if kinds.session:
        ids = await active_ids(redis, site_id, start_ms, end_ms, kinds)
        per_minute: dict[int, int] = {}
        for rows in await in_sessions(redis, site_id, start_ms, end_ms, kinds, ids,
                                       per_minute_steps):  # fmt: skip
            for row in rows:
                minute = as_int(row, "minute")
                per_minute[minute] = per_minute.get(minute, 0) + as_int(row, "events")
        return await visitors(redis, site_id, recent, end_ms, kinds, ids), per_minute
    query, filter_steps = event_level(site_id, start_ms, end_ms, kinds)
    rows = await aggregate(redis, site_id, query, *filter_steps, *per_minute_steps)
    recent_query, _ = event_level(site_id, recent, end_ms, kinds)
    users = await aggregate(
        redis, site_id, recent_query, *filter_steps, "LOAD", "1", "@userId",
        "GROUPBY", "0", "REDUCE", "COUNT_DISTINCT", "1", "@userId", "AS", "users",
    )  # fmt: skip
    per_minute = {as_int(row, "minute"): as_int(row, "events") for row in rows}
    return (as_int(users[0], "users") if users else 0), per_minute


Counted = tuple[int, int]


async def clause_totals(redis: aioredis.Redis, *, site_id: str, start_ms: int, end_ms: int,
                        filters: Filters,
                        clauses: list[str | None]) -> tuple[int, list[Counted]]:  # fmt: skip
    """(the visitors in [start, end) that the filters keep, then per extra index clause — a
    goal's; None matches nothing — the events and distinct users among them). The sessions a
    session filter selects are found once for all the clauses."""
    kinds = split(filters)
    counted: list[Counted] = []
    if kinds.session:
        ids = await active_ids(redis, site_id, start_ms, end_ms, kinds)
        steps = ["LOAD", "1", "@userId", "GROUPBY", "0", "REDUCE", "COUNT", "0", "AS", "n",
                 "REDUCE", "TOLIST", "1", "@userId", "AS", "u"]  # fmt: skip
        for clause in clauses:
            events, users = 0, set()
            if clause is not None:
                for rows in await in_sessions(redis, site_id, start_ms, end_ms, kinds, ids,
                                              steps, clause):  # fmt: skip
                    for row in rows:
                        events += as_int(row, "n")
                        users |= users_of(row.get("u"))
            counted.append((events, len(users)))
        return await visitors(redis, site_id, start_ms, end_ms, kinds, ids), counted
    query, filter_steps = event_level(site_id, start_ms, end_ms, kinds)
    for clause in clauses:
        rows = [] if clause is None else await aggregate(
            redis, site_id, f"{query} ({clause})", *filter_steps, "LOAD", "1", "@userId",
            "GROUPBY", "0", "REDUCE", "COUNT", "0", "AS", "n",
            "REDUCE", "COUNT_DISTINCT", "1", "@userId", "AS", "u",
        )  # fmt: skip
        row = rows[0] if rows else {}
        counted.append((as_int(row, "n"), as_int(row, "u")))
    total = await totals(redis, site_id=site_id, start_ms=start_ms, end_ms=end_ms,
                         filters=filters)  # fmt: skip
    return total["users"], counted


async def page_paths(redis: aioredis.Redis, *, site_id: str, start_ms: int,
                     end_ms: int) -> list[str]:  # fmt: skip
    """The distinct paths with a page view in [start, end)."""
    rows = await aggregate(
        redis, site_id, event_query(site_id, start_ms, end_ms, [("eventName", PAGE_VIEW)]),
        "LOAD", "1", "@path", "GROUPBY", "1", "@path", "LIMIT", "0", str(MAX_ROWS),
    )  # fmt: skip
    return [str(row["path"]) for row in rows if row.get("path")]


async def clause_events(redis: aioredis.Redis, *, site_id: str, start_ms: int, end_ms: int,
                        filters: Filters, clause: str) -> list[dict[str, str]]:  # fmt: skip
    """userId, sessionId, eventName, path, eventTime of every event in [start, end) that the
    filters keep and that matches an extra index clause; 503 past MAX_ROWS."""
    kinds = split(filters)
    steps = ["LOAD", "5", "@userId", "@sessionId", "@eventName", "@path", "@eventTime",
             "LIMIT", "0", str(MAX_ROWS)]  # fmt: skip
    if kinds.session:
        ids = await active_ids(redis, site_id, start_ms, end_ms, kinds)
        groups = await in_sessions(redis, site_id, start_ms, end_ms, kinds, ids, steps, clause)
    else:
        query, filter_steps = event_level(site_id, start_ms, end_ms, kinds)
        groups = [await aggregate(redis, site_id, f"{query} ({clause})", *filter_steps, *steps)]
    rows = [{k: str(v) for k, v in row.items()} for found in groups for row in found]
    if len(rows) >= MAX_ROWS or any(len(found) >= MAX_ROWS for found in groups):
        raise ServiceUnavailable(TOO_LONG, retry_after=10)
    return rows


async def active_users(redis: aioredis.Redis, *, site_id: str, start_ms: int, end_ms: int,
                       filters: Filters) -> set[str]:  # fmt: skip
    """The users of the events in [start, end) that the filters keep."""
    kinds = split(filters)
    if kinds.session:
        ids = await active_ids(redis, site_id, start_ms, end_ms, kinds)
        groups = await in_sessions(redis, site_id, start_ms, end_ms, kinds, ids, USERS_STEPS)
    else:
        query, filter_steps = event_level(site_id, start_ms, end_ms, kinds)
        groups = [await aggregate(redis, site_id, query, *filter_steps, *USERS_STEPS)]
    return {user for rows in groups for row in rows for user in users_of(row.get("u"))}


async def first_event_ms(redis: aioredis.Redis, *, site_id: str) -> int | None:
    """The time of the site's earliest counted event, or None before any."""
    rows = await aggregate(
        redis, site_id, event_query(site_id, 0, 2**48),
        "GROUPBY", "0", "REDUCE", "COUNT", "0", "AS", "n",
        "REDUCE", "MIN", "1", "@eventTime", "AS", "first",
    )  # fmt: skip
    return as_int(rows[0], "first") if rows and as_int(rows[0], "n") else None
