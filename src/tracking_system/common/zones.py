"""Time zones and day bounds: the one home of "UTC", zone loading and local-day arithmetic."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from functools import lru_cache
from zoneinfo import ZoneInfo, available_timezones

DEFAULT_ZONE = "UTC"
DAY_MS = 86_400_000  # a UTC day (local days come from day_start_ms)
# Every name a site or a request may use.
ZONE_NAMES = frozenset(available_timezones()) | {DEFAULT_ZONE}


@lru_cache(maxsize=1024)
def zone(name: str) -> ZoneInfo:
    """ZoneInfo by IANA name, cached (ZoneInfoNotFoundError or ValueError when unknown)."""
    return ZoneInfo(name)


def day_start_ms(day: date, tz: ZoneInfo) -> int:
    """Local midnight at the start of `day` in the zone (DST-aware), as epoch milliseconds."""
    return int(datetime.combine(day, time.min, tzinfo=tz).timestamp() * 1000)


def local_day(epoch_ms: int, tz: str) -> str:
    """YYYY-MM-DD of the instant in the zone."""
    return datetime.fromtimestamp(epoch_ms / 1000, zone(tz)).strftime("%Y-%m-%d")


def today_in(tz: str) -> date:
    """The current calendar date in the zone."""
    return datetime.now(zone(tz)).date()


def now_iso() -> str:
    """The current UTC time, ISO-8601 with milliseconds (how documents record times)."""
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
