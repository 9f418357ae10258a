"""What a filter means (README, "Filters"): a session-level dimension keeps whole sessions, an
event-level one keeps the matching events (and, for visit metrics, the sessions holding one)."""

from __future__ import annotations

from dataclasses import dataclass

from tracking_system.common import rollups

Filters = list[tuple[str, str]]

# A session's value of these is its first event's (entryPage: its first page view's path,
# exitPage: its last page view's path), as in the breakdowns.
SESSION_FILTERS = frozenset(rollups.SESSION_DIMENSIONS + rollups.PAGE_SESSION_DIMENSIONS)
EVENT_FILTERS = frozenset({"eventName", "page", "userId", "sessionId"})
# Breakdowns of these show the sessions without a value as a '' row ("Direct / None",
# "Unknown"), and `dimension:` (an empty value) filters by it.
EMPTY_ROW_DIMENSIONS = frozenset(rollups.EMPTY_ROW_DIMENSIONS)
# Event-level fields the index can match by itself (context keys are not indexed).
INDEXED_EVENT_FIELDS = frozenset({"eventName", "path", "userId", "sessionId"})


def field_of(dimension: str) -> str:
    """The hash field behind a filter or breakdown dimension."""
    if dimension == "page":
        return "path"
    if dimension.startswith("context."):
        return "ctx_" + dimension.removeprefix("context.")
    return dimension


def literal(value: str) -> str:
    """A value as a quoted string of the aggregation expression language."""
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def equals(field: str, value: str) -> str:
    """True when the property exists and equals the value (a missing one is no error)."""
    return f"(exists(@{field}) && @{field} == {literal(value)})"


@dataclass(frozen=True)
class Split:
    """A request's filters by kind."""

    session: Filters
    event: Filters

    @property
    def indexed(self) -> Filters:
        """Event filters the index answers: (field, value)."""
        return [(field_of(d), v) for d, v in self.event if field_of(d) in INDEXED_EVENT_FIELDS]

    @property
    def loaded(self) -> Filters:
        """Event filters matched after loading the field (context keys): (field, value)."""
        return [(field_of(d), v) for d, v in self.event if field_of(d) not in INDEXED_EVENT_FIELDS]

    def event_match(self) -> str:
        """An expression true for an event every event filter holds for ("1" when none)."""
        return " && ".join(equals(field_of(d), v) for d, v in self.event) or "1"


def split(filters: Filters) -> Split:
    """Filters by kind; several filters must all hold."""
    return Split(
        session=[(d, v) for d, v in filters if d in SESSION_FILTERS],
        event=[(d, v) for d, v in filters if d not in SESSION_FILTERS],
    )
