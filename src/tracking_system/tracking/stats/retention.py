"""Retention: the period's visitors grouped by the day, week (Monday) or month of their first
event in it, in the zone; `retained[i]` counts those of a cohort with an event i units later."""

from __future__ import annotations

from functools import partial
from typing import Any

import redis.asyncio as aioredis

from tracking_system.common.errors import InvalidInput
from tracking_system.tracking.stats import intervals, raw
from tracking_system.tracking.stats.aggregate import gather_raw
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
    active = await gather_raw(
        partial(raw.active_users, redis, site_id=site_id, start_ms=b.start_ms, end_ms=b.end_ms,
                filters=filters)
        for b in units
    )  # fmt: skip
    seen: set[str] = set()
    cohorts = []
    for i, bucket in enumerate(units):
        cohort = active[i] - seen
        seen |= cohort
        retained = [len(cohort & active[j]) for j in range(i, len(units))]
        cohorts.append({"start": bucket.start, "size": len(cohort), "retained": retained})
    return {"cohorts": cohorts}
