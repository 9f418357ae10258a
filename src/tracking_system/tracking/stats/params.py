"""Parsing the stats query parameters into a period in a zone, with bounded inputs."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from tracking_system.common import rollups, zones
from tracking_system.common.errors import InvalidInput
from tracking_system.common.zones import day_start_ms, today_in
from tracking_system.tracking.ingest.validation import has_control_chars
from tracking_system.tracking.stats import filters

# Points of a per-day series (`days`, /daily); a period itself may span ten years (rollup reads
# grow with its days, raw queries with its events).
MAX_DAYS = 366
MAX_PERIOD_DAYS = 3660
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
MAX_LIMIT = 1000
# Dates outside these bounds are refused: their previous period or local midnight in some zone
# would fall outside what the calendar arithmetic can represent.
FIRST_DAY = date(1970, 1, 1)
LAST_DAY = date(9998, 12, 31)
FILTER_DIMENSIONS = filters.SESSION_FILTERS | filters.EVENT_FILTERS
BREAKDOWN_DIMENSIONS = frozenset(rollups.DIMENSIONS)


@dataclass(frozen=True)
class Period:
    """Whole local days [first, last] in a zone, and their bounds in epoch milliseconds."""

    tz: str
    first: date
    last: date

    @property
    def zone(self) -> ZoneInfo:
        """The zone."""
        return zones.zone(self.tz)

    @property
    def days(self) -> list[date]:
        """Every local day of the period, oldest first."""
        return [self.first + timedelta(days=i) for i in range((self.last - self.first).days + 1)]

    def start_ms(self, day: date | None = None) -> int:
        """Epoch ms of local midnight at the start of `day` (default: the first day)."""
        return day_start_ms(day or self.first, self.zone)

    def end_ms(self) -> int:
        """Epoch ms of local midnight after the last day (exclusive bound)."""
        return day_start_ms(self.last + timedelta(days=1), self.zone)

    def previous(self) -> Period:
        """The period of the same length just before this one."""
        length = (self.last - self.first).days + 1
        return Period(self.tz, self.first - timedelta(days=length), self.first - timedelta(days=1))


def zone(name: str) -> ZoneInfo:
    """An IANA zone, or 400 on `tz` (names of the wrong shape included)."""
    if not name or len(name) > 64:
        raise InvalidInput(errors={"tz": f"Unknown time zone: {name[:64]}"})
    try:
        return zones.zone(name)
    except (ZoneInfoNotFoundError, ValueError, OSError) as exc:
        raise InvalidInput(errors={"tz": f"Unknown time zone: {name[:64]}"}) from exc


def parse_zone(value: str | None, default: str) -> str:
    """An IANA zone name, or 400 on `tz`."""
    name = value or default
    zone(name)
    return name


def parse_day(value: str, field: str) -> date:
    """A strict YYYY-MM-DD date between FIRST_DAY and LAST_DAY, or 400 on `field`."""
    if not _DATE.fullmatch(value):
        raise InvalidInput(errors={field: "Use a date as YYYY-MM-DD"})
    try:
        day = date.fromisoformat(value)
    except ValueError as exc:
        raise InvalidInput(errors={field: "Not a valid date"}) from exc
    if not FIRST_DAY <= day <= LAST_DAY:
        raise InvalidInput(errors={field: f"Use a date from {FIRST_DAY} to {LAST_DAY}"})
    return day


def parse_period(*, tz: str, start: str | None, end: str | None, default_days: int,
                 max_days: int = MAX_PERIOD_DAYS) -> Period:  # fmt: skip
    """`from`/`to` in the zone (inclusive), else the last `default_days` days ending today."""
    today = today_in(tz)
    if start is None and end is None:
        return Period(tz, today - timedelta(days=default_days - 1), today)
    first = parse_day(start, "from") if start else None
    last = parse_day(end, "to") if end else today
    if first is None:
        first = last - timedelta(days=default_days - 1)
    if first > last:
        raise InvalidInput(errors={"from": "Must not be after `to`"})
    if (last - first).days + 1 > max_days:
        raise InvalidInput(errors={"from": f"At most {max_days} days"})
    return Period(tz, first, last)


def parse_days(value: int | None) -> int:
    """`days` in 1..366."""
    if value is None:
        return 30
    if not 1 <= value <= MAX_DAYS:
        raise InvalidInput(errors={"days": f"Must be between 1 and {MAX_DAYS}"})
    return value


def parse_limit(value: int | None, default: int = 50) -> int:
    """`limit` in 1..MAX_LIMIT."""
    if value is None:
        return default
    if not 1 <= value <= MAX_LIMIT:
        raise InvalidInput(errors={"limit": f"Must be between 1 and {MAX_LIMIT}"})
    return value


def parse_filters(values: list[str] | None) -> list[tuple[str, str]]:
    """`dimension:value` pairs (the value may contain ':'); context.<key> is allowed too."""
    out: list[tuple[str, str]] = []
    for raw in values or []:
        dimension, sep, value = raw.partition(":")
        if not sep or (not value and dimension not in filters.EMPTY_ROW_DIMENSIONS):
            raise InvalidInput(errors={"filter": f"Use dimension:value, got {raw[:80]!r}"})
        if dimension not in FILTER_DIMENSIONS and not _is_context_key(dimension):
            raise InvalidInput(errors={"filter": f"Unknown dimension {dimension[:40]!r}"})
        if len(value) > 2048:
            raise InvalidInput(errors={"filter": "Value too long"})
        if has_control_chars(value):
            raise InvalidInput(errors={"filter": "A filter value has no control characters"})
        out.append((dimension, value))
    if len(out) > 10:
        raise InvalidInput(errors={"filter": "At most 10 filters"})
    return out


def _is_context_key(dimension: str) -> bool:
    key = dimension.removeprefix("context.")
    return (
        dimension.startswith("context.") and 0 < len(key) <= 64 and key.replace("_", "").isalnum()
    )


def parse_dimension(value: str) -> str:
    """A breakdown dimension, or 400 on `dimension`."""
    if value in BREAKDOWN_DIMENSIONS or _is_context_key(value):
        return value
    raise InvalidInput(errors={"dimension": f"Unknown dimension {value[:40]!r}"})
