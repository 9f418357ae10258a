"""The events stream's entry format, written by the tracking service and read by the worker."""

from __future__ import annotations

from typing import Any

import orjson

# The site field keeps its old name: entries written before sites hold the account id, which is
# the id of the account's first site.
SITE_FIELD = "a"
EVENT_FIELD = "e"


def encode_entry(site_id: str, event: dict[str, Any]) -> dict[str, str]:
    """Stream fields for one accepted event."""
    return {SITE_FIELD: site_id, EVENT_FIELD: orjson.dumps(event).decode()}


class MalformedEntry(ValueError):
    """A stream entry that no worker can process (it goes to the dead-letter stream)."""


def decode_entry(fields: dict[str, str]) -> tuple[str, dict[str, Any]]:
    """(site id, event) of a stream entry, or MalformedEntry."""
    try:
        site_id = fields[SITE_FIELD]
        event = orjson.loads(fields[EVENT_FIELD])
    except (KeyError, orjson.JSONDecodeError) as exc:
        raise MalformedEntry(f"undecodable entry: {type(exc).__name__}") from exc
    if not site_id or not isinstance(event, dict):
        raise MalformedEntry("entry lacks a site or an event object")
    return site_id, event


def id_tuple(entry_id: str) -> tuple[int, int]:
    """A stream entry id as (milliseconds, sequence), which orders like the stream."""
    ms, _, seq = str(entry_id).partition("-")
    return int(ms), int(seq or 0)
