"""The events stream's entry format, written by the tracking service and read by the worker."""

from __future__ import annotations

from typing import Any

import orjson

ACCOUNT_FIELD = "a"
EVENT_FIELD = "e"


def encode_entry(account_id: str, event: dict[str, Any]) -> dict[str, str]:
    """Stream fields for one accepted event."""
    return {ACCOUNT_FIELD: account_id, EVENT_FIELD: orjson.dumps(event).decode()}


class MalformedEntry(ValueError):
    """A stream entry that no worker can process (it goes to the dead-letter stream)."""


def decode_entry(fields: dict[str, str]) -> tuple[str, dict[str, Any]]:
    """(account id, event) of a stream entry, or MalformedEntry."""
    try:
        account_id = fields[ACCOUNT_FIELD]
        event = orjson.loads(fields[EVENT_FIELD])
    except (KeyError, orjson.JSONDecodeError) as exc:
        raise MalformedEntry(f"undecodable entry: {type(exc).__name__}") from exc
    if not account_id or not isinstance(event, dict):
        raise MalformedEntry("entry lacks an account or an event object")
    return account_id, event
