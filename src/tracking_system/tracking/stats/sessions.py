"""Whole sessions on the raw path: a session-level filter (and a session breakdown) needs every
event of a session, grouped with FIRST_VALUE by time, after the index has named the sessions that
can match (or, when they are too many, over every event near the period)."""

from __future__ import annotations

from typing import Any

import redis.asyncio as aioredis

from tracking_system.common.errors import ServiceUnavailable
from tracking_system.common.search import tag_clause, tag_union
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
from tracking_system.tracking.stats.filters import Split, equals, field_of

# Sessions are attributed to the day they start; to see their whole span the session queries
# look this far beyond the period on both sides.
SESSION_MARGIN_MS = 6 * 3600 * 1000
# Sessions named in one query when a session-level filter has to be joined to events.
SESSIONS_PER_QUERY = 500
# Past this many candidate sessions, one scan of the period's events is cheaper than naming them.
NARROW_LIMIT = 20_000
# Session-level dimensions the index holds on every event that has them.
INDEXED_SESSION_FIELDS = frozenset(
    {"referrerDomain", "utmSource", "utmMedium", "utmCampaign", "browser", "os", "device",
     "country"}
)  # fmt: skip


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
        return value if as_int(row, "pvs") > 0 else ""
    return value if as_int(row, f"{alias}_t") == as_int(row, "first") else ""


STARTED, ACTIVE, EITHER = "started", "active", "either"


def session_steps(split: Split, *, start_ms: int, end_ms: int, value: str | None = None,
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


def session_query(site_id: str, start_ms: int, end_ms: int) -> str:
    """Every non-bot event of the site near [start, end): sessions are taken whole."""
    return event_query(site_id, start_ms - SESSION_MARGIN_MS, end_ms + SESSION_MARGIN_MS)


async def _candidates(redis: aioredis.Redis, site_id: str, start_ms: int, end_ms: int,
                      clause: str) -> set[str] | None:  # fmt: skip
    """The sessions with an event matching `clause` near [start, end), from the index alone;
    None when they are too many to be worth naming."""
    rows = await aggregate(
        redis, site_id, session_query(site_id, start_ms, end_ms) + " " + clause,
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


async def selected(redis: aioredis.Redis, site_id: str, start_ms: int, end_ms: int,
                    kinds: Split, select: str, value: str | None = None) -> list[Row]:  # fmt: skip
    """One row per session the filters select (see _session_steps), with its numbers.

    When the index narrows the candidates to a few sessions, only those are grouped, named a
    group at a time; otherwise every event near the period is."""
    steps = session_steps(kinds, start_ms=start_ms, end_ms=end_ms, select=select, value=value)
    query = session_query(site_id, start_ms, end_ms)
    for clause in _narrowing_clauses(kinds):  # the first that names few enough sessions
        candidates = await _candidates(redis, site_id, start_ms, end_ms, clause)
        if candidates is None:
            continue
        named = sorted(candidates)
        rows: list[Row] = []
        for i in range(0, len(named), SESSIONS_PER_QUERY):
            chunk = sessions_clause(named[i : i + SESSIONS_PER_QUERY])
            rows += await aggregate(redis, site_id, query + " " + chunk, *steps, "LIMIT", "0",
                                    str(SESSIONS_PER_QUERY))  # fmt: skip
        return rows
    rows = await aggregate(redis, site_id, query, *steps, "LIMIT", "0", str(MAX_ROWS))
    if len(rows) >= MAX_ROWS:
        raise ServiceUnavailable(TOO_LONG, retry_after=10)
    return rows


def sessions_clause(sessions: list[str]) -> str:
    """`@sessionId:{a | b | ...}`."""
    return tag_union("sessionId", sessions)


async def active_ids(redis: aioredis.Redis, site_id: str, start_ms: int, end_ms: int,
                     kinds: Split) -> list[str]:  # fmt: skip
    """The sessions with an event in [start, end) that the filters keep."""
    return [row["sessionId"] for row in await selected(redis, site_id, start_ms, end_ms, kinds,
                                                       ACTIVE)]  # fmt: skip


async def in_sessions(redis: aioredis.Redis, site_id: str, start_ms: int, end_ms: int,
                      kinds: Split, sessions: list[str], steps: list[str],
                      clause: str = "") -> list[list[Row]]:  # fmt: skip
    """`steps` run over the matching events in [start, end) of the given sessions (and of an
    extra index clause), a group of sessions at a time (a user may appear in several groups:
    distinct users come back as lists)."""
    query, filter_steps = event_level(site_id, start_ms, end_ms, kinds)
    if clause:
        query += f" ({clause})"
    return [
        await aggregate(redis, site_id,
                        query + " " + sessions_clause(sessions[i : i + SESSIONS_PER_QUERY]),
                        *filter_steps, *steps)
        for i in range(0, len(sessions), SESSIONS_PER_QUERY)
    ]  # fmt: skip


USERS_STEPS = ["LOAD", "1", "@userId", "GROUPBY", "0", "REDUCE", "TOLIST", "1", "@userId",
                "AS", "u"]  # fmt: skip


def users_of(value: Any) -> set[str]:
    """The user ids of a TOLIST reply value."""
    return {v for v in value if v} if isinstance(value, list) else set()


async def visitors(redis: aioredis.Redis, site_id: str, start_ms: int, end_ms: int,
                    kinds: Split, sessions: list[str]) -> int:  # fmt: skip
    """Distinct users of the matching events in [start, end) of the given sessions."""
    users: set[str] = set()
    for rows in await in_sessions(redis, site_id, start_ms, end_ms, kinds, sessions,
                                   USERS_STEPS):  # fmt: skip
        for row in rows:
            users |= users_of(row.get("u"))
    return len(users)
