"""DuckDB queries over the columnar tier, with the filter vocabulary of the raw path (filters.py):
a session-level filter keeps the sessions whose value (their first event's; the first or last
page view's path for entry and exit pages) matches, reckoned over their events near the period;
an event-level filter keeps the events matching it. Every value is a bound parameter."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from tracking_system.common.columnar import COLUMNS
from tracking_system.tracking.stats.filters import Filters, field_of, split
from tracking_system.tracking.stats.sessions import SESSION_MARGIN_MS

PAGE_VIEW = "PAGE_VIEW"


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


def column(name: str) -> str:
    """A column of the events table, quoted (names come from COLUMNS only)."""
    if name not in COLUMNS:
        raise ValueError(f"no column {name!r}")
    return f'"{name}"'


def _event_condition(dimension: str, value: str, query: Query) -> None:
    if dimension.startswith("context."):
        key = dimension.removeprefix("context.")
        query.add(" AND json_extract_string(ctx, ?) = ?", '$."' + key.replace('"', "") + '"', value)
    else:
        query.add(f" AND {column(field_of(dimension))} = ?", value)


def _session_value(dimension: str) -> str:
    if dimension == "entryPage":
        return f'arg_min(path, "eventTime") FILTER (WHERE "eventName" = \'{PAGE_VIEW}\')'
    if dimension == "exitPage":
        return f'arg_max(path, "eventTime") FILTER (WHERE "eventName" = \'{PAGE_VIEW}\')'
    return f'arg_min({column(field_of(dimension))}, "eventTime")'


def kept(filters: Filters, start_ms: int, end_ms: int) -> Query:
    """`WITH kept AS (...)`: the non-bot events in [start, end) that the filters keep, every
    column of the events table."""
    kinds = split(filters)
    query = Query("WITH ")
    if kinds.session:
        values = ", ".join(f"{_session_value(d)} AS s{i}" for i, (d, _) in enumerate(kinds.session))
        query.add(
            'near AS (SELECT * FROM events WHERE bot = 0 AND "eventTime" >= ? '
            'AND "eventTime" < ?), ',
            start_ms - SESSION_MARGIN_MS,
            end_ms + SESSION_MARGIN_MS,
        )
        query.add(f'sess AS (SELECT "sessionId", {values} FROM near GROUP BY "sessionId"), ')
        query.add('kept AS (SELECT near.* FROM near JOIN sess USING ("sessionId") '
                  'WHERE "eventTime" >= ? AND "eventTime" < ?', start_ms, end_ms)  # fmt: skip
        for i, (_, value) in enumerate(kinds.session):
            query.add(f" AND s{i} = ?", value)
    else:
        query.add('kept AS (SELECT * FROM events WHERE bot = 0 AND "eventTime" >= ? '
                  'AND "eventTime" < ?', start_ms, end_ms)  # fmt: skip
    for dimension, value in kinds.event:
        _event_condition(dimension, value, query)
    return query.add(")")


def like_pattern(match: str) -> str:
    """A page step's path with `*` wildcards as a LIKE pattern (ESCAPE '\\')."""
    escaped = match.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return escaped.replace("*", "%")


def step_condition(kind: str, match: str, query: Query) -> None:
    """Appends a condition true of the events that are the step."""
    if kind == "event":
        query.add('"eventName" = ?', match)
    else:
        query.add(f"(\"eventName\" = '{PAGE_VIEW}' AND path LIKE ? ESCAPE '\\')",
                  like_pattern(match))  # fmt: skip


def funnel_events(filters: Filters, start_ms: int, end_ms: int, steps: list[tuple[str, str]],
                  by_session: bool) -> Query:  # fmt: skip
    """The kept events that are some step: (u, s, t, c0..c<n-1>: which steps the event is), in
    each visitor's (and session's, `by_session`) order of time, then the funnel's order (the
    lowest step the event is), then arrival."""
    query = kept(filters, start_ms, end_ms)
    query.add(', m AS (SELECT "userId" AS u, "sessionId" AS s, "eventTime" AS t, "createdAt" AS r,'
              " id")  # fmt: skip
    for k, (kind, match) in enumerate(steps):
        query.add(", ")
        step_condition(kind, match, query)
        query.add(f" AS c{k}")
    flags = ", ".join(f"c{k}" for k in range(len(steps)))
    lowest = ", ".join(f"CASE WHEN c{k} THEN {k} END" for k in range(len(steps)))
    session = "s, " if by_session else ""
    return query.add(
        f" FROM kept) SELECT u, s, t, {flags} FROM m WHERE {' OR '.join(flags.split(', '))} "
        f"ORDER BY u, {session}t, least({lowest}), r, id"
    )


def retention(filters: Filters, start_ms: int, end_ms: int) -> Query:
    """Rows (cohort, offset, visitors) over the table `units` (i, start): the visitors whose
    first unit with a kept event is `cohort` and who have one `offset` units later."""
    query = kept(filters, start_ms, end_ms)
    return query.add(
        ', active AS (SELECT DISTINCT kept."userId" AS u, units.i AS i FROM kept '
        'ASOF JOIN units ON kept."eventTime" >= units.start), '
        "cohorts AS (SELECT u, min(i) AS c FROM active GROUP BY u) "
        "SELECT c, i - c, count(*) FROM active JOIN cohorts USING (u) GROUP BY c, i - c"
    )
