"""The seed's inline SDK (`POST /api/tracking-service/v1/public/events/`): one event of the event
model, `{apiKey, eventName, context, userId, sessionId, page, referrer, eventTime}`. Its loose
spellings are read as the seed's server read them: `eventTime` as an ISO-8601 string, `context`
as a JSON string, empty `userId` / `referrer` as absent."""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime
from typing import Any

import orjson

from tracking_system.tracking.ingest.validation import BodyError, Limits, ParsedBody, parse_body


def _epoch_ms(value: str) -> int | str:
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return value  # left for validation to name
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return int(moment.timestamp() * 1000)


def adapt(event: dict[str, Any]) -> dict[str, Any]:
    """The event with the seed's loose spellings made the event model's."""
    out = dict(event)
    if isinstance(out.get("eventTime"), str):
        out["eventTime"] = _epoch_ms(out["eventTime"])
    context = out.get("context")
    if isinstance(context, str):
        with contextlib.suppress(orjson.JSONDecodeError):  # else left for validation to name
            out["context"] = orjson.loads(context) if context.strip() else None
    for field in ("userId", "referrer", "context"):
        if out.get(field) == "":
            out[field] = None
    return out


def parse(body: bytes, limits: Limits) -> ParsedBody:
    """The request's one event (a batch is not the seed's: refused as the body's error)."""
    parsed = parse_body(body, limits)
    if parsed.is_batch:
        raise BodyError(400, {"body": "One event per request"})
    event = parsed.events[0]
    return ParsedBody(api_key=parsed.api_key, events=[adapt(event)], is_batch=False)
