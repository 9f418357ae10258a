"""Local days and their bounds, DST and half-hour offsets included."""

from __future__ import annotations

from datetime import UTC, date, datetime

from tracking_system.common.zones import DEFAULT_ZONE, ZONE_NAMES, day_start_ms, local_day, zone


def _ms(iso: str) -> int:
    return int(datetime.fromisoformat(iso).replace(tzinfo=UTC).timestamp() * 1000)


def test_a_spring_forward_day_is_23_hours_long() -> None:
    ny = zone("America/New_York")
    start, end = day_start_ms(date(2026, 3, 8), ny), day_start_ms(date(2026, 3, 9), ny)
    assert end - start == 23 * 3600 * 1000
    assert start == _ms("2026-03-08T05:00:00")


def test_local_day_follows_the_zone() -> None:
    assert local_day(_ms("2026-03-10T20:00:00"), "Asia/Kolkata") == "2026-03-11"
    assert local_day(_ms("2026-03-10T20:00:00"), DEFAULT_ZONE) == "2026-03-10"


def test_the_default_zone_is_a_known_name() -> None:
    assert DEFAULT_ZONE in ZONE_NAMES
    assert "Asia/Kolkata" in ZONE_NAMES
