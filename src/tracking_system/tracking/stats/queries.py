"""One function per stats endpoint. Each takes the rollups when they can answer (no filters,
rollups complete in the zone) and the raw events (raw.py) otherwise; both follow the metric
definitions of DESIGN.md, so the numbers agree whichever path answers."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime
from typing import Any

import redis.asyncio as aioredis

from tracking_system.common import rollups, zones
from tracking_system.common.zones import DEFAULT_ZONE, today_in
from tracking_system.tracking.goals import Goal, page_matches
from tracking_system.tracking.stats import intervals, raw, rollup
from tracking_system.tracking.stats.intervals import Interval
from tracking_system.tracking.stats.params import Period

Filters = list[tuple[str, str]]
# The most pages a page goal's pattern is matched against (every page viewed in the period).
MAX_PAGES = 100_000


async def _use_rollups(
    redis: aioredis.Redis, site_id: str, tz: str, filters: Filters, source: str = "auto"
) -> str | None:
    """The label of the zone's rollups (rollups.covers) when they answer, else None."""
    if source == "raw" or filters:
        return None
    return await rollups.covers(redis, site_id=site_id, tz=tz)


async def _rollup_view(redis: aioredis.Redis, site_id: str, tz: str, filters: Filters,
                       source: str) -> rollup.View | None:  # fmt: skip
    """The rollups that answer the totals under these filters: none, or one session-level filter
    (the filter rollups); None when the raw path must."""
    if source == "raw" or len(filters) > 1:
        return None
    if not filters:
        label = await rollups.covers(redis, site_id=site_id, tz=tz)
        return rollup.View(site_id, label) if label else None
    dimension, value = filters[0]
    if dimension not in rollups.SESSION_DIMENSIONS:
        return None
    label = await rollups.covers(redis, site_id=site_id, tz=tz, filters=True)
    return rollup.View(site_id, label, (dimension, value)) if label else None


async def get_overview(
    *, redis: aioredis.Redis, site_id: str, tz: str, filters: Filters, source: str = "auto"
) -> dict[str, Any]:
    """The seed's four cards plus lifetime events, under the same filters as every card."""
    today = today_in(tz)
    month = Period(tz, today.replace(day=1), today)
    day = Period(tz, today, today)
    view = await _rollup_view(redis, site_id, tz, filters, source)
    if view is not None:
        month_totals, day_totals, lifetime_raw = await asyncio.gather(
            rollup.totals(redis, view=view, days=month.days),
            rollup.totals(redis, view=view, days=day.days),
            redis.hget(view.lifetime(), "e"),
        )
        lifetime = int(lifetime_raw or 0)
    else:
        month_totals, day_totals = await asyncio.gather(
            _raw_totals(redis, site_id, month, filters), _raw_totals(redis, site_id, day, filters)
        )
        lifetime = (await raw.totals(redis, site_id=site_id, start_ms=0,
                                     end_ms=2**48, filters=filters))["events"]  # fmt: skip
    return {
        "eventsRecorded": {"today": day_totals["events"], "thisMonth": month_totals["events"],
                           "lifetime": lifetime},
        "activeUsers": {"today": day_totals["users"], "thisMonth": month_totals["users"]},
        "firstDay": await get_first_day(redis=redis, site_id=site_id, tz=tz),
    }  # fmt: skip


async def get_first_day(*, redis: aioredis.Redis, site_id: str, tz: str) -> str | None:
    """The local day of the site's earliest counted event (where "All time" starts), or None."""
    meta = rollups.meta(site_id)
    known = await redis.hget(meta, rollups.FIRST_EVENT_FIELD)
    if known is None:
        # Events stored before the worker kept it: find it once, unless the worker got there.
        found = await raw.first_event_ms(redis, site_id=site_id)
        if found is None:
            return None
        await redis.hsetnx(meta, rollups.FIRST_EVENT_FIELD, found)
        known = await redis.hget(meta, rollups.FIRST_EVENT_FIELD)
    return zones.local_day(int(known or 0), tz)


async def _raw_totals(redis: aioredis.Redis, site_id: str, period: Period,
                      filters: Filters) -> dict[str, int]:  # fmt: skip
    return await raw.totals(redis, site_id=site_id, start_ms=period.start_ms(),
                            end_ms=period.end_ms(), filters=filters)  # fmt: skip


async def get_daily(*, redis: aioredis.Redis, site_id: str, period: Period,
                    filters: Filters, source: str = "auto") -> list[dict[str, Any]]:  # fmt: skip
    """One row per local day, oldest first, zero-filled."""
    view = await _rollup_view(redis, site_id, period.tz, filters, source)
    if view is not None:
        return await rollup.daily(redis, view=view, days=period.days)
    # Local days' bounds come from zoneinfo, so DST days are right.
    totals = await raw.series(redis, site_id=site_id, filters=filters, bounds=[
        (day.start_ms, day.end_ms) for day in intervals.buckets(period, "day")])  # fmt: skip
    return [{"day": day.isoformat(), "events": t["events"], "pageviews": t["pageviews"],
             "users": t["users"], "sessions": t["sessions"]}
            for day, t in zip(period.days, totals, strict=True)]  # fmt: skip


async def _table(*, redis: aioredis.Redis, site_id: str, period: Period | None,
                 filters: Filters, dimension: str, limit: int, key: str,
                 source: str) -> list[dict[str, Any]]:  # fmt: skip
    tz = period.tz if period else DEFAULT_ZONE
    if period is None and not filters and source != "raw":
        ranked = await rollup.top(redis, site_id=site_id, limit=limit,
                                  zset_keys=[rollups.lifetime_top(site_id, dimension)])  # fmt: skip
        values = [v for v, _ in ranked]
        users, sessions = await asyncio.gather(*(
            rollup.distinct_per_value(redis, hll_keys={
                v: [rollups.lifetime_value_hll(site_id, dimension, v, kind)] for v in values})
            for kind in ("u", "s")))  # fmt: skip
        return [{key: v, "count": c, "users": users[v], "sessions": sessions[v]}
                for v, c in ranked]  # fmt: skip
    label = await _use_rollups(redis, site_id, tz, filters, source) if period else None
    if period is not None and label is not None:
        days = [d.isoformat() for d in period.days]
        ranked = await rollup.top(
            redis,
            site_id=site_id,
            zset_keys=[rollups.day_top(site_id, label, d, dimension) for d in days],
            limit=limit,
        )
        values = [v for v, _ in ranked]
        users, sessions = await asyncio.gather(*(
            rollup.distinct_per_value(redis, hll_keys={
                v: [rollups.day_value_hll(site_id, label, d, dimension, v, kind) for d in days]
                for v in values})
            for kind in ("u", "s")))  # fmt: skip
        return [{key: v, "count": c, "users": users[v], "sessions": sessions[v]}
                for v, c in ranked]  # fmt: skip
    start, end = (period.start_ms(), period.end_ms()) if period else (0, 2**48)
    rows = await raw.top_by_event(redis, site_id=site_id, start_ms=start, end_ms=end,
                                  filters=filters, dimension=dimension, limit=limit,
                                  page_views_only=dimension == "page")  # fmt: skip
    return [{key: r["value"], "count": r["count"], "users": r["users"],
             "sessions": r["sessions"]} for r in rows]  # fmt: skip


async def get_event_table(*, redis: aioredis.Redis, site_id: str, period: Period | None,
                         filters: Filters, limit: int,
                         source: str = "auto") -> list[dict[str, Any]]:  # fmt: skip
    """Events by name: count, distinct users and sessions; lifetime when period is None."""
    return await _table(redis=redis, site_id=site_id, period=period, filters=filters,
                        dimension="eventName", limit=limit, key="eventName",
                        source=source)  # fmt: skip


async def get_page_table(*, redis: aioredis.Redis, site_id: str, period: Period | None,
                         filters: Filters, limit: int,
                         source: str = "auto") -> list[dict[str, Any]]:  # fmt: skip
    """Page views by path: count, distinct users and sessions; lifetime when period is None."""
    return await _table(redis=redis, site_id=site_id, period=period, filters=filters,
                        dimension="page", limit=limit, key="page", source=source)  # fmt: skip


def _visit_metrics(t: dict[str, int]) -> dict[str, float]:
    """The summary's numbers from summed counters (started, bounces, dur of the sessions that
    began in the period; events, pageviews, users, sessions of those active in it)."""
    started = t["started"]
    return {
        "visitors": t["users"],
        "sessions": t["sessions"],
        "pageviews": t["pageviews"],
        "events": t["events"],
        "bounceRate": round(100 * t["bounces"] / started, 2) if started else 0.0,
        "avgSessionDuration": round(t["dur"] / started / 1000, 2) if started else 0.0,
        "viewsPerSession": round(t["pageviews"] / t["sessions"], 2) if t["sessions"] else 0.0,
    }


async def _summary_numbers(redis: aioredis.Redis, site_id: str, period: Period,
                           filters: Filters, source: str) -> dict[str, float]:  # fmt: skip
    view = await _rollup_view(redis, site_id, period.tz, filters, source)
    if view is not None:
        return _visit_metrics(await rollup.totals(redis, view=view, days=period.days))
    return _visit_metrics(await raw.totals(
        redis, site_id=site_id, start_ms=period.start_ms(), end_ms=period.end_ms(),
        filters=filters))  # fmt: skip


async def get_timeseries(*, redis: aioredis.Redis, site_id: str, period: Period,
                         interval: Interval, filters: Filters,
                         source: str = "auto") -> list[dict[str, Any]]:  # fmt: skip
    """The summary's numbers per hour, day, week or month of the period, oldest first."""
    points = intervals.buckets(period, interval)
    view = None if interval == "hour" else await _rollup_view(redis, site_id, period.tz,
                                                              filters, source)  # fmt: skip
    if view is not None:
        sums = await rollup.totals_of_groups(redis, view=view,
                                             groups=[list(p.days) for p in points])  # fmt: skip
    else:
        sums = await raw.series(redis, site_id=site_id, filters=filters,
                                bounds=[(p.start_ms, p.end_ms) for p in points])  # fmt: skip
    return [{"start": p.start, **_visit_metrics(t)} for p, t in zip(points, sums, strict=True)]


async def get_summary(*, redis: aioredis.Redis, site_id: str, period: Period,
                      filters: Filters, source: str = "auto") -> dict[str, Any]:  # fmt: skip
    """Summary cards for the period and for the period just before it."""
    current, previous = await asyncio.gather(
        _summary_numbers(redis, site_id, period, filters, source),
        _summary_numbers(redis, site_id, period.previous(), filters, source),
    )
    return {**current, "previous": previous}


async def get_breakdown(*, redis: aioredis.Redis, site_id: str, period: Period,
                        filters: Filters, dimension: str, limit: int,
                        source: str = "auto") -> list[dict[str, Any]]:  # fmt: skip
    """value, count, visitors for one dimension over the period."""
    # Rollups count channels and the sessions without a value ('' rows) since the filter
    # rollups exist.
    label = None
    if not dimension.startswith("context."):
        label = await _use_rollups(redis, site_id, period.tz, filters, source)
    if label is None or (
        dimension in rollups.SINCE_FILTER_ROLLUPS
        and not await rollups.covers(redis, site_id=site_id, tz=period.tz, filters=True)
    ):
        return await _raw_breakdown(redis, site_id, period, filters, dimension, limit)
    days = [d.isoformat() for d in period.days]
    ranked = await rollup.top(
        redis,
        site_id=site_id,
        zset_keys=[rollups.day_top(site_id, label, d, dimension) for d in days],
        limit=limit,
    )
    values = [v for v, _ in ranked]
    if dimension == "exitPage":
        visitors = await rollup.exit_visitors(redis, site_id=site_id, label=label,
                                              days=period.days, values=values)  # fmt: skip
    else:
        visitors = await rollup.distinct_per_value(redis, hll_keys={
            v: [rollups.day_value_hll(site_id, label, d, dimension, v, "u") for d in days]
            for v in values})  # fmt: skip
    return [{"value": v, "count": c, "visitors": visitors[v]} for v, c in ranked]


async def _raw_breakdown(redis: aioredis.Redis, site_id: str, period: Period, filters: Filters,
                         dimension: str, limit: int) -> list[dict[str, Any]]:  # fmt: skip
    if dimension in rollups.SESSION_DIMENSIONS or dimension in rollups.PAGE_SESSION_DIMENSIONS:
        return await raw.top_by_session(redis, site_id=site_id, start_ms=period.start_ms(),
                                        end_ms=period.end_ms(), filters=filters,
                                        dimension=dimension, limit=limit)  # fmt: skip
    rows = await raw.top_by_event(redis, site_id=site_id, start_ms=period.start_ms(),
                                  end_ms=period.end_ms(), filters=filters, dimension=dimension,
                                  limit=limit, page_views_only=dimension == "page")  # fmt: skip
    return [{"value": r["value"], "count": r["count"], "visitors": r["users"]} for r in rows]


async def get_realtime(*, redis: aioredis.Redis, site_id: str, filters: Filters,
                       source: str = "auto") -> dict[str, Any]:  # fmt: skip
    """Visitors in the last 5 minutes and events per minute over the last 30."""
    now_minute = int(time.time() // 60)
    minutes = list(range(now_minute - 29, now_minute + 1))
    if filters or source == "raw":
        visitors, per_minute = await raw.minutes(
            redis, site_id=site_id, start_ms=minutes[0] * 60_000,
            end_ms=(now_minute + 1) * 60_000, filters=filters,
        )  # fmt: skip
        counts = [per_minute.get(m, 0) for m in minutes]
    else:
        async with redis.pipeline(transaction=False) as pipe:
            # Commands, not methods: a cluster pipeline refuses the methods of multi-key
            # commands, though the keys of one site share a slot.
            pipe.execute_command("MGET", *(rollups.minute_events(site_id, m) for m in minutes))
            pipe.execute_command(
                "PFCOUNT", *(rollups.minute_users(site_id, m) for m in minutes[-5:])
            )
            raw_counts, visitors = await pipe.execute()
        counts = [int(c or 0) for c in raw_counts]
    return {
        "visitors": int(visitors),
        "perMinute": [
            {"minute": datetime.fromtimestamp(m * 60, UTC).isoformat().replace("+00:00", "Z"),
             "events": c}
            for m, c in zip(minutes, counts, strict=True)
        ],
    }  # fmt: skip


async def get_goal_stats(*, redis: aioredis.Redis, site_id: str, period: Period,
                         filters: Filters, goals: list[Goal],
                         source: str = "auto") -> list[dict[str, Any]]:  # fmt: skip
    """Per goal: visitors who converted, conversions (matching events; page views for a page
    goal) and the conversion rate against every visitor of the period, under the filters."""
    if not goals:
        return []
    label = await _use_rollups(redis, site_id, period.tz, filters, source)
    if label is not None:
        total, per_goal = await _rollup_goals(redis, site_id, label, period, goals)
    else:
        total, per_goal = await _raw_goals(redis, site_id, period, filters, goals)
    return [
        {"goalId": goal.id, "name": goal.name, "visitors": visitors, "conversions": conversions,
         "conversionRate": round(100 * visitors / total, 2) if total else 0.0}
        for goal, (conversions, visitors) in zip(goals, per_goal, strict=True)
    ]  # fmt: skip


async def _rollup_goals(redis: aioredis.Redis, site_id: str, label: str, period: Period,
                        goals: list[Goal]) -> tuple[int, list[tuple[int, int]]]:  # fmt: skip
    days = [d.isoformat() for d in period.days]
    view = rollup.View(site_id, label)
    total = (await rollup.totals(redis, view=view, days=period.days))["users"]
    paths: list[tuple[str, int]] = []
    if any(goal.kind == "page" for goal in goals):  # every page viewed in the period, counted
        page_keys = [rollups.day_top(site_id, label, d, "page") for d in days]
        paths = await rollup.top(redis, site_id=site_id, limit=MAX_PAGES, zset_keys=page_keys)
    per_goal = []
    for goal in goals:
        if goal.kind == "event":
            dimension = "eventName"
            async with redis.pipeline(transaction=False) as pipe:
                for d in days:
                    pipe.zscore(rollups.day_top(site_id, label, d, dimension), goal.match)
                scores = await pipe.execute()
            values = [(goal.match, sum(int(score or 0) for score in scores))]
        else:
            dimension = "page"
            values = [(path, count) for path, count in paths if page_matches(goal.match, path)]
        hlls = [rollups.day_value_hll(site_id, label, d, dimension, value)
                for value, count in values if count for d in days]  # fmt: skip
        visitors = int(await redis.pfcount(*hlls)) if hlls else 0
        per_goal.append((sum(count for _, count in values), visitors))
    return total, per_goal


async def _raw_goals(redis: aioredis.Redis, site_id: str, period: Period, filters: Filters,
                     goals: list[Goal]) -> tuple[int, list[tuple[int, int]]]:  # fmt: skip
    return await raw.goal_totals(redis, site_id=site_id, start_ms=period.start_ms(),
                                 end_ms=period.end_ms(), filters=filters,
                                 goals=[(goal.kind, goal.match) for goal in goals])  # fmt: skip
