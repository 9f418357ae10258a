"""Sending events through the real gateway and waiting for the worker to store them."""

from __future__ import annotations

import itertools
import time
import uuid
from typing import Any

import httpx
import orjson
import redis

from tests.support.accounts import Account
from tracking_system.common import keys, rollups
from tracking_system.common.columnar import CONTEXT_PREFIX
from tracking_system.common.indexes import is_missing_index, site_event_index_schema
from tracking_system.worker.store import context_fields

CHROME = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/120.0.0.0 Safari/537.36"
)
IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1"
)
GOOGLEBOT = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"
_seq = itertools.count()


def now_ms() -> int:
    """The current time in epoch milliseconds."""
    return int(time.time() * 1000)


def make_event(**fields: Any) -> dict[str, Any]:
    """A valid event; any field can be overridden (None removes it)."""
    event: dict[str, Any] = {
        "sessionId": "session-1",
        "userId": "user-1",
        "eventTime": now_ms(),
        "eventName": "PAGE_VIEW",
        "page": "https://shop.example.com/pricing",
        "eventId": f"ev-{uuid.uuid4().hex}-{next(_seq)}",
    }
    event.update(fields)
    return {k: v for k, v in event.items() if v is not None}


def send(
    client: httpx.Client,
    api_key: str,
    events: list[Any],
    *,
    user_agent: str = CHROME,
    headers: dict[str, str] | None = None,
) -> httpx.Response:
    """POST a batch to the public ingestion endpoint."""
    return client.post(
        "/api/v1/events",
        json={"apiKey": api_key, "events": events},
        headers={"User-Agent": user_agent, **(headers or {})},
    )


def send_stored(
    api: httpx.Client,
    redis_client: redis.Redis,
    account: Account,
    events: list[dict[str, Any]],
    **kwargs: Any,
) -> None:
    """Send through the gateway and wait until the worker stored all of the account's events."""
    before = stored_count(redis_client, account.user["id"])
    response = send(api, account.user["apiKey"], events, **kwargs)
    assert response.status_code == 202, response.text
    assert response.json()["data"]["accepted"] == len(events)
    expected = before + len(events)
    assert wait_for_stored(redis_client, account.user["id"], expected) == expected


def _search_site(redis_client: redis.Redis, site_id: str, *args: str) -> Any:
    """FT.SEARCH over the site's index; an empty reply before its first event (no index yet)."""
    try:
        return redis_client.execute_command(  # type: ignore[no-untyped-call]
            "FT.SEARCH", keys.event_index(site_id), "*", *args, "DIALECT", "2"
        )
    except redis.ResponseError as exc:
        if is_missing_index(exc):
            return [0]
        raise


def index_site(redis_client: redis.Redis, site_id: str) -> None:
    """Create the site's event index, as the worker does before the site's first event (for
    fixtures that write event hashes directly)."""
    fields, definition = site_event_index_schema(site_id)
    try:
        redis_client.ft(keys.event_index(site_id)).create_index(fields, definition=definition)
    except redis.ResponseError as exc:
        if "already exists" not in str(exc).lower():
            raise


def stored_count(redis_client: redis.Redis, site_id: str) -> int:
    """Events of the site in its index."""
    result = _search_site(redis_client, site_id, "LIMIT", "0", "0")
    if isinstance(result, dict):
        return int(result["total_results"])
    return int(result[0])


def rolled_up_count(redis_client: redis.Redis, site_id: str) -> int:
    """Events counted by the lifetime rollup."""
    return int(redis_client.hget(rollups.lifetime_totals(site_id), "e") or 0)


def wait_for_stored(
    redis_client: redis.Redis, site_id: str, expected: int, *, within: float = 30
) -> int:
    """Poll until the site has `expected` stored events; return the final count."""
    deadline = time.monotonic() + within
    count = stored_count(redis_client, site_id)
    while count < expected and time.monotonic() < deadline:
        time.sleep(0.05)
        count = stored_count(redis_client, site_id)
    return count


def stored_events(redis_client: redis.Redis, site_id: str) -> list[dict[str, str]]:
    """Every stored event hash of the site."""
    result = _search_site(redis_client, site_id, "LIMIT", "0", "10000")
    if isinstance(result, dict):
        return [
            {str(k): str(v) for k, v in row["extra_attributes"].items()}
            for row in result["results"]
        ]
    rows = result[2::2]
    return [{str(r[i]): str(r[i + 1]) for i in range(0, len(r), 2)} for r in rows]


def context_of(stored: dict[str, str]) -> dict[str, str]:
    """A stored event's context scalars as text, as `context.<key>` filters match them."""
    fields = context_fields(orjson.loads(stored.get("_context") or "null"))
    return {
        k.removeprefix(CONTEXT_PREFIX): v for k, v in zip(fields[::2], fields[1::2], strict=True)
    }
