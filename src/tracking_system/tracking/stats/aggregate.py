"""Raw-event queries: one builder of queries over a site's event index (always scoped to the
site, bots out, every value escaped), one decoder of FT.AGGREGATE replies, and the bound on how
many run at once."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterable
from typing import Any, TypeVar

import redis.asyncio as aioredis
from redis.exceptions import ResponseError

from tracking_system.common import keys
from tracking_system.common.errors import ServiceUnavailable
from tracking_system.common.indexes import is_missing_index, recover_site_event_index
from tracking_system.common.redis import to_owner
from tracking_system.common.search import site_clause, tag_clause, tag_union
from tracking_system.tracking.goals import page_matches
from tracking_system.tracking.stats.filters import Filters, Split, equals

# The time limit of one raw query in Redis, past which it is abandoned with 503. RediSearch's own
# default (500 ms, "return") would silently hand back partial results.
QUERY_TIMEOUT_MS = 10_000
TOO_LONG = "The query took too long; narrow the period or the filters"
MAX_ROWS = 100_000
PAGE_VIEW = "PAGE_VIEW"


def event_query(site_id: str, start_ms: int, end_ms: int, indexed: Filters | None = None) -> str:
    """The site's non-bot events in [start, end) whose indexed fields equal the values given."""
    parts = [site_clause(site_id), f"@eventTime:[{start_ms} ({end_ms}]", "-@bot:{1}"]
    parts += [tag_clause(field, value) for field, value in indexed or ()]
    return " ".join(parts)


def loaded_filter_steps(split: Split) -> list[str]:
    """Event filters on fields the index lacks (context keys), applied after loading them."""
    steps: list[str] = []
    for field, value in split.loaded:
        steps += ["LOAD", "1", f"@{field}", "FILTER", equals(field, value)]
    return steps


def event_level(site_id: str, start_ms: int, end_ms: int,
                 split: Split) -> tuple[str, list[str]]:  # fmt: skip
    """(query, steps) selecting the events that every event filter holds for."""
    return event_query(site_id, start_ms, end_ms, split.indexed), loaded_filter_steps(split)


Row = dict[str, Any]


def _value(value: Any) -> Any:
    """A reply value as str, or a list of str (TOLIST)."""
    if isinstance(value, list):
        return [_value(v) for v in value]
    return "" if value is None else str(value)


async def aggregate(redis: aioredis.Redis, site_id: str, query: str, *steps: str) -> list[Row]:
    """Rows of FT.AGGREGATE over the site's index as dicts of strings (lists for TOLIST); none
    before its first event (no index yet); 503 when it runs past its time limit (its partial
    result would be wrong, not just incomplete)."""
    index = keys.event_index(site_id)
    try:
        result: Any = await redis.execute_command(  # type: ignore[no-untyped-call]
            "FT.AGGREGATE", index, query, "TIMEOUT", str(QUERY_TIMEOUT_MS), *steps,
            "DIALECT", "2", **to_owner(redis, index),
        )  # fmt: skip
    except ResponseError as exc:
        if "timeout" in str(exc).lower():
            raise ServiceUnavailable(TOO_LONG, retry_after=10) from exc
        if is_missing_index(exc):  # none yet, or left behind on another shard by a move
            if await recover_site_event_index(redis, site_id):
                return await aggregate(redis, site_id, query, *steps)
            return []
        raise
    if isinstance(result, dict):
        if any("timeout" in str(w).lower() for w in result.get("warning") or ()):
            raise ServiceUnavailable(TOO_LONG, retry_after=10)
        rows = [row.get("extra_attributes", {}) for row in result.get("results", [])]
        return [{str(k): _value(v) for k, v in row.items()} for row in rows]
    return [{str(row[i]): _value(row[i + 1]) for i in range(0, len(row), 2)} for row in result[1:]]


T = TypeVar("T")
# Raw queries one request runs at once: the connection pool is shared with every other request.
RAW_CONCURRENCY = 4


async def gather_raw(calls: Iterable[Callable[[], Awaitable[T]]]) -> list[T]:
    """The answers of several raw queries, in order, RAW_CONCURRENCY at a time."""
    slots = asyncio.Semaphore(RAW_CONCURRENCY)

    async def one(call: Callable[[], Awaitable[T]]) -> T:
        async with slots:
            return await call()

    return list(await asyncio.gather(*(one(call) for call in calls)))


def as_int(row: Row, key: str) -> int:
    value = row.get(key)
    return int(float(value)) if isinstance(value, str) and value not in ("", "nan") else 0


def match_clause(kind: str, match: str, paths: list[str]) -> str | None:
    """The events a goal or funnel step names: an event name, or the page views of the `paths`
    a page pattern (`*`: any run of characters) matches; None when it matches none of them."""
    if kind == "event":
        return tag_clause("eventName", match)
    matched = [path for path in paths if page_matches(match, path)]
    if not matched:
        return None
    return f"{tag_clause('eventName', PAGE_VIEW)} {tag_union('path', matched)}"
