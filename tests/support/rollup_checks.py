"""Checking a site's rollups against brute force over the events it stored."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
import redis.asyncio as aioredis

from tests.support import dataset
from tests.support.dataset import Sent
from tracking_system.tracking.stats import queries, raw
from tracking_system.tracking.stats.params import Period

DIMENSIONS = ("referrerDomain", "country", "browser", "channel", "entryPage", "exitPage", "page",
              "eventName")  # fmt: skip
DISTINCT = ("visitors", "users", "sessions")


def _close(got: float, expected: float, key: str) -> bool:
    if key in DISTINCT:
        return abs(got - expected) <= max(1.0, 0.02 * expected)
    if key in ("bounceRate", "avgSessionDuration", "viewsPerSession"):
        return abs(got - expected) <= 0.05 * abs(expected) + 0.02
    return got == expected


async def assert_rollups_answer_like_brute_force(
    client: aioredis.Redis,
    site_id: str,
    events: list[Sent],
    monkeypatch: pytest.MonkeyPatch,
    tz: str,
) -> None:
    """The zone's rollups (never the raw path) answer summaries, days and breakdowns like brute
    force over the events."""

    def refuse(*_: Any, **__: Any) -> Any:
        raise AssertionError("the raw path answered")

    for name in ("series", "totals", "top_by_event", "top_by_session"):
        monkeypatch.setattr(raw, name, refuse)
    first = dataset.local_day(min(e.time for e in events), tz)
    period = Period(tz, first, datetime.now(UTC).date() + timedelta(days=1))
    lo, hi = dataset.day_bounds(period.first, period.last, tz)
    for filters in ([], [("referrerDomain", "google.com")], [("country", "IN")]):
        got = await queries.get_summary(redis=client, site_id=site_id, period=period,
                                        filters=filters)  # fmt: skip
        expected = dataset.summary(events, lo, hi, filters)
        assert expected["events"] > 0
        for key, number in expected.items():
            assert _close(got[key], number, key), (filters, key, got, expected)
    for row in await queries.get_daily(redis=client, site_id=site_id, period=period, filters=[]):
        day = date.fromisoformat(row["day"])
        numbers = dataset.totals(dataset.in_range(events, *dataset.day_bounds(day, day, tz)))
        for key, number in numbers.items():
            assert _close(row[key], number, key), (day, key, row, numbers)
    for dimension in DIMENSIONS:
        rows = await queries.get_breakdown(redis=client, site_id=site_id, period=period,
                                           filters=[], dimension=dimension, limit=1000)  # fmt: skip
        got_rows = {r["value"]: r for r in rows}
        expected_rows = dataset.breakdown(events, lo, hi, dimension)
        assert set(got_rows) == set(expected_rows), dimension
        for value, numbers in expected_rows.items():
            for key, number in numbers.items():
                assert _close(got_rows[value][key], number, key), (dimension, value, key)
