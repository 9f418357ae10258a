"""Chart intervals: a period cut into local hours, days, weeks (Monday first) or months."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Literal

from tracking_system.common.errors import InvalidInput
from tracking_system.tracking.stats.params import Period

Interval = Literal["hour", "day", "week", "month"]
INTERVALS: tuple[Interval, ...] = ("hour", "day", "week", "month")
MAX_POINTS = 366
MAX_HOUR_DAYS = 7
HOUR_MS = 3_600_000


@dataclass(frozen=True)
class Bucket:
    """One point of a series: its label, its bounds, and its whole local days (none for hours)."""

    start: str
    start_ms: int
    end_ms: int
    days: tuple[date, ...]


def default_interval(period: Period) -> Interval:
    """Hours for a day or two, days up to a quarter, months beyond (Plausible's choice)."""
    length = (period.last - period.first).days + 1
    if length <= 2:
        return "hour"
    return "day" if length <= 92 else "month"


def parse_interval(value: str | None, period: Period) -> Interval:
    """The interval asked for (or the period's default), or 400 on `interval` past its limit."""
    if value is None:
        return default_interval(period)
    interval = next((i for i in INTERVALS if i == value), None)
    if interval is None:
        raise InvalidInput(errors={"interval": "Use hour, day, week or month"})
    length = (period.last - period.first).days + 1
    if interval == "hour" and length > MAX_HOUR_DAYS:
        raise InvalidInput(errors={"interval": f"Hours cover at most {MAX_HOUR_DAYS} days"})
    check_points(period, interval, field="interval")
    return interval


def check_points(period: Period, interval: Interval, *, field: str) -> None:
    """400 on `field` when the period holds more than MAX_POINTS of the interval."""
    if len(_day_groups(period, interval)) > MAX_POINTS:
        raise InvalidInput(errors={field: f"At most {MAX_POINTS} points: use a longer unit"})


def _week_start(day: date) -> date:
    return day - timedelta(days=day.weekday())


def _month_start(day: date) -> date:
    return day.replace(day=1)


def _day_groups(period: Period, interval: Interval) -> list[tuple[date, ...]]:
    """The period's days grouped by day, week or month (the first and last clipped to it)."""
    if interval in ("hour", "day"):
        return [(d,) for d in period.days]
    start_of = _week_start if interval == "week" else _month_start
    groups: dict[date, list[date]] = {}
    for day in period.days:
        groups.setdefault(start_of(day), []).append(day)
    return [tuple(days) for days in groups.values()]


def _hours(period: Period) -> list[Bucket]:
    """Every hour from local midnight of the first day to the one after the last (DST days have
    23 or 25); labelled by their local start with its offset, so a repeated 01:00 stays two."""
    zone = period.zone
    end = period.end_ms()
    out = []
    for start in range(period.start_ms(), end, HOUR_MS):
        label = datetime.fromtimestamp(start / 1000, zone).isoformat(timespec="minutes")
        out.append(Bucket(label, start, min(start + HOUR_MS, end), ()))
    return out


def buckets(period: Period, interval: Interval) -> list[Bucket]:
    """The points of `period` at `interval`, oldest first."""
    if interval == "hour":
        return _hours(period)
    out = []
    for days in _day_groups(period, interval):
        end = period.start_ms(days[-1] + timedelta(days=1))
        out.append(Bucket(days[0].isoformat(), period.start_ms(days[0]), end, days))
    return out
