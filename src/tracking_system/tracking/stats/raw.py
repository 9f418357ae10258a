"""The raw-event path: FT.AGGREGATE over `Event:index`, always scoped to one site, bots out.
Exact (COUNT_DISTINCT), and used for filters, `context.<key>`, and zones without rollups.

Filters follow filters.py: event filters select events through the index; session filters need
whole sessions, grouped with FIRST_VALUE by time, after the index has named the sessions that
can match (or, when they are too many, over every event near the period)."""

from __future__ import annotations

import asyncio
from typing import Any

import redis.asyncio as aioredis
from redis.exceptions import ResponseError

from tracking_system.common import keys
from tracking_system.common.errors import ServiceUnavailable
from tracking_system.common.search import escape_tag, site_clause, tag_clause
from tracking_system.tracking.stats.filters import (
    EMPTY_ROW_DIMENSIONS,
    Filters,
    Split,
    equals,
    field_of,
    split,
)

# The time limit of one raw query in Redis, past which it is abandoned with 503. RediSearch's own
# default (500 ms, "return") would silently hand back partial results.
QUERY_TIMEOUT_MS = 10_000
TOO_LONG = "The query took too long; narrow the period or the filters"
MAX_ROWS = 100_000
# Sessions are attributed to the day they start; to see their whole span the session queries
# look this far beyond the period on both sides.
SESSION_MARGIN_MS = 6 * 3600 * 1000
PAGE_VIEW = "PAGE_VIEW"
# Sessions named in one query when a session-level filter has to be joined to events.
SESSIONS_PER_QUERY = 500
# Past this many candidate sessions, one scan of the period's events is cheaper than naming them.
NARROW_LIMIT = 20_000
# Session-level dimensions the index holds on every event that has them.
INDEXED_SESSION_FIELDS = frozenset(
    {"referrerDomain", "utmSource", "utmMedium", "utmCampaign", "browser", "os", "device",
     "country"}
)  # fmt: skip


def event_query(site_id: str, start_ms: int, end_ms: int, indexed: Filters | None = None) -> str:
    """The site's non-bot events in [start, end) whose indexed fields equal the values given."""
    parts = [site_clause(site_id), f"@eventTime:[{start_ms} ({end_ms}]", "-@bot:{1}"]
    parts += [tag_clause(field, value) for field, value in indexed or ()]
    return " ".join(parts)


def _loaded_filter_steps(split: Split) -> list[str]:
    """Event filters on fields the index lacks (context keys), applied after loading them."""
    steps: list[str] = []
    for field, value in split.loaded:
        steps += ["LOAD", "1", f"@{field}", "FILTER", equals(field, value)]
    return steps


def _event_level(site_id: str, start_ms: int, end_ms: int,
                 split: Split) -> tuple[str, list[str]]:  # fmt: skip
    """(query, steps) selecting the events that every event filter holds for."""
    return event_query(site_id, start_ms, end_ms, split.indexed), _loaded_filter_steps(split)


PAGE_SESSION = ("entryPage", "exitPage")


def _first_value(dimension: str, alias: str) -> list[str]:
    """Reducers taking the session's value of a session-level dimension: `alias` (the first
    non-missing one by time) and, except for entry and exit pages, `alias`_t, the time of the
    first event carrying one, so that `alias` is the session's value only when that is the
    session's first event (a session whose first event has none has none)."""
    if dimension == "entryPage":
        return ["REDUCE", "FIRST_VALUE", "4", "@path", "BY", "@pvfirst", "ASC", "AS", alias]
    if dimension == "exitPage":
        return ["REDUCE", "FIRST_VALUE", "4", "@path", "BY", "@pvlast", "DESC", "AS", alias]
    field = field_of(dimension)
    return ["REDUCE", "FIRST_VALUE", "4", f"@{field}", "BY", "@eventTime", "ASC", "AS", alias,
            "REDUCE", "MIN", "1", f"@{field}_t", "AS", f"{alias}_t"]  # fmt: skip


def _carried_at(dimension: str) -> list[str]:
    """An APPLY giving each event the time it carries the dimension at (far future if not)."""
    field = field_of(dimension)
    return ["APPLY", f"exists(@{field}) * @eventTime + (1 - exists(@{field})) * 1e15",
            "AS", f"{field}_t"]  # fmt: skip


def _has_value(dimension: str, alias: str) -> str:
    """True when the session has a value of the dimension (a page view, for entry and exit)."""
    if dimension in PAGE_SESSION:
        return f"exists(@{alias}) && @{alias} != '' && @pvs > 0"
    return f"@{alias}_t == @first && exists(@{alias}) && @{alias} != ''"


def _wanted(dimension: str, alias: str, value: str) -> str:
    """True when the session's value of the dimension is `value` ('' for none)."""
    if value == "" and dimension not in PAGE_SESSION:
        return f"(@{alias}_t != @first || (exists(@{alias}) && @{alias} == ''))"
    return f"{_has_value(dimension, alias)} && {equals(alias, value)}"


def session_value(row: Row, dimension: str, alias: str) -> str:
    """A session row's value of the dimension ('' when it has none)."""
    value = row.get(alias)
    if not isinstance(value, str) or not value:
        return ""
    if dimension in PAGE_SESSION:
        return value if _int(row, "pvs") > 0 else ""
    return value if _int(row, f"{alias}_t") == _int(row, "first") else ""


STARTED, ACTIVE, EITHER = "started", "active", "either"


def _session_steps(split: Split, *, start_ms: int, end_ms: int, value: str | None = None,
                   select: str = STARTED) -> list[str]:  # fmt: skip
    """Steps grouping the events by session into first, last, n, pvs, uid (and `value`, the
    breakdown dimension's value) and keeping the sessions the filters select: those whose
    session-level values match and that are

    - STARTED: begun in [start, end), holding a matching event (`st` = 1);
    - ACTIVE: with a matching event in [start, end), counted in `ev` and `evpv` (their
      matching events and page views in the period);
    - EITHER: one or the other, with `st`, `ev` and `evpv` telling which."""
    dimensions = [d for d, _ in split.session] + ([value] if value else [])
    fields = {"eventName", "sessionId", "userId"} | {field_of(d) for d, _ in split.event}
    fields |= {"path" if d in ("entryPage", "exitPage") else field_of(d) for d in dimensions}
    steps = ["LOAD", str(len(fields)), *(f"@{f}" for f in sorted(fields)),
             "APPLY", f"@eventName == '{PAGE_VIEW}'", "AS", "pv"]  # fmt: skip
    if "entryPage" in dimensions:  # order page views first, by time
        steps += ["APPLY", "@eventTime + (1 - @pv) * 1e15", "AS", "pvfirst"]
    if "exitPage" in dimensions:  # order page views last, by time
        steps += ["APPLY", "@eventTime * @pv", "AS", "pvlast"]
    for dimension in dict.fromkeys(d for d in dimensions if d not in PAGE_SESSION):
        steps += _carried_at(dimension)
    match = split.event_match()
    if select != STARTED:
        steps += ["APPLY", f"@eventTime >= {start_ms} && @eventTime < {end_ms} && {match}",
                  "AS", "inp", "APPLY", "@inp * @pv", "AS", "inpv"]  # fmt: skip
    if select != ACTIVE and split.event:
        steps += ["APPLY", match, "AS", "m"]
    steps += ["GROUPBY", "1", "@sessionId",
              "REDUCE", "MIN", "1", "@eventTime", "AS", "first",
              "REDUCE", "MAX", "1", "@eventTime", "AS", "last",
              "REDUCE", "COUNT", "0", "AS", "n",
              "REDUCE", "SUM", "1", "@pv", "AS", "pvs",
              "REDUCE", "FIRST_VALUE", "4", "@userId", "BY", "@eventTime", "ASC",
              "AS", "uid"]  # fmt: skip
    for i, dimension in enumerate(dimensions):
        steps += _first_value(dimension, f"s{i}")
    if select != STARTED:
        steps += ["REDUCE", "SUM", "1", "@inp", "AS", "ev", "REDUCE", "SUM", "1", "@inpv", "AS",
                  "evpv"]  # fmt: skip
    if select != ACTIVE:
        started = f"@first >= {start_ms} && @first < {end_ms}"
        if split.event:
            steps += ["REDUCE", "SUM", "1", "@m", "AS", "mm"]
            started += " && @mm > 0"
        steps += ["APPLY", started, "AS", "st"]
    conditions = {STARTED: ["@st == 1"], ACTIVE: ["@ev > 0"], EITHER: ["(@ev > 0 || @st == 1)"]}
    wanted_sessions = conditions[select]
    for i, (dimension, wanted) in enumerate(split.session):
        wanted_sessions.append(_wanted(dimension, f"s{i}", wanted))
    if value in PAGE_SESSION:  # sessions without a page view have no entry or exit page
        wanted_sessions.append(_has_value(value, f"s{len(split.session)}"))
    return [*steps, "FILTER", " && ".join(wanted_sessions)]


def _session_query(site_id: str, start_ms: int, end_ms: int) -> str:
    """Every non-bot event of the site near [start, end): sessions are taken whole."""
    return event_query(site_id, start_ms - SESSION_MARGIN_MS, end_ms + SESSION_MARGIN_MS)


Row = dict[str, Any]


def _value(value: Any) -> Any:
    """A reply value as str, or a list of str (TOLIST)."""
    if isinstance(value, list):
        return [_value(v) for v in value]
    return "" if value is None else str(value)


async def aggregate(redis: aioredis.Redis, query: str, *steps: str) -> list[Row]:
    """Rows of FT.AGGREGATE as dicts of strings (lists for TOLIST); 503 when it runs past its
    time limit (its partial result would be wrong, not just incomplete)."""
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
        return [{str(k): _value(v) for k, v in row.items()} for row in rows]
    return [{str(row[i]): _value(row[i + 1]) for i in range(0, len(row), 2)} for row in result[1:]]


def _int(row: Row, key: str) -> int:
    value = row.get(key)
    return int(float(value)) if isinstance(value, str) and value not in ("", "nan") else 0


async def _candidates(redis: aioredis.Redis, site_id: str, start_ms: int, end_ms: int,
                      clause: str) -> set[str] | None:  # fmt: skip
    """The sessions with an event matching `clause` near [start, end), from the index alone;
    None when they are too many to be worth naming."""
    rows = await aggregate(
        redis, _session_query(site_id, start_ms, end_ms) + " " + clause,
        "LOAD", "1", "@sessionId", "GROUPBY", "1", "@sessionId",
        "LIMIT", "0", str(NARROW_LIMIT + 1),
    )  # fmt: skip
    return None if len(rows) > NARROW_LIMIT else {str(row["sessionId"]) for row in rows}


def _narrowing_clauses(kinds: Split) -> list[str]:
    """Index clauses each true of some event of every session the filters can select (a
    session's value is on its first event; an event filter needs a matching event), the
    sparsest first: values only first events carry, then event filters, then values every
    event of a session carries."""
    first_only, every_event = [], []
    for dimension, value in kinds.session:
        if not value:  # sessions without a value: nothing in the index names them
            continue
        if dimension in ("entryPage", "exitPage"):
            first_only.append(tag_clause("path", value) + " " + tag_clause("eventName", PAGE_VIEW))
        elif dimension in ("browser", "os", "device", "country"):
            every_event.append(tag_clause(dimension, value))
        elif dimension in INDEXED_SESSION_FIELDS:
            first_only.append(tag_clause(dimension, value))
    return first_only + [tag_clause(f, v) for f, v in kinds.indexed] + every_event


async def _sessions(redis: aioredis.Redis, site_id: str, start_ms: int, end_ms: int,
                    kinds: Split, select: str, value: str | None = None) -> list[Row]:  # fmt: skip
    """One row per session the filters select (see _session_steps), with its numbers.

    When the index narrows the candidates to a few sessions, only those are grouped, named a
    group at a time; otherwise every event near the period is."""
    steps = _session_steps(kinds, start_ms=start_ms, end_ms=end_ms, select=select, value=value)
    query = _session_query(site_id, start_ms, end_ms)
    for clause in _narrowing_clauses(kinds):  # the first that names few enough sessions
        candidates = await _candidates(redis, site_id, start_ms, end_ms, clause)
        if candidates is None:
            continue
        named = sorted(candidates)
        rows: list[Row] = []
        for i in range(0, len(named), SESSIONS_PER_QUERY):
            chunk = _sessions_clause(named[i : i + SESSIONS_PER_QUERY])
            rows += await aggregate(redis, query + " " + chunk, *steps, "LIMIT", "0",
                                    str(SESSIONS_PER_QUERY))  # fmt: skip
        return rows
    rows = await aggregate(redis, query, *steps, "LIMIT", "0", str(MAX_ROWS))
    if len(rows) >= MAX_ROWS:
        raise ServiceUnavailable(TOO_LONG, retry_after=10)
    return rows


def _sessions_clause(sessions: list[str]) -> str:
    """`@sessionId:{a | b | ...}`."""
    return "@sessionId:{" + " | ".join(escape_tag(s) for s in sessions) + "}"


async def _in_sessions(redis: aioredis.Redis, site_id: str, start_ms: int, end_ms: int,
                       kinds: Split, sessions: list[str],
                       steps: list[str]) -> list[list[Row]]:  # fmt: skip
    """`steps` run over the matching events in [start, end) of the given sessions, a group of
    them at a time (a user may appear in several groups: distinct users come back as lists)."""
    query, filter_steps = _event_level(site_id, start_ms, end_ms, kinds)
    return [
        await aggregate(redis, query + " " + _sessions_clause(sessions[i : i + SESSIONS_PER_QUERY]),
                        *filter_steps, *steps)
        for i in range(0, len(sessions), SESSIONS_PER_QUERY)
    ]  # fmt: skip


_USERS_STEPS = ["LOAD", "1", "@userId", "GROUPBY", "0", "REDUCE", "TOLIST", "1", "@userId",
                "AS", "u"]  # fmt: skip


def _users(value: Any) -> set[str]:
    return {v for v in value if v} if isinstance(value, list) else set()


async def _visitors(redis: aioredis.Redis, site_id: str, start_ms: int, end_ms: int,
                    kinds: Split, sessions: list[str]) -> int:  # fmt: skip
    """Distinct users of the matching events in [start, end) of the given sessions."""
    users: set[str] = set()
    for rows in await _in_sessions(redis, site_id, start_ms, end_ms, kinds, sessions,
                                   _USERS_STEPS):  # fmt: skip
        for row in rows:
            users |= _users(row.get("u"))
    return len(users)


async def _active_totals(redis: aioredis.Redis, site_id: str, start_ms: int, end_ms: int,
                         kinds: Split, rows: list[Row]) -> dict[str, int]:  # fmt: skip
    """events, pageviews, users, sessions of the session rows active in [start, end)."""
    active = [row for row in rows if _int(row, "ev") > 0]
    ids = [row["sessionId"] for row in active]
    return {
        "events": sum(_int(row, "ev") for row in active),
        "pageviews": sum(_int(row, "evpv") for row in active),
        "users": await _visitors(redis, site_id, start_ms, end_ms, kinds, ids),
        "sessions": len(active),
    }


async def totals(redis: aioredis.Redis, *, site_id: str, start_ms: int, end_ms: int,
                 filters: Filters) -> dict[str, int]:  # fmt: skip
    """events, pageviews, users, sessions in [start, end) under the filters."""
    kinds = split(filters)
    if kinds.session:
        rows = await _sessions(redis, site_id, start_ms, end_ms, kinds, ACTIVE)
        return await _active_totals(redis, site_id, start_ms, end_ms, kinds, rows)
    query, steps = _event_level(site_id, start_ms, end_ms, kinds)
    rows = await aggregate(
        redis, query, *steps,
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


def _visit_numbers(started: list[Row]) -> dict[str, int]:
    """started, bounces, dur (ms) of sessions."""
    return {
        "started": len(started),
        "bounces": sum(1 for r in started if _int(r, "n") == 1 and _int(r, "pvs") == 1),
        "dur": sum(_int(r, "last") - _int(r, "first") for r in started),
    }


async def summary_totals(redis: aioredis.Redis, *, site_id: str, start_ms: int, end_ms: int,
                         filters: Filters) -> dict[str, int]:  # fmt: skip
    """totals() in [start, end), and started, bounces, dur (ms) of the selected sessions that
    began then: each session whole, whichever of its events matched."""
    kinds = split(filters)
    if kinds.session:  # one pass over the sessions for both
        rows = await _sessions(redis, site_id, start_ms, end_ms, kinds, EITHER)
        return {
            **await _active_totals(redis, site_id, start_ms, end_ms, kinds, rows),
            **_visit_numbers([row for row in rows if _int(row, "st") == 1]),
        }
    steps = _session_steps(kinds, start_ms=start_ms, end_ms=end_ms, select=STARTED)
    counted, visits = await asyncio.gather(
        totals(redis, site_id=site_id, start_ms=start_ms, end_ms=end_ms, filters=filters),
        aggregate(
            redis, _session_query(site_id, start_ms, end_ms), *steps,
            "APPLY", "@last - @first", "AS", "dur",
            "APPLY", "@n == 1 && @pvs == 1", "AS", "bounce",
            "GROUPBY", "0",
            "REDUCE", "COUNT", "0", "AS", "started",
            "REDUCE", "SUM", "1", "@bounce", "AS", "bounces",
            "REDUCE", "SUM", "1", "@dur", "AS", "dur",
        ),
    )  # fmt: skip
    row = visits[0] if visits else {}
    return {**counted, **{k: _int(row, k) for k in ("started", "bounces", "dur")}}


async def top_by_session(redis: aioredis.Redis, *, site_id: str, start_ms: int, end_ms: int,
                         filters: Filters, dimension: str,
                         limit: int) -> list[dict[str, Any]]:  # fmt: skip
    """value, count (sessions), visitors for a session-level dimension: the value of each
    selected session that began in the period (its first event's; entryPage: its first page
    view's path; exitPage: its last); visitors are the users of those sessions' first events.
    Sessions without a value make a '' row for the dimensions in EMPTY_ROW_DIMENSIONS."""
    kinds = split(filters)
    alias = f"s{len(kinds.session)}"
    rows = await _sessions(redis, site_id, start_ms, end_ms, kinds, STARTED, dimension)
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
        ids = [row["sessionId"] for row in await _sessions(redis, site_id, start_ms, end_ms,
                                                            kinds, ACTIVE)]  # fmt: skip
        steps = ["LOAD", "3", f"@{field}", "@userId", "@sessionId", "FILTER", f"exists(@{field})",
                 "GROUPBY", "1", f"@{field}",
                 "REDUCE", "COUNT", "0", "AS", "count",
                 "REDUCE", "TOLIST", "1", "@userId", "AS", "u",
                 "REDUCE", "COUNT_DISTINCT", "1", "@sessionId", "AS", "sessions",
                 "LIMIT", "0", str(MAX_ROWS)]  # fmt: skip
        counts: dict[str, list[int]] = {}
        users: dict[str, set[str]] = {}
        for rows in await _in_sessions(redis, site_id, start_ms, end_ms, kinds, ids, steps):
            for row in rows:  # sessions never span groups: their counts add up
                value = str(row.get(field, ""))
                total = counts.setdefault(value, [0, 0])
                total[0] += _int(row, "count")
                total[1] += _int(row, "sessions")
                users.setdefault(value, set()).update(_users(row.get("u")))
        ranked = sorted(counts.items(), key=lambda item: (-item[1][0], item[0]))[:limit]
        return [{"value": v, "count": c, "users": len(users[v]), "sessions": n}
                for v, (c, n) in ranked]  # fmt: skip
    query, filter_steps = _event_level(site_id, start_ms, end_ms, kinds)
    rows = await aggregate(
        redis, query, *filter_steps,
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


async def minutes(redis: aioredis.Redis, *, site_id: str, start_ms: int, end_ms: int,
                  filters: Filters) -> tuple[int, dict[int, int]]:  # fmt: skip
    """(distinct users in the last 5 minutes of the window, events per UTC minute)."""
    kinds = split(filters)
    per_minute_steps = ["APPLY", "floor(@eventTime / 60000)", "AS", "minute",
                        "GROUPBY", "1", "@minute", "REDUCE", "COUNT", "0", "AS", "events",
                        "LIMIT", "0", "100"]  # fmt: skip
    recent = end_ms - 5 * 60_000
    if kinds.session:
        ids = [row["sessionId"] for row in await _sessions(redis, site_id, start_ms, end_ms,
                                                            kinds, ACTIVE)]  # fmt: skip
        per_minute: dict[int, int] = {}
        for rows in await _in_sessions(redis, site_id, start_ms, end_ms, kinds, ids,
                                       per_minute_steps):  # fmt: skip
            for row in rows:
                minute = _int(row, "minute")
                per_minute[minute] = per_minute.get(minute, 0) + _int(row, "events")
        return await _visitors(redis, site_id, recent, end_ms, kinds, ids), per_minute
    query, filter_steps = _event_level(site_id, start_ms, end_ms, kinds)
    rows = await aggregate(redis, query, *filter_steps, *per_minute_steps)
    recent_query, _ = _event_level(site_id, recent, end_ms, kinds)
    users = await aggregate(
        redis, recent_query, *filter_steps, "LOAD", "1", "@userId",
        "GROUPBY", "0", "REDUCE", "COUNT_DISTINCT", "1", "@userId", "AS", "users",
    )  # fmt: skip
    per_minute = {_int(row, "minute"): _int(row, "events") for row in rows}
    return (_int(users[0], "users") if users else 0), per_minute


async def clause_totals(redis: aioredis.Redis, *, site_id: str, start_ms: int, end_ms: int,
                        filters: Filters, clause: str) -> tuple[int, int]:  # fmt: skip
    """(events, distinct users) of the events in [start, end) that the filters keep and that
    match an extra index clause (a goal's)."""
    kinds = split(filters)
    if kinds.session:
        ids = [row["sessionId"] for row in await _sessions(redis, site_id, start_ms, end_ms,
                                                            kinds, ACTIVE)]  # fmt: skip
        query, filter_steps = _event_level(site_id, start_ms, end_ms, kinds)
        events, users = 0, set()
        for i in range(0, len(ids), SESSIONS_PER_QUERY):
            chunk = _sessions_clause(ids[i : i + SESSIONS_PER_QUERY])
            for row in await aggregate(
                redis, f"{query} {clause} {chunk}", *filter_steps, "LOAD", "1", "@userId",
                "GROUPBY", "0", "REDUCE", "COUNT", "0", "AS", "n",
                "REDUCE", "TOLIST", "1", "@userId", "AS", "u",
            ):  # fmt: skip
                events += _int(row, "n")
                users |= _users(row.get("u"))
        return events, len(users)
    query, filter_steps = _event_level(site_id, start_ms, end_ms, kinds)
    rows = await aggregate(
        redis, f"{query} {clause}", *filter_steps, "LOAD", "1", "@userId",
        "GROUPBY", "0", "REDUCE", "COUNT", "0", "AS", "n",
        "REDUCE", "COUNT_DISTINCT", "1", "@userId", "AS", "u",
    )  # fmt: skip
    row = rows[0] if rows else {}
    return _int(row, "n"), _int(row, "u")


async def page_paths(redis: aioredis.Redis, *, site_id: str, start_ms: int,
                     end_ms: int) -> list[str]:  # fmt: skip
    """The distinct paths with a page view in [start, end)."""
    rows = await aggregate(
        redis, event_query(site_id, start_ms, end_ms, [("eventName", PAGE_VIEW)]),
        "LOAD", "1", "@path", "GROUPBY", "1", "@path", "LIMIT", "0", str(MAX_ROWS),
    )  # fmt: skip
    return [str(row["path"]) for row in rows if row.get("path")]


async def clause_events(redis: aioredis.Redis, *, site_id: str, start_ms: int, end_ms: int,
                        filters: Filters, clause: str) -> list[dict[str, str]]:  # fmt: skip
    """userId, sessionId, eventName, path, eventTime of every event in [start, end) that the
    filters keep and that matches an extra index clause; 503 past MAX_ROWS."""
    kinds = split(filters)
    query, filter_steps = _event_level(site_id, start_ms, end_ms, kinds)
    load = ["LOAD", "5", "@userId", "@sessionId", "@eventName", "@path", "@eventTime"]
    if kinds.session:
        ids = [row["sessionId"] for row in await _sessions(redis, site_id, start_ms, end_ms,
                                                            kinds, ACTIVE)]  # fmt: skip
        batches = [f"{query} ({clause}) {_sessions_clause(ids[i : i + SESSIONS_PER_QUERY])}"
                   for i in range(0, len(ids), SESSIONS_PER_QUERY)]  # fmt: skip
    else:
        batches = [f"{query} ({clause})"]
    rows: list[dict[str, str]] = []
    for batch in batches:
        found = await aggregate(redis, batch, *filter_steps, *load, "LIMIT", "0", str(MAX_ROWS))
        rows += [{k: str(v) for k, v in row.items()} for row in found]
        if len(rows) >= MAX_ROWS:
            raise ServiceUnavailable(TOO_LONG, retry_after=10)
    return rows


async def active_users(redis: aioredis.Redis, *, site_id: str, start_ms: int, end_ms: int,
                       filters: Filters) -> set[str]:  # fmt: skip
    """The users of the events in [start, end) that the filters keep."""
    kinds = split(filters)
    if kinds.session:
        rows = await _sessions(redis, site_id, start_ms, end_ms, kinds, ACTIVE)
        ids = [row["sessionId"] for row in rows]
        groups = await _in_sessions(redis, site_id, start_ms, end_ms, kinds, ids, _USERS_STEPS)
    else:
        query, filter_steps = _event_level(site_id, start_ms, end_ms, kinds)
        groups = [await aggregate(redis, query, *filter_steps, *_USERS_STEPS)]
    users: set[str] = set()
    for rows in groups:
        for row in rows:
            users |= _users(row.get("u"))
    return users
