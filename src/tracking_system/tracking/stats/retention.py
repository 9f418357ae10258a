"""Retention: the period's visitors grouped by the day, week (Monday) or month of their first
event in it, in the zone; `retained[i]` counts those of a cohort with an event i units later."""

from __future__ import annotations

from typing import Any

import redis.asyncio as aioredis

from tracking_system.common.errors import InvalidInput
from tracking_system.tracking.stats import columnar, intervals, sql
from tracking_system.tracking.stats.filters import Filters
from tracking_system.tracking.stats.intervals import Interval
from tracking_system.tracking.stats.params import Period

UNITS: tuple[Interval, ...] = ("day", "week", "month")


def parse_unit(value: str | None) -> Interval:
    """day, week or month (default week), or 400 on `unit`."""
    if value is None:
        return "week"
    unit = next((u for u in UNITS if u == value), None)
    if unit is None:
        raise InvalidInput(errors={"unit": "Use day, week or month"})
    return unit


async def get_retention(*, redis: aioredis.Redis, site_id: str, period: Period, filters: Filters,
                        unit: Interval) -> dict[str, Any]:  # fmt: skip
    """`{cohorts: [{start, size, retained: [n0, n1, ...]}]}`, oldest cohort first."""
    intervals.check_points(period, unit, field="unit")
    units = intervals.buckets(period, unit)
    start, end = period.start_ms(), period.end_ms()
    events = await columnar.events_near(redis, site_id=site_id, start_ms=start, end_ms=end)
    rows = await columnar.query(sql.retention(filters, [b.start_ms for b in units], end),
                                events=events)  # fmt: skip
    counts = {(cohort, offset): n for cohort, offset, n in rows}
    return {"cohorts": [
        {"start": bucket.start, "size": counts.get((i, 0), 0),
         "retained": [counts.get((i, j), 0) for j in range(len(units) - i)]}
        for i, bucket in enumerate(units)
    ]}  # fmt: skip
