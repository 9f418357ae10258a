"""Validation of incoming events: one message per wrong field, nothing guessed or dropped."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import orjson

MAX_EVENT_TIME_MS = 2**48 - 1  # what a ULID's time part holds (year 10889)


@dataclass(frozen=True)
class Limits:
    """Bounds of the ingestion contract (API.md)."""

    max_events: int = 500
    max_body_bytes: int = 512 * 1024
    max_context_bytes: int = 8 * 1024
    max_context_depth: int = 32
    future_tolerance_ms: int = 5 * 60 * 1000
    max_url_chars: int = 2048
    max_name_chars: int = 256
    max_id_chars: int = 128
    max_user_id_chars: int = 256
    max_user_agent_chars: int = 1024


GZIP_MAGIC = b"\x1f\x8b"


def _depth(value: Any, limit: int = 64) -> int:
    """How deeply lists and objects nest in a JSON value (counting stops past `limit`)."""
    if limit <= 0 or not isinstance(value, dict | list):
        return 0
    children = value.values() if isinstance(value, dict) else value
    return 1 + max((_depth(child, limit - 1) for child in children), default=0)


_CONTROL_CHAR = re.compile("[\x00-\x1f\x7f]")


def has_control_chars(value: str) -> bool:
    """True when the text holds a control character (never valid in ids, names or URLs)."""
    return _CONTROL_CHAR.search(value) is not None


def _text(
    raw: dict[str, Any], field: str, errors: dict[str, str], *, max_chars: int, required: bool
) -> str | None:
    value = raw.get(field)
    if value is None:
        if required:
            errors[field] = "Required"
        return None
    if not isinstance(value, str):
        errors[field] = "Must be a string"
        return None
    if not value:
        if required:
            errors[field] = "Must not be empty"
        return None
    if len(value) > max_chars:
        errors[field] = f"At most {max_chars} characters"
        return None
    if has_control_chars(value):
        errors[field] = "Must not contain control characters"
        return None
    return value


def is_page_url(value: str) -> bool:
    """An absolute http(s) URL with a host, or a path starting with '/'."""
    if value.startswith("/"):
        return not value.startswith("//")
    try:
        parts = urlsplit(value)
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and bool(parts.netloc)


def is_referrer_url(value: str) -> bool:
    """A URL with a scheme and a host (apps send android-app:// and the like)."""
    try:
        parts = urlsplit(value)
    except ValueError:
        return False
    return bool(parts.scheme) and bool(parts.netloc)


def _event_time(raw: dict[str, Any], errors: dict[str, str], now_ms: int, limits: Limits) -> int:
    value = raw.get("eventTime")
    if value is None:
        errors["eventTime"] = "Required (epoch milliseconds)"
        return 0
    if isinstance(value, bool) or not isinstance(value, int | float):
        errors["eventTime"] = "Must be a number of epoch milliseconds"
        return 0
    if isinstance(value, float) and not value.is_integer():
        errors["eventTime"] = "Must be a whole number of milliseconds"
        return 0
    millis = int(value)
    if millis < 0 or millis > MAX_EVENT_TIME_MS:
        errors["eventTime"] = "Out of range"
        return 0
    # Clocks run ahead; a time far in the future would sit in tomorrow's stats: use receive time.
    return now_ms if millis > now_ms + limits.future_tolerance_ms else millis


def validate_event(
    raw: object, *, now_ms: int, api_key: str, limits: Limits
) -> tuple[dict[str, Any] | None, dict[str, str]]:
    """(normalized event, {}) or (None, field errors) for one event of a request."""
    if not isinstance(raw, dict):
        return None, {"event": "Must be a JSON object"}
    errors: dict[str, str] = {}
    own_key = raw.get("apiKey")
    if own_key is not None and own_key != api_key:
        errors["apiKey"] = "Does not match the request's API key"
    session_id = _text(raw, "sessionId", errors, max_chars=limits.max_id_chars, required=True)
    user_id = _text(raw, "userId", errors, max_chars=limits.max_user_id_chars, required=False)
    event_name = _text(raw, "eventName", errors, max_chars=limits.max_name_chars, required=True)
    page = _text(raw, "page", errors, max_chars=limits.max_url_chars, required=True)
    if page is not None and not is_page_url(page):
        errors["page"] = "Must be an http(s) URL or a path starting with /"
    referrer = _text(raw, "referrer", errors, max_chars=limits.max_url_chars, required=False)
    if referrer is not None and not is_referrer_url(referrer):
        errors["referrer"] = "Must be a URL"
    event_id = _text(raw, "eventId", errors, max_chars=limits.max_id_chars, required=False)
    # A server may forward its visitor's agent: enrichment then parses it instead of the header.
    user_agent = _text(
        raw, "userAgent", errors, max_chars=limits.max_user_agent_chars, required=False
    )
    event_time = _event_time(raw, errors, now_ms, limits)
    context = raw.get("context")
    if context is not None:
        if not isinstance(context, dict):
            errors["context"] = "Must be a JSON object"
        elif _depth(context) > limits.max_context_depth:
            errors["context"] = f"At most {limits.max_context_depth} levels of nesting"
        else:
            try:
                size = len(orjson.dumps(context))
            except orjson.JSONEncodeError:  # e.g. an integer beyond 64 bits
                errors["context"] = "Must be plain JSON (numbers within 64 bits)"
            else:
                if size > limits.max_context_bytes:
                    errors["context"] = f"At most {limits.max_context_bytes // 1024} KB"
    if errors:
        return None, errors
    if session_id is None or event_name is None or page is None:  # pragma: no cover
        raise AssertionError("required fields were checked above")
    return {
        "eventId": event_id,
        "sessionId": session_id,
        # The seed's rule: an anonymous event belongs to a temporary user derived from its session.
        "userId": user_id if user_id is not None else f"temp:{session_id}",
        "eventTime": event_time,
        "eventName": event_name,
        "page": page,
        "referrer": referrer,
        # An empty object stays an empty object; only a missing context is null.
        "context": context,
        "userAgent": user_agent,
    }, {}


@dataclass(frozen=True)
class ParsedBody:
    """The request body split into its key and raw events."""

    api_key: str | None
    events: list[Any]
    is_batch: bool


class BodyError(ValueError):
    """The body as a whole is unusable; `status` is 400 or 413."""

    def __init__(self, status: int, errors: dict[str, Any]) -> None:
        super().__init__(str(errors))
        self.status = status
        self.errors = errors


def parse_body(body: bytes, limits: Limits) -> ParsedBody:
    """Decode JSON and tell a single event from a batch `{apiKey, events: [...]}`."""
    if not body:
        raise BodyError(400, {"body": "Empty body: send one event or {apiKey, events: [...]}"})
    if body.startswith(GZIP_MAGIC):
        raise BodyError(400, {"body": "The body is gzip-compressed: send it uncompressed"})
    try:
        payload = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise BodyError(400, {"body": f"Invalid JSON: {exc.msg}"}) from exc
    if not isinstance(payload, dict):
        raise BodyError(400, {"body": "Must be a JSON object"})
    key = payload.get("apiKey")
    if key is not None and not isinstance(key, str):
        raise BodyError(400, {"apiKey": "Must be a string"})
    if "events" not in payload:
        return ParsedBody(api_key=key, events=[payload], is_batch=False)
    events = payload["events"]
    if not isinstance(events, list):
        raise BodyError(400, {"events": "Must be a list of events"})
    if not events:
        raise BodyError(400, {"events": "At least one event"})
    if len(events) > limits.max_events:
        raise BodyError(413, {"events": f"At most {limits.max_events} events per request"})
    return ParsedBody(api_key=key, events=events, is_batch=True)
