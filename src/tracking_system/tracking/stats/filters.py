"""What a filter means (README, "Filters"): a session-level dimension keeps whole sessions, an
event-level one keeps the matching events (and, for visit metrics, the sessions holding one)."""

from __future__ import annotations

from dataclasses import dataclass

from tracking_system.common import rollups
from tracking_system.common.columnar import CONTEXT_PREFIX

Filters = list[tuple[str, str]]

# A session's value of these is its first event's (entryPage: its first page view's path,
# exitPage: its last page view's path), as in the breakdowns.
SESSION_FILTERS = frozenset(rollups.SESSION_DIMENSIONS + rollups.PAGE_SESSION_DIMENSIONS)
EVENT_FILTERS = frozenset({"eventName", "page", "userId", "sessionId"})
# Breakdowns of these show the sessions without a value as a '' row ("Direct / None",
# "Unknown"), and `dimension:` (an empty value) filters by it.
EMPTY_ROW_DIMENSIONS = frozenset(rollups.EMPTY_ROW_DIMENSIONS)


def field_of(dimension: str) -> str:
    """The event field behind a filter or breakdown dimension (`ctx_<key>` for a context key)."""
    if dimension == "page":
        return "path"
    if dimension.startswith("context."):
        return CONTEXT_PREFIX + dimension.removeprefix("context.")
    return dimension


@dataclass(frozen=True)
class Split:
    """A request's filters by kind."""

    session: Filters
    event: Filters


def split(filters: Filters) -> Split:
    """Filters by kind; several filters must all hold."""
    return Split(
        session=[(d, v) for d, v in filters if d in SESSION_FILTERS],
        event=[(d, v) for d, v in filters if d not in SESSION_FILTERS],
    )
