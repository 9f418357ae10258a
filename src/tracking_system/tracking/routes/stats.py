"""GET /api/v1/stats/*: thin routes over tracking/stats/queries.py."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query

from tracking_system.common.errors import envelope
from tracking_system.common.responses import Envelope
from tracking_system.tracking import funnels as saved_funnels
from tracking_system.tracking import goals, schemas
from tracking_system.tracking.deps import CurrentSite, QuerySlot, RedisDep
from tracking_system.tracking.stats import funnels, intervals, queries, retention
from tracking_system.tracking.stats.params import (
    MAX_DAYS,
    MAX_PERIOD_DAYS,
    Period,
    parse_days,
    parse_dimension,
    parse_filters,
    parse_limit,
    parse_period,
    parse_zone,
)

router = APIRouter(prefix="/api/v1/stats", tags=["stats"], dependencies=[QuerySlot])

TzParam = Annotated[str | None, Query(max_length=64, description="IANA zone; default the site's")]
FromParam = Annotated[str | None, Query(alias="from", max_length=10, description="YYYY-MM-DD")]
ToParam = Annotated[str | None, Query(alias="to", max_length=10, description="YYYY-MM-DD")]
FilterParam = Annotated[list[str] | None, Query(description="dimension:value, repeatable")]
LimitParam = Annotated[int | None, Query(description="1..1000")]
SourceParam = Annotated[
    Literal["auto", "raw"],
    Query(description="Diagnostics: `raw` answers from the raw events instead of the rollups"),
]


@dataclass(frozen=True)
class Scope:
    """The caller's site, zone and filters."""

    site_id: str
    tz: str
    filters: list[tuple[str, str]]
    start: str | None
    end: str | None
    source: str

    def period(self, default_days: int = 30, max_days: int = MAX_PERIOD_DAYS) -> Period:
        """from/to in the zone, else the last `default_days` days."""
        return parse_period(tz=self.tz, start=self.start, end=self.end,
                            default_days=default_days, max_days=max_days)  # fmt: skip

    @property
    def has_range(self) -> bool:
        """True when from or to was given."""
        return self.start is not None or self.end is not None


async def scope(
    site: CurrentSite,
    tz: TzParam = None,
    start: FromParam = None,
    end: ToParam = None,
    filter: FilterParam = None,
    source: SourceParam = "auto",
) -> Scope:
    """Parse the parameters every stats route shares."""
    zone = parse_zone(tz, site.timezone)
    return Scope(site.id, zone, parse_filters(filter), start, end, source)


ScopeDep = Annotated[Scope, Depends(scope)]


@router.get(
    "/overview",
    summary="Events today / this month / lifetime; active users",
    response_model=Envelope[schemas.Overview],
)
async def overview(s: ScopeDep, redis: RedisDep) -> dict[str, Any]:
    """The seed's four cards plus lifetime events."""
    return envelope(
        await queries.get_overview(
            redis=redis, site_id=s.site_id, tz=s.tz, filters=s.filters, source=s.source
        )
    )


@router.get(
    "/daily",
    summary="Per-day events, page views, users, sessions",
    response_model=Envelope[list[schemas.DailyPoint]],
)
async def daily(
    s: ScopeDep, redis: RedisDep, days: Annotated[int | None, Query()] = None
) -> dict[str, Any]:
    """`days` days ending today (or from/to), oldest first, zero-filled."""
    # Without from/to, `days` days ending today; with them, exactly that range.
    period = s.period(default_days=parse_days(days), max_days=MAX_DAYS)
    rows = await queries.get_daily(redis=redis, site_id=s.site_id, period=period,
                                   filters=s.filters, source=s.source)  # fmt: skip
    return envelope(rows)


@router.get(
    "/timeseries",
    summary="The summary's numbers per hour, day, week or month",
    response_model=Envelope[list[schemas.TimePoint]],
)
async def timeseries(
    s: ScopeDep,
    redis: RedisDep,
    interval: Annotated[
        str | None,
        Query(max_length=8, description="hour, day, week or month; default by the period"),
    ] = None,
) -> dict[str, Any]:
    """Over the period (last 30 days by default) with the filters; at most 366 points."""
    period = s.period()
    rows = await queries.get_timeseries(
        redis=redis, site_id=s.site_id, period=period, filters=s.filters, source=s.source,
        interval=intervals.parse_interval(interval, period),
    )  # fmt: skip
    return envelope(rows)


@router.get("/events", summary="Events by name", response_model=Envelope[list[schemas.EventRow]])
async def events(s: ScopeDep, redis: RedisDep, limit: LimitParam = None) -> dict[str, Any]:
    """Sorted by count; lifetime unless from/to."""
    rows = await queries.get_event_table(
        redis=redis, site_id=s.site_id, period=s.period() if s.has_range else None,
        filters=s.filters, limit=parse_limit(limit), source=s.source,
    )  # fmt: skip
    return envelope(rows)


@router.get("/pages", summary="Page views by page", response_model=Envelope[list[schemas.PageRow]])
async def pages(s: ScopeDep, redis: RedisDep, limit: LimitParam = None) -> dict[str, Any]:
    """Page views only; lifetime unless from/to."""
    rows = await queries.get_page_table(
        redis=redis, site_id=s.site_id, period=s.period() if s.has_range else None,
        filters=s.filters, limit=parse_limit(limit), source=s.source,
    )  # fmt: skip
    return envelope(rows)


@router.get(
    "/summary",
    summary="Summary with the previous period",
    response_model=Envelope[schemas.Summary],
)
async def summary(s: ScopeDep, redis: RedisDep) -> dict[str, Any]:
    """Visitors, sessions, page views, events, bounce rate, visit duration, views per session."""
    return envelope(await queries.get_summary(redis=redis, site_id=s.site_id,
                                              period=s.period(), filters=s.filters,
                                              source=s.source))  # fmt: skip


@router.get(
    "/breakdown",
    summary="Top values of a dimension",
    response_model=Envelope[list[schemas.BreakdownRow]],
)
async def breakdown(
    s: ScopeDep, redis: RedisDep, dimension: Annotated[str, Query(max_length=80)],
    limit: LimitParam = None,
) -> dict[str, Any]:  # fmt: skip
    """`[{value, count, visitors}]` for one dimension over the period."""
    rows = await queries.get_breakdown(
        redis=redis, site_id=s.site_id, period=s.period(), filters=s.filters,
        dimension=parse_dimension(dimension), limit=parse_limit(limit, default=10),
        source=s.source,
    )  # fmt: skip
    return envelope(rows)


@router.get(
    "/realtime",
    summary="Visitors now and events per minute",
    response_model=Envelope[schemas.Realtime],
)
async def realtime(s: ScopeDep, redis: RedisDep) -> dict[str, Any]:
    """Visitors in the last 5 minutes; events per minute over the last 30."""
    return envelope(await queries.get_realtime(redis=redis, site_id=s.site_id,
                                               filters=s.filters, source=s.source))  # fmt: skip


@router.get(
    "/goals",
    summary="Visitors, conversions and conversion rate of each goal",
    response_model=Envelope[list[schemas.GoalStat]],
)
async def goal_stats(s: ScopeDep, redis: RedisDep) -> dict[str, Any]:
    """Over the period (last 30 days by default) with the filters; the rate is visitors who
    converted over visitors, in percent."""
    site_goals = await goals.list_goals(redis, site_id=s.site_id)
    return envelope(
        await queries.get_goal_stats(redis=redis, site_id=s.site_id, period=s.period(),
                                     filters=s.filters, goals=site_goals, source=s.source)
    )  # fmt: skip


@router.get(
    "/funnel",
    summary="Visitors reaching each step of a funnel, in order, within a window",
    response_model=Envelope[schemas.FunnelReport],
)
async def funnel(
    s: ScopeDep,
    redis: RedisDep,
    step: Annotated[list[str] | None, Query(description="kind:match, 2 to 8, in order")] = None,
    window: Annotated[str | None, Query(max_length=8, description="session or Nd")] = None,
    funnel_id: Annotated[
        str | None, Query(alias="funnelId", max_length=64, description="A saved funnel")
    ] = None,
) -> dict[str, Any]:
    """A saved funnel (`funnelId`) or the `step`s given, over the period's events (last 30 days
    by default) with the filters."""
    if funnel_id is not None:
        saved = await saved_funnels.STORE.get(redis, site_id=s.site_id, doc_id=funnel_id)
        steps, window = saved.funnel_steps(), saved.window
    else:
        steps = funnels.parse_steps(step)
    return envelope(
        await funnels.get_funnel(redis=redis, site_id=s.site_id, period=s.period(),
                                 filters=s.filters, steps=steps,
                                 window_ms=funnels.parse_window(window))
    )  # fmt: skip


@router.get(
    "/retention",
    summary="Visitors by the unit of their first event, and how many came back",
    response_model=Envelope[schemas.Retention],
)
async def retention_cohorts(
    s: ScopeDep,
    redis: RedisDep,
    unit: Annotated[str | None, Query(max_length=8, description="day, week or month")] = None,
) -> dict[str, Any]:
    """Over the period (last 30 days by default) with the filters, in the zone."""
    return envelope(
        await retention.get_retention(redis=redis, site_id=s.site_id, period=s.period(),
                                      filters=s.filters, unit=retention.parse_unit(unit))
    )  # fmt: skip
