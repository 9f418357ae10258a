"""Retention: the period's visitors grouped by the day, week (Monday) or month of their first
event in it, in the zone; `retained[i]` counts those of a cohort with an event i units later."""

from __future__ import annotations

import asyncio
from datetime import date, timedelta
from typing import Any

import redis.asyncio as aioredis

from tracking_system.common.errors import InvalidInput
from tracking_system.common.zones import day_start_ms
from tracking_system.tracking.stats import raw
from tracking_system.tracking.stats.filters import Filters
from tracking_system.tracking.stats.params import Period

UNITS = ("day", "week", "month")
CONCURRENCY = 4


def parse_unit(value: str | None) -> str:
    """day, week or month (default week), or 400 on `unit`."""
    if value is None:
        return "week"
    if value not in UNITS:
        raise InvalidInput(errors={"unit": "Use day, week or month"})
    return value


def unit_starts(period: Period, unit: str) -> list[date]:
    """The first day of every unit the period touches, clipped to the period."""
    starts: list[date] = []
    day = period.first
    while day <= period.last:
        starts.append(day)
        if unit == "day":
            day += timedelta(days=1)
        elif unit == "week":
            day += timedelta(days=7 - day.weekday())
        else:
            day = (day.replace(day=1) + timedelta(days=32)).replace(day=1)
    return starts


async def get_retention(*, redis: aioredis.Redis, site_id: str, period: Period, filters: Filters,
                        unit: str) -> dict[str, Any]:  # fmt: skip
    """`{cohorts: [{start, size, retained: [n0, n1, ...]}]}`, oldest cohort first."""
    starts = unit_starts(period, unit)
    bounds = [day_start_ms(d, period.zone) for d in starts] + [period.end_ms()]
    slots = asyncio.Semaphore(CONCURRENCY)

    async def users_of(i: int) -> set[str]:
        async with slots:
            return await raw.active_users(redis, site_id=site_id, start_ms=bounds[i],
                                          end_ms=bounds[i + 1], filters=filters)  # fmt: skip

    active = await asyncio.gather(*(users_of(i) for i in range(len(starts))))
    seen: set[str] = set()
    cohorts = []
    for i, start in enumerate(starts):
        cohort = active[i] - seen
        seen |= cohort
        retained = [len(cohort & active[j]) for j in range(i, len(starts))]
        cohorts.append({"start": start.isoformat(), "size": len(cohort), "retained": retained})
    return {"cohorts": cohorts}
