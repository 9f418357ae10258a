"""The one builder of raw-event queries: DuckDB SQL over the columnar tier's `events` table, with
the filter vocabulary of filters.py. A session-level filter keeps the sessions whose value (their
first event's; the first or last page view's path for entry and exit pages) matches, reckoned
over their events near the period; an event-level filter keeps the events matching it. Bots are
always left out. Visitors and sessions are counted by `vid` and `sid` (the userId and sessionId
as integers: stats/columnar.py).
Identifiers come from fixed sets; every value is a bound parameter."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import orjson

from tracking_system.common.columnar import COLUMNS
from tracking_system.tracking.stats.filters import EMPTY_ROW_DIMENSIONS, Filters, field_of, split

PAGE_VIEW = "PAGE_VIEW"
# Sessions are attributed to the day they start; to see them whole, the session-level parts
# look this far beyond the period on both sides.
SESSION_MARGIN_MS = 6 * 3600 * 1000


@dataclass
class Query:
    """SQL text with its parameters, built in order."""

    text: str = ""
    params: list[Any] = field(default_factory=list)

    def add(self, text: str, *params: Any) -> Query:
        """Append text and its parameters."""
        self.text += text
        self.params += params
        return self

    def extend(self, other: Query) -> Query:
        """Append another query's text and parameters."""
        return self.add(other.text, *other.params)


def column(name: str) -> str:
    """A column of the events table, quoted (names come from COLUMNS only)."""
    if name not in COLUMNS:
        raise ValueError(f"no column {name!r}")
    return f'"{name}"'


def _context_key(dimension: str) -> str:
    return dimension.removeprefix("context.").replace('"', "")


def value_of(dimension: str) -> Query:
    """An event's value of an event-level dimension (NULL when a context key is missing)."""
    if dimension.startswith("context."):
        path = '$."' + _context_key(dimension) + '"'
        return Query("json_extract_string(NULLIF(ctx, ''), ?)", [path])
    return Query(column(field_of(dimension)))


def _equals(dimension: str, value: str) -> Query:
    """True of the events whose value of an event-level dimension is `value`. For a context
    key, `ctx` (orjson's text of the event's key -> string object) must first contain the pair
    as orjson writes it: a substring search spares parsing the JSON of most rows."""
    query = Query()
    if dimension.startswith("context."):
        pair = orjson.dumps(_context_key(dimension)) + b":" + orjson.dumps(value)
        query.add("contains(ctx, ?) AND ", pair.decode())
    return query.extend(value_of(dimension)).add(" = ?", value)


def _event_match(filters: Filters) -> Query:
    """True of the events every event-level filter holds for."""
    parts = Query()
    for dimension, value in split(filters).event:
        parts.add(" AND " if parts.text else "").extend(_equals(dimension, value))
    return parts if parts.text else Query("TRUE")


def _session_value(dimension: str) -> str:
    if dimension == "entryPage":
        return f'arg_min(path, "eventTime") FILTER (WHERE "eventName" = \'{PAGE_VIEW}\')'
    if dimension == "exitPage":
        return f'arg_max(path, "eventTime") FILTER (WHERE "eventName" = \'{PAGE_VIEW}\')'
    return f'arg_min({column(field_of(dimension))}, "eventTime")'


def scope(filters: Filters, start_ms: int, end_ms: int, *, sessions: bool = False,
          value: str | None = None) -> Query:  # fmt: skip
    """`WITH kept AS (...)`: the non-bot events in [start, end) that the filters keep. With
    `sessions` (or a session filter, or a session-level `value` to break down by), also `sess`:
    one row per session near the period (first, last, n, pvs, uid its first event's user, mm
    whether an event matches the event filters, s<i> its values of the session filters, v of
    `value`), and `started`: the sessions the filters select that began in [start, end)."""
    kinds = split(filters)
    match = _event_match(filters)
    query = Query("WITH ")
    if not (sessions or kinds.session or value):
        query.add('kept AS (SELECT * FROM events WHERE bot = 0 AND "eventTime" >= ? '
                  'AND "eventTime" < ? AND ', start_ms, end_ms)  # fmt: skip
        return query.extend(match).add(")")
    values = [_session_value(d) + f" AS s{i}" for i, (d, _) in enumerate(kinds.session)]
    if value:
        values.append(_session_value(value) + " AS v")
    query.add(
        'near AS (SELECT * FROM events WHERE bot = 0 AND "eventTime" >= ? AND "eventTime" < ?), ',
        start_ms - SESSION_MARGIN_MS,
        end_ms + SESSION_MARGIN_MS,
    )
    query.add('sess AS (SELECT sid, min("eventTime") AS first, max("eventTime") AS last, '
              f"count(*) AS n, count_if(\"eventName\" = '{PAGE_VIEW}') AS pvs, "
              'arg_min(vid, "eventTime") AS uid, bool_or(')  # fmt: skip
    query.extend(match).add(") AS mm" + "".join(", " + v for v in values))
    query.add(" FROM near GROUP BY sid), ")
    selected = Query("".join(f" AND s{i} = ?" for i in range(len(kinds.session))),
                     [v for _, v in kinds.session])  # fmt: skip
    query.add("kept AS (SELECT near.* FROM near JOIN sess USING (sid) "
              'WHERE "eventTime" >= ? AND "eventTime" < ? AND ', start_ms, end_ms)  # fmt: skip
    query.extend(match).extend(selected).add("), ")
    query.add("started AS (SELECT * FROM sess WHERE first >= ? AND first < ? AND mm",
              start_ms, end_ms)  # fmt: skip
    return query.extend(selected).add(")")


def unit_index(value: str, starts: list[int]) -> Query:
    """The index of the last of the ascending `starts` at or before `value` (an expression at
    or after starts[0]): a balanced CASE, so each row makes log2(len(starts)) comparisons (an
    ASOF join on a table of starts sorts every row: twice as slow)."""

    def within(lo: int, hi: int) -> Query:
        if hi - lo == 1:
            return Query(str(lo))
        mid = (lo + hi) // 2
        query = Query(f"CASE WHEN {value} < ? THEN ", [starts[mid]]).extend(within(lo, mid))
        return query.add(" ELSE ").extend(within(mid, hi)).add(" END")

    return within(0, len(starts))


def series(filters: Filters, starts: list[int], end_ms: int) -> Query:
    """Rows (i, events, pageviews, users, sessions, started, bounces, dur) per unit i of the
    contiguous units beginning at `starts` (the last ending at `end_ms`): the events kept in
    each, and the selected sessions that began in each (whole: n, duration over all their
    events)."""
    query = scope(filters, starts[0], end_ms, sessions=True).add(", ev AS (SELECT ")
    query.extend(unit_index('"eventTime"', starts)).add(
        " AS i, count(*) AS events, "
        f"count_if(\"eventName\" = '{PAGE_VIEW}') AS pageviews, "
        "count(DISTINCT vid) AS users, count(DISTINCT sid) AS sessions "
        "FROM kept GROUP BY i), st AS (SELECT "
    )
    query.extend(unit_index("first", starts))
    return query.add(
        " AS i, count(*) AS started, count_if(n = 1 AND pvs = 1) AS bounces, "
        "sum(last - first) AS dur FROM started GROUP BY i) "
        "SELECT i, coalesce(events, 0), coalesce(pageviews, 0), coalesce(users, 0), "
        "coalesce(sessions, 0), coalesce(started, 0), coalesce(bounces, 0), coalesce(dur, 0) "
        "FROM ev FULL JOIN st USING (i)"
    )


def top_by_session(filters: Filters, start_ms: int, end_ms: int, dimension: str,
                   limit: int) -> Query:  # fmt: skip
    """Rows (value, sessions, visitors) of the selected sessions that began in the period, by
    their value of a session-level dimension; '' (none) is a row only for EMPTY_ROW_DIMENSIONS."""
    query = scope(filters, start_ms, end_ms, value=dimension)
    empty = "" if dimension in EMPTY_ROW_DIMENSIONS else " AND v != ''"
    return query.add(
        f" SELECT v, count(*) AS c, count(DISTINCT uid) FROM started WHERE v IS NOT NULL{empty} "
        "GROUP BY v ORDER BY c DESC, v ASC LIMIT ?", limit
    )  # fmt: skip


def top_by_event(filters: Filters, start_ms: int, end_ms: int, dimension: str, limit: int,
                 page_views_only: bool) -> Query:  # fmt: skip
    """Rows (value, events, users, sessions) of the kept events by an event-level dimension,
    events without a value left out."""
    query = scope(filters, start_ms, end_ms)
    only = f" AND \"eventName\" = '{PAGE_VIEW}'" if page_views_only else ""
    present = "" if dimension.startswith("context.") else " AND value != ''"
    query.add(" SELECT value, count(*) AS c, count(DISTINCT vid), count(DISTINCT sid)"
              " FROM (SELECT ").extend(value_of(dimension))  # fmt: skip
    return query.add(
        f" AS value, vid, sid FROM kept WHERE TRUE{only}) WHERE value IS NOT NULL"
        f"{present} GROUP BY value ORDER BY c DESC, value ASC LIMIT ?", limit
    )  # fmt: skip


def minutes(filters: Filters, start_ms: int, end_ms: int, recent_ms: int) -> Query:
    """Rows (minute since the epoch, events), and one row (-1, distinct users since recent)."""
    query = scope(filters, start_ms, end_ms)
    return query.add(
        ' SELECT "eventTime" // 60000 AS minute, count(*) FROM kept GROUP BY minute UNION ALL '
        'SELECT -1, count(DISTINCT vid) FROM kept WHERE "eventTime" >= ?', recent_ms
    )  # fmt: skip


def like_pattern(match: str) -> str:
    """A page path with `*` wildcards as a LIKE pattern (ESCAPE '\\')."""
    escaped = match.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return escaped.replace("*", "%")


def step_condition(kind: str, match: str) -> Query:
    """True of the events a goal or funnel step names: an event name, or the page views of the
    paths a page pattern (`*`: any run of characters) matches. A pattern without `*` is an
    equality, and LIKE escapes only when it must (DuckDB's LIKE with ESCAPE and a bound pattern
    is several times slower)."""
    if kind == "event":
        return Query('"eventName" = ?', [match])
    page_view = f"\"eventName\" = '{PAGE_VIEW}' AND "
    if "*" not in match:
        return Query(f"({page_view}path = ?)", [match])
    if not any(c in match for c in "\\%_"):
        return Query(f"({page_view}path LIKE ?)", [match.replace("*", "%")])
    return Query(f"({page_view}path LIKE ? ESCAPE '\\')", [like_pattern(match)])


def goals(filters: Filters, start_ms: int, end_ms: int, steps: list[tuple[str, str]]) -> Query:
    """One row: the kept events' distinct users, then per goal its events and distinct users."""
    query = scope(filters, start_ms, end_ms).add(" SELECT count(DISTINCT vid)")
    for kind, match in steps:
        condition = step_condition(kind, match)
        query.add(", count_if(").extend(condition).add(")")
        query.add(", count(DISTINCT vid) FILTER (WHERE ").extend(condition).add(")")
    return query.add(" FROM kept")


def funnel_events(filters: Filters, start_ms: int, end_ms: int, steps: list[tuple[str, str]],
                  *, sessions: bool) -> Query:  # fmt: skip
    """The kept events that are some step, unordered: (u, [s,] t, mask: bit k set when the
    event is step k); `s` only with `sessions`."""
    session = "sid AS s, " if sessions else ""
    query = scope(filters, start_ms, end_ms).add(
        f' SELECT * FROM (SELECT vid AS u, {session}"eventTime" AS t, ('
    )
    for k, (kind, match) in enumerate(steps):
        query.add(" + " if k else "").add("CASE WHEN ").extend(step_condition(kind, match))
        query.add(f" THEN {1 << k} ELSE 0 END")
    return query.add(")::SMALLINT AS mask FROM kept) WHERE mask > 0")


def retention(filters: Filters, starts: list[int], end_ms: int) -> Query:
    """Rows (cohort, offset, visitors) over the contiguous units beginning at `starts` (the last
    ending at `end_ms`): the visitors whose first unit with a kept event is `cohort` and who have
    one `offset` units later."""
    query = scope(filters, starts[0], end_ms).add(", active AS (SELECT DISTINCT vid AS u, ")
    query.extend(unit_index('"eventTime"', starts))
    return query.add(
        " AS i FROM kept), cohorts AS (SELECT u, min(i) AS c FROM active GROUP BY u) "
        "SELECT c, i - c, count(*) FROM active JOIN cohorts USING (u) GROUP BY c, i - c"
    )


def first_event() -> Query:
    """One row: the earliest non-bot event time (NULL when none)."""
    return Query('SELECT min("eventTime") FROM events WHERE bot = 0')
