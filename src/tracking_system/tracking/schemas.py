"""Response bodies of the stats, events and ingestion API, so the OpenAPI document describes
every payload (and the dashboard's types are generated from it)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field


class EventsRecorded(BaseModel):
    today: int
    thisMonth: int
    lifetime: int


class ActiveUsers(BaseModel):
    today: int
    thisMonth: int


class Overview(BaseModel):
    eventsRecorded: EventsRecorded
    activeUsers: ActiveUsers
    firstDay: str | None = Field(
        description="Local day of the site's earliest counted event (null before any)"
    )


class DailyPoint(BaseModel):
    day: str
    events: int
    pageviews: int
    users: int
    sessions: int


class EventRow(BaseModel):
    eventName: str
    count: int
    users: int
    sessions: int


class PageRow(BaseModel):
    page: str
    count: int
    users: int
    sessions: int


class SummaryNumbers(BaseModel):
    visitors: int
    sessions: int
    pageviews: int
    events: int
    bounceRate: float
    avgSessionDuration: float
    viewsPerSession: float


class TimePoint(SummaryNumbers):
    start: str = Field(description="YYYY-MM-DD, or the local hour with its offset for hours")


class Summary(SummaryNumbers):
    previous: SummaryNumbers


class BreakdownRow(BaseModel):
    value: str
    count: int
    visitors: int


class GoalStat(BaseModel):
    goalId: str
    name: str
    visitors: int
    conversions: int
    conversionRate: float


class FunnelStep(BaseModel):
    label: str
    visitors: int
    conversionRate: float
    dropOff: int


class FunnelReport(BaseModel):
    steps: list[FunnelStep]


class Cohort(BaseModel):
    start: str
    size: int
    retained: list[int]


class Retention(BaseModel):
    cohorts: list[Cohort]


class MinuteCount(BaseModel):
    minute: str
    events: int


class Realtime(BaseModel):
    visitors: int
    perMinute: list[MinuteCount]


class Refused(BaseModel):
    lastHour: dict[str, int]
    last24h: dict[str, int]


class StoredEvent(BaseModel):
    """An event as stored, as the explorer lists it (the export's columns, in this order):
    every field is present, null where the event has none."""

    # The fields are explorer.COLUMNS, in that order (tests/gateway/test_openapi_complete.py).

    id: str = Field(description="The stored event's id (a ULID)")
    eventId: str | None
    eventTime: int | float | None = Field(description="Epoch milliseconds")
    eventName: str | None
    page: str | None
    path: str | None
    userId: str | None
    sessionId: str | None
    referrer: str | None
    referrerDomain: str | None
    utmSource: str | None
    utmMedium: str | None
    utmCampaign: str | None
    browser: str | None
    os: str | None
    device: str | None
    country: str | None
    bot: bool
    createdAt: int | float | None = Field(description="Epoch milliseconds when it was stored")
    context: dict[str, Any] | None


class EventsPage(BaseModel):
    """One page of the explorer; pass `nextCursor` back as `cursor` (null after the last page)."""

    items: list[StoredEvent]
    nextCursor: str | None


class RejectedEvent(BaseModel):
    """An event of a batch refused by validation: its index and one message per field."""

    index: int
    errors: dict[str, str]


class IngestResult(BaseModel):
    """What ingestion accepted (in the stream), refused, and accepted but will not count."""

    accepted: int
    rejected: list[RejectedEvent]
    excluded: dict[str, int] = Field(
        description='Accepted but left out of every number, by reason: `{"bot": 1}`, `{}` if none'
    )
