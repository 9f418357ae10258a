"""The ingestion body as OpenAPI sees it. The route reads the raw body itself (size limits come
before parsing, text/plain is accepted), so these models only document the contract."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field, TypeAdapter

NO_CONTROL = r"^[^\x00-\x1f\x7f]+$"
URL_OR_PATH = r"^(/[^/\x00-\x1f\x7f]|https?://[^\x00-\x1f\x7f/]+)[^\x00-\x1f\x7f]*$"


class EventIn(BaseModel):
    """One event (API.md, Ingestion)."""

    apiKey: str | None = Field(default=None, description="Or the batch's key, or X-Api-Key")
    sessionId: str = Field(min_length=1, max_length=128, pattern=NO_CONTROL)
    userId: str | None = Field(default=None, max_length=256, pattern=NO_CONTROL)
    eventTime: int = Field(ge=0, le=2**48 - 1, description="Epoch milliseconds")
    eventName: str = Field(min_length=1, max_length=256, pattern=NO_CONTROL)
    page: str = Field(min_length=1, max_length=2048, pattern=URL_OR_PATH, description="URL or path")
    referrer: str | None = Field(default=None, max_length=2048)
    context: dict[str, Any] | None = Field(default=None, description="At most 8 KB")
    eventId: str | None = Field(default=None, max_length=128, pattern=NO_CONTROL)
    userAgent: str | None = Field(
        default=None,
        max_length=1024,
        pattern=NO_CONTROL,
        description="The visitor's user agent, forwarded by a server; parsed instead of the "
        "request's User-Agent header",
    )


class EventBatchIn(BaseModel):
    """Up to 500 events sharing one API key."""

    apiKey: str | None = None
    events: list[EventIn] = Field(min_length=1, max_length=500)


def _inline(node: Any, defs: dict[str, Any]) -> Any:
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/$defs/"):
            return _inline(defs[ref.removeprefix("#/$defs/")], defs)
        return {k: _inline(v, defs) for k, v in node.items() if k != "$defs"}
    if isinstance(node, list):
        return [_inline(v, defs) for v in node]
    return node


def ingest_request_body() -> dict[str, Any]:
    """`requestBody` of POST /api/v1/events, self-contained (no $refs)."""
    schema = TypeAdapter(EventIn | EventBatchIn).json_schema()
    inline = _inline(schema, schema.get("$defs", {}))
    return {
        "required": True,
        "content": {"application/json": {"schema": inline}, "text/plain": {"schema": inline}},
    }
