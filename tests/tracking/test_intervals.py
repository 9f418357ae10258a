"""Cutting a period into chart points: local hours, days, Monday weeks and months, clipped."""

from __future__ import annotations

import itertools
from datetime import date

import pytest

from tracking_system.common.errors import InvalidInput
from tracking_system.tracking.stats.intervals import buckets, default_interval, parse_interval
from tracking_system.tracking.stats.params import Period


def test_weeks_start_on_monday_and_are_clipped_to_the_period() -> None:
    period = Period("UTC", date(2026, 11, 5), date(2026, 11, 20))  # Thursday .. Friday
    points = buckets(period, "week")
    assert [p.start for p in points] == ["2026-11-05", "2026-11-09", "2026-11-16"]
    assert [len(p.days) for p in points] == [4, 7, 5]
    assert points[0].start_ms == period.start_ms()
    assert points[-1].end_ms == period.end_ms()


def test_months_are_calendar_months_clipped_to_the_period() -> None:
    points = buckets(Period("UTC", date(2026, 1, 15), date(2026, 3, 2)), "month")
    assert [(p.start, len(p.days)) for p in points] == [
        ("2026-01-15", 17), ("2026-02-01", 28), ("2026-03-01", 2),
    ]  # fmt: skip


def test_consecutive_points_share_their_bounds() -> None:
    points = buckets(Period("Asia/Kolkata", date(2026, 1, 1), date(2026, 12, 31)), "week")
    assert all(a.end_ms == b.start_ms for a, b in itertools.pairwise(points))


def test_hours_of_the_day_clocks_go_back_are_25_and_the_repeated_one_stays_two() -> None:
    points = buckets(Period("America/New_York", date(2026, 11, 1), date(2026, 11, 1)), "hour")
    labels = [p.start for p in points]
    assert len(points) == 25
    assert labels[:3] == ["2026-11-01T00:00-04:00", "2026-11-01T01:00-04:00",
                          "2026-11-01T01:00-05:00"]  # fmt: skip
    assert labels[-1] == "2026-11-01T23:00-05:00"


def test_hours_in_a_half_hour_zone_start_at_local_midnight() -> None:
    points = buckets(Period("Asia/Kolkata", date(2026, 11, 10), date(2026, 11, 10)), "hour")
    assert len(points) == 24
    assert points[0].start == "2026-11-10T00:00+05:30"


@pytest.mark.parametrize(
    ("days", "expected"), [(1, "hour"), (2, "hour"), (3, "day"), (92, "day"), (93, "month")]
)
def test_the_default_interval_follows_the_period_length(days: int, expected: str) -> None:
    period = Period(
        "UTC", date(2026, 1, 1), date.fromordinal(date(2026, 1, 1).toordinal() + days - 1)
    )
    assert default_interval(period) == expected


@pytest.mark.parametrize(
    ("interval", "last"),
    [("hour", date(2026, 1, 8)), ("day", date(2027, 1, 2)), ("minute", date(2026, 1, 2))],
)
def test_an_interval_past_its_limit_is_refused_on_interval(interval: str, last: date) -> None:
    with pytest.raises(InvalidInput) as refused:
        parse_interval(interval, Period("UTC", date(2026, 1, 1), last))
    assert "interval" in refused.value.errors


def test_months_may_span_ten_years() -> None:
    period = Period("UTC", date(2017, 1, 1), date(2026, 12, 31))
    assert parse_interval("month", period) == "month"
    assert len(buckets(period, "month")) == 120
