"""Response bodies of the stats API, so the OpenAPI document describes every payload."""

from __future__ import annotations

from pydantic import BaseModel


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


class Summary(SummaryNumbers):
    previous: SummaryNumbers


class BreakdownRow(BaseModel):
    value: str
    count: int
    visitors: int


class MinuteCount(BaseModel):
    minute: str
    events: int


class Realtime(BaseModel):
    visitors: int
    perMinute: list[MinuteCount]


class Refused(BaseModel):
    lastHour: dict[str, int]
    last24h: dict[str, int]
