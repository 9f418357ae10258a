"""The raw-event explorer: queries over the site's event index.

Order is (eventTime, id) descending: a total order, so cursor paging visits every event exactly
once however many events share a millisecond and however many arrive between pages. A cursor is
the position of the last item returned; the next page starts strictly after it. RediSearch sorts
only by eventTime, so ties are resolved here: the boundary millisecond's ids are fetched whole
and sorted by id.

Before the site's hot window (rollups.hot_from) event hashes may be gone: those times are read
from the columnar tier instead (tracking/cold.py), so every event shows once from one tier.

Export (tracking/export.py) and the live feed (tracking/live.py) build on the same queries.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import orjson
import redis.asyncio as aioredis
import structlog
from redis.exceptions import ResponseError

from tracking_system.common import keys, rollups
from tracking_system.common.errors import InvalidInput, ServiceUnavailable
from tracking_system.common.indexes import (
    EVENT_TAG_FIELDS,
    is_missing_index,
    recover_site_event_index,
)
from tracking_system.common.redis import to_owner
from tracking_system.common.search import tag_clause
from tracking_system.common.urls import page_path
from tracking_system.common.zones import day_start_ms
from tracking_system.tracking import cold
from tracking_system.tracking.ingest.validation import has_control_chars
from tracking_system.tracking.stats.params import parse_day
from tracking_system.tracking.stats.params import zone as parse_zone_name

log = structlog.get_logger(__name__)

DEFAULT_LIMIT = 50
MAX_LIMIT = 500
MAX_VALUE_LENGTH = 2048
MAX_FILTERS = 20
# Events sharing one millisecond are read in chunks of this many ids.
TIE_CHUNK = 5000
# Times a page is read again when the hot window moved while its hashes were read.
ATTEMPTS = 5
# A query that would run longer than this fails (503) instead of returning partial results.
QUERY_TIMEOUT_MS = 10_000

# Dimensions a `filter=dimension:value` may name -> the TAG field of the event index it matches.
FILTER_FIELDS: dict[str, str] = {
    **{name: name for name in EVENT_TAG_FIELDS if name != "site"},
    "page": "path",
}

# The item shape of the explorer, the export (CSV columns, in this order) and nothing else: the
# site id, `_context` and the `ctx_*` copies never leave the service.
COLUMNS: tuple[str, ...] = (
    "id",
    "eventId",
    "eventTime",
    "eventName",
    "page",
    "path",
    "userId",
    "sessionId",
    "referrer",
    "referrerDomain",
    "utmSource",
    "utmMedium",
    "utmCampaign",
    "browser",
    "os",
    "device",
    "country",
    "bot",
    "createdAt",
    "context",
)
_NUMERIC = frozenset({"eventTime", "createdAt"})
_CURSOR = re.compile(r"(-?\d{1,18})\.([0-9A-Za-z]{1,64})")


@dataclass(frozen=True)
class EventFilters:
    """What the caller asked for; every value is untrusted and escaped when the query is built.

    `tags` holds (TAG field, value) pairs that must all match; `start_ms` is inclusive and
    `end_ms` exclusive (epoch milliseconds)."""

    tags: tuple[tuple[str, str], ...] = ()
    start_ms: int | None = None
    end_ms: int | None = None


@dataclass
class _Page:
    items: list[dict[str, Any]] = field(default_factory=list)
    more: bool = False


# --- Parsing query parameters ------------------------------------------------------------------


def parse_limit(raw: str | None) -> int:
    """`limit`: 1..500, default 50."""
    if raw is None or raw.strip() == "":
        return DEFAULT_LIMIT
    try:
        value = int(raw.strip())
    except ValueError:
        raise InvalidInput(errors={"limit": "Must be a whole number"}) from None
    if not 1 <= value <= MAX_LIMIT:
        raise InvalidInput(errors={"limit": f"Must be between 1 and {MAX_LIMIT}"})
    return value


def _tag_value(name: str, dimension: str, value: str) -> tuple[str, str]:
    if value == "":
        raise InvalidInput(errors={name: f"A value for {dimension} is required"})
    if len(value) > MAX_VALUE_LENGTH:
        raise InvalidInput(errors={name: f"At most {MAX_VALUE_LENGTH} characters"})
    if has_control_chars(value):
        raise InvalidInput(errors={name: "Must not contain control characters"})
    if dimension == "bot":
        flags = {"true": "1", "1": "1", "false": "0", "0": "0"}
        if value.lower() not in flags:
            raise InvalidInput(errors={name: "bot must be true or false"})
        return "bot", flags[value.lower()]
    if dimension == "page":
        value = page_path(value)
    return FILTER_FIELDS[dimension], value


def tag_filters(
    *,
    event_name: str | None = None,
    page: str | None = None,
    user_id: str | None = None,
    session_id: str | None = None,
    filters: Sequence[str] = (),
) -> tuple[tuple[str, str], ...]:
    """The named filters and each `dimension:value` of `filter`, as (TAG field, value) pairs."""
    out: list[tuple[str, str]] = []
    named = {"eventName": event_name, "page": page, "userId": user_id, "sessionId": session_id}
    for dimension, value in named.items():
        if value is not None and value != "":
            out.append(_tag_value(dimension, dimension, value))
    if len(filters) > MAX_FILTERS:
        raise InvalidInput(errors={"filter": f"At most {MAX_FILTERS} filters"})
    for raw in filters:
        dimension, sep, value = raw.partition(":")
        if not sep or dimension not in FILTER_FIELDS:
            allowed = ", ".join(FILTER_FIELDS)
            raise InvalidInput(
                errors={"filter": f"Use dimension:value with a dimension among {allowed}"}
            )
        out.append(_tag_value("filter", dimension, value))
    return tuple(out)


async def time_bounds(
    *, site_tz: str, tz: str | None, start: str | None, end: str | None
) -> tuple[int | None, int | None]:
    """`from`/`to` (inclusive days in `tz`, default the site's zone) as [start, end) in ms."""
    start = start or None
    end = end or None
    zone_name = tz if tz not in (None, "") else None
    if zone_name is not None:
        zone = parse_zone_name(zone_name)  # an invalid tz is an error even without dates
    if start is None and end is None:
        return None, None
    if zone_name is None:
        zone = parse_zone_name(site_tz)
    first = parse_day(start, "from") if start is not None else None
    last = parse_day(end, "to") if end is not None else None
    if first is not None and last is not None and last < first:
        raise InvalidInput(errors={"from": "Must not be after `to`"})
    try:
        start_ms = day_start_ms(first, zone) if first is not None else None
    except (OverflowError, ValueError, OSError):
        raise InvalidInput(errors={"from": "Date out of range"}) from None
    end_ms: int | None = None
    if last is not None:
        try:
            end_ms = day_start_ms(last + timedelta(days=1), zone)
        except (OverflowError, ValueError, OSError):
            end_ms = None  # past the last representable day: no upper bound
    return start_ms, end_ms


def encode_cursor(event_time: int, event_id: str) -> str:
    """The opaque position after which the next page starts."""
    raw = f"{event_time}.{event_id}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[int, str]:
    """(eventTime, id) of a cursor, or 400 on `cursor`."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        data = base64.b64decode(padded.encode("ascii"), altchars=b"-_", validate=True)
        raw = data.decode("ascii")
    except (ValueError, binascii.Error, UnicodeError):
        raise InvalidInput(errors={"cursor": "Invalid cursor"}) from None
    match = _CURSOR.fullmatch(raw)
    if match is None:
        raise InvalidInput(errors={"cursor": "Invalid cursor"})
    return int(match.group(1)), match.group(2)


# --- Queries --------------------------------------------------------------------------------


def build_query(filters: EventFilters, *, extra: Sequence[str] = ()) -> str:
    """Every tag filter (escaped) and the time bounds, at least an unbounded time range (the
    index is the site's own, so no clause names the site; callers append clauses to it)."""
    parts = [tag_clause(name, value) for name, value in filters.tags]
    if filters.start_ms is not None or filters.end_ms is not None:
        low = "-inf" if filters.start_ms is None else str(filters.start_ms)
        high = "+inf" if filters.end_ms is None else f"({filters.end_ms}"
        parts.append(f"@eventTime:[{low} {high}]")
    parts += extra
    return " ".join(parts) or "@eventTime:[-inf +inf]"


def _check_warning(result: Any) -> None:
    warnings = result.get("warning") if isinstance(result, dict) else None
    if warnings and any("timeout" in str(w).lower() for w in warnings):
        raise ServiceUnavailable("The query took too long; narrow the filters", retry_after=5)


def search_rows(result: Any) -> tuple[int, list[tuple[str, dict[str, str]]]]:
    """(total, [(key, fields)]) of an FT.SEARCH reply, RESP3 (dict) or RESP2 (flat list)."""
    if isinstance(result, dict):
        _check_warning(result)
        rows = [
            (
                str(row["id"]),
                {str(k): str(v) for k, v in (row.get("extra_attributes") or {}).items()},
            )
            for row in result.get("results", [])
        ]
        return int(result.get("total_results", 0)), rows
    total = int(result[0])
    rest = result[1:]
    out: list[tuple[str, dict[str, str]]] = []
    i = 0
    while i < len(rest):
        key = str(rest[i])
        fields: dict[str, str] = {}
        if i + 1 < len(rest) and isinstance(rest[i + 1], list):
            flat = rest[i + 1]
            fields = {str(flat[j]): str(flat[j + 1]) for j in range(0, len(flat) - 1, 2)}
            i += 2
        else:
            i += 1
        out.append((key, fields))
    return total, out


async def _search(redis: aioredis.Redis, site_id: str, query: str, *args: str) -> Any:
    index = keys.event_index(site_id)
    try:
        return await redis.execute_command(  # type: ignore[no-untyped-call]
            "FT.SEARCH", index, query, *args,
            "TIMEOUT", str(QUERY_TIMEOUT_MS), "DIALECT", "2", **to_owner(redis, index),
        )  # fmt: skip
    except ResponseError as exc:
        if is_missing_index(exc):  # none yet, or left behind on another shard by a move
            if await recover_site_event_index(redis, site_id):
                return await _search(redis, site_id, query, *args)
            return {"total_results": 0, "results": []}
        if "timeout" in str(exc).lower():
            raise ServiceUnavailable("The query took too long; narrow the filters") from exc
        raise


def event_id_of(key: str) -> str:
    """The public id of a stored event: its key without the site's prefix."""
    return key.rpartition(":")[2]


def _number(value: str | None) -> int | float | None:
    if value is None or value == "":
        return None
    try:
        return int(value)
    except ValueError:
        try:
            return float(value)
        except ValueError:
            return None


def _context(raw: str | None) -> Any:
    """The stored context JSON, parsed (None when absent or unreadable)."""
    if not raw:
        return None
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError:
        return None


def to_item(key: str, stored: dict[str, str]) -> dict[str, Any]:
    """The public shape of a stored event hash: every column, null where the event has none."""
    item: dict[str, Any] = {}
    for column in COLUMNS:
        if column == "id":
            item["id"] = event_id_of(key)
        elif column == "context":
            item["context"] = _context(stored.get("_context"))
        elif column == "bot":
            item["bot"] = stored.get("bot") == "1"
        elif column in _NUMERIC:
            item[column] = _number(stored.get(column))
        else:
            value = stored.get(column)
            item[column] = value if value not in (None, "") else None
    return item


def row_item(row: dict[str, Any]) -> dict[str, Any]:
    """The public shape of a columnar row (common/columnar.py SCHEMA), as to_item gives its
    event's hash: '' (a field the hash lacked) is null."""
    item: dict[str, Any] = {}
    for column in COLUMNS:
        value = row[column]
        if column == "context":
            item["context"] = _context(value)
        elif column == "bot":
            item["bot"] = value == 1
        else:
            item[column] = value if value != "" else None
    return item


async def _ids_at(redis: aioredis.Redis, site_id: str, query: str, event_time: int) -> list[str]:
    """Every event id matching the query at exactly this millisecond, sorted descending."""
    exact = f"{query} @eventTime:[{event_time} {event_time}]"
    ids: list[str] = []
    offset = 0
    while True:
        result = await _search(redis, site_id, exact, "NOCONTENT", "LIMIT", str(offset),
                               str(TIE_CHUNK))  # fmt: skip
        _, rows = search_rows(result)
        ids += [event_id_of(key) for key, _ in rows]
        if len(rows) < TIE_CHUNK:
            break
        offset += TIE_CHUNK
    ids.sort(reverse=True)
    return ids


# Reads many event hashes in one call and hands them back as one JSON string: parsing one string
# is far cheaper than parsing thousands of reply elements in Python (the export's bottleneck).
_LOAD_SCRIPT = """
local out = {}
for i, key in ipairs(KEYS) do
  out[i] = redis.call('HGETALL', key)
end
return cjson.encode(out)
"""


async def load_items(
    redis: aioredis.Redis, ids: Sequence[str], site_id: str
) -> list[dict[str, Any]]:
    """Full events by id, in that order; missing ones (deleted meanwhile) are skipped."""
    if not ids:
        return []
    script = redis.register_script(_LOAD_SCRIPT)
    raw = await script(keys=[keys.event(site_id, event_id) for event_id in ids])
    items: list[dict[str, Any]] = []
    for event_id, flat in zip(ids, orjson.loads(raw), strict=True):
        if not isinstance(flat, list) or not flat:
            continue  # cjson encodes an empty reply (a deleted key) as {}
        fields = {str(flat[j]): str(flat[j + 1]) for j in range(0, len(flat) - 1, 2)}
        items.append(to_item(keys.event(site_id, event_id), fields))
    return items


async def _older(redis: aioredis.Redis, query: str, site_id: str, need: int) -> _Page:
    """The first `need` events of the query in (eventTime, id) descending order."""
    result = await _search(
        redis, site_id, query, "SORTBY", "eventTime", "DESC", "LIMIT", "0", str(need + 1),
        "RETURN", "1", "eventTime",
    )  # fmt: skip
    _, rows = search_rows(result)
    by_time = [
        (int(_number(fields.get("eventTime")) or 0), event_id_of(key)) for key, fields in rows
    ]
    more = len(by_time) > need
    if not more:
        ids = [event_id for _, event_id in sorted(by_time, reverse=True)]
    else:
        # The window is sorted by time only: every millisecond above the last one it needs is
        # whole, but that last one may hold more events than the window shows, so read its ids.
        boundary = by_time[need - 1][0]
        above = sorted((row for row in by_time if row[0] > boundary), reverse=True)
        tied = await _ids_at(redis, site_id, query, boundary)
        ids = [event_id for _, event_id in above] + tied[: need - len(above)]
    return _Page(items=await load_items(redis, ids, site_id), more=more)


async def _hot_page(
    redis: aioredis.Redis, site_id: str, query: str, limit: int, after: tuple[int, str] | None
) -> tuple[list[dict[str, Any]], bool]:
    """Up to `limit` events of the query strictly after the cursor from the event hashes, and
    whether more of them follow."""
    items: list[dict[str, Any]] = []
    more = False
    older_query = query
    if after is not None:
        last_time, last_id = after
        # The rest of the cursor's own millisecond first, then strictly older events.
        tied = [i for i in await _ids_at(redis, site_id, query, last_time) if i < last_id]
        items = await load_items(redis, tied[:limit], site_id)
        more = len(tied) > limit
        older_query = f"{query} @eventTime:[-inf ({last_time}]"
    if not more and len(items) < limit:
        page = await _older(redis, older_query, site_id, limit - len(items))
        items += page.items
        more = page.more
    elif not more:
        total, _ = search_rows(await _search(redis, site_id, older_query, "LIMIT", "0", "0"))
        more = total > 0
    return items, more


def hot_filters(filters: EventFilters, hot_from: int) -> EventFilters | None:
    """The filters restricted to the hot window (eventTime >= hot_from), None if it is empty."""
    if hot_from <= 0:
        return filters
    start = max(filters.start_ms or hot_from, hot_from)
    if filters.end_ms is not None and filters.end_ms <= start:
        return None
    return EventFilters(tags=filters.tags, start_ms=start, end_ms=filters.end_ms)


async def list_events(
    *,
    redis: aioredis.Redis,
    site_id: str,
    filters: EventFilters,
    limit: int,
    cursor: str | None,
) -> tuple[list[dict[str, Any]], str | None]:
    """One page of the site's matching events, newest first, and the next page's cursor: times
    from the hot window's start on from the event hashes, earlier ones from the columnar tier."""
    if not 1 <= limit <= MAX_LIMIT:
        raise InvalidInput(errors={"limit": f"Must be between 1 and {MAX_LIMIT}"})
    after = decode_cursor(cursor) if cursor else None
    for _ in range(ATTEMPTS):
        hot_from = await rollups.hot_from(redis, site_id)
        hot = hot_filters(filters, hot_from)
        items: list[dict[str, Any]] = []
        more = False
        if hot is not None and (after is None or after[0] >= hot_from):
            items, more = await _hot_page(redis, site_id, build_query(hot), limit, after)
            if await rollups.hot_from(redis, site_id) > hot_from:
                continue  # hashes may have been removed while we read them
        if not more and hot_from > 0:
            rows, more = await cold.newest(
                redis, site_id, tags=filters.tags, span=(filters.start_ms, filters.end_ms),
                hot_from=hot_from, after=after, need=limit - len(items),
            )  # fmt: skip
            items += [row_item(row) for row in rows]
        next_cursor = None
        if more and items:
            last = items[-1]
            next_cursor = encode_cursor(int(last["eventTime"] or 0), str(last["id"]))
        return items, next_cursor
    raise ServiceUnavailable("Events are being moved; try again", retry_after=1)
