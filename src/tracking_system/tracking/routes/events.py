"""GET /api/v1/events (explorer), /api/v1/events/export and /api/v1/events/live (SSE).

Thin routes: parameters in, `tracking.explorer` does the work. The ingestion POST on the same
path lives in routes/ingest.py."""

from __future__ import annotations

import weakref
from collections.abc import AsyncIterator
from contextlib import aclosing
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from starlette.responses import Response, StreamingResponse

from tracking_system.common.errors import InvalidInput, envelope
from tracking_system.common.responses import Envelope, JsonResponse
from tracking_system.tracking import explorer, export, live, schemas
from tracking_system.tracking.deps import CurrentAccount, CurrentSite, QuerySlot, RedisDep

router = APIRouter(tags=["events"])

OptionalText = Annotated[str | None, Query(max_length=4096)]
EXPORT_MEDIA_TYPES = {"csv": "text/csv; charset=utf-8", "ndjson": "application/x-ndjson"}


async def event_filters(
    site: CurrentSite,
    event_name: Annotated[str | None, Query(alias="eventName", max_length=4096)] = None,
    page: OptionalText = None,
    user_id: Annotated[str | None, Query(alias="userId", max_length=4096)] = None,
    session_id: Annotated[str | None, Query(alias="sessionId", max_length=4096)] = None,
    start: Annotated[str | None, Query(alias="from", max_length=64)] = None,
    end: Annotated[str | None, Query(alias="to", max_length=64)] = None,
    tz: Annotated[str | None, Query(max_length=128)] = None,
    filters: Annotated[list[str] | None, Query(alias="filter")] = None,
) -> explorer.EventFilters:
    """The filters the explorer and the export share."""
    tags = explorer.tag_filters(
        event_name=event_name,
        page=page,
        user_id=user_id,
        session_id=session_id,
        filters=filters or (),
    )
    start_ms, end_ms = await explorer.time_bounds(
        site_tz=site.timezone, tz=tz, start=start, end=end
    )
    return explorer.EventFilters(tags=tags, start_ms=start_ms, end_ms=end_ms)


FiltersDep = Annotated[explorer.EventFilters, Depends(event_filters)]


@router.get(
    "/api/v1/events",
    summary="The site's events, newest first, cursor-paged",
    dependencies=[QuerySlot],
    response_model=Envelope[schemas.EventsPage],
    # Validated against the model, then rendered by orjson as before (same bytes, same order).
    response_class=JsonResponse,
)
async def list_events(
    redis: RedisDep,
    site: CurrentSite,
    selected: FiltersDep,
    limit: Annotated[str | None, Query(max_length=32)] = None,
    cursor: Annotated[str | None, Query(max_length=256)] = None,
) -> dict[str, Any]:
    """`{items, nextCursor}`; pass nextCursor back as `cursor` (null after the last page)."""
    items, next_cursor = await explorer.list_events(
        redis=redis,
        site_id=site.id,
        filters=selected,
        limit=explorer.parse_limit(limit),
        cursor=cursor or None,
    )
    return envelope({"items": items, "nextCursor": next_cursor})


@router.get(
    "/api/v1/events/export",
    summary="Every matching event as CSV or NDJSON, streamed",
    dependencies=[QuerySlot],
    response_class=StreamingResponse,
    responses={
        200: {
            "description": "An attachment: events.csv (a header row of the explorer's columns, "
            "then one row per event) or events.ndjson (one explorer item per line)",
            "content": {
                "text/csv": {"schema": {"type": "string"}},
                "application/x-ndjson": {"schema": {"type": "string"}},
            },
        }
    },
)
async def export_events(
    redis: RedisDep,
    site: CurrentSite,
    selected: FiltersDep,
    fmt: Annotated[str | None, Query(alias="format", max_length=16)] = None,
) -> Response:
    """An attachment (events.csv or events.ndjson); same filters as the explorer."""
    chosen = (fmt or "csv").lower()
    if chosen == "csv":
        export_format: export.ExportFormat = "csv"
    elif chosen == "ndjson":
        export_format = "ndjson"
    else:
        raise InvalidInput(errors={"format": "Use csv or ndjson"})
    stream = export.export_events(redis=redis, site_id=site.id, filters=selected, fmt=export_format)
    # Run the query before answering, so a failure is an error envelope, not a cut-off file.
    try:
        first = await anext(stream)
    except StopAsyncIteration:
        first = b""

    async def body() -> AsyncIterator[bytes]:
        async with aclosing(stream):
            if first:
                yield first
            async for chunk in stream:
                yield chunk

    return StreamingResponse(
        body(),
        media_type=EXPORT_MEDIA_TYPES[export_format],
        headers={
            "Content-Disposition": f'attachment; filename="events.{export_format}"',
            "Cache-Control": "no-store",
        },
    )


@router.get(
    "/api/v1/events/live",
    summary="Server-Sent Events: each newly stored event",
    response_class=StreamingResponse,
    responses={
        200: {
            "description": "An endless text/event-stream: one `data: <event JSON>` message per "
            "stored event of the site, `: ping` comments every 15 s",
            "content": {"text/event-stream": {"schema": {"type": "string"}}},
        }
    },
)
async def live_events(request: Request, account: CurrentAccount, site: CurrentSite) -> Response:
    """One `data: <json>` message per stored event of the site; `: ping` every 15 s. 429 when
    the account already has LIVE_STREAMS_PER_ACCOUNT feeds open."""
    state = request.app.state
    slots: live.LiveSlots = state.live_slots
    release = slots.acquire(account)  # 429/503 before the answer starts

    async def body() -> AsyncIterator[bytes]:
        try:
            async with aclosing(
                live.live_events(
                    redis=state.live_redis,
                    site_id=site.id,
                    is_disconnected=request.is_disconnected,
                    policy=state.live_policy,
                )
            ) as events:
                async for chunk in events:
                    yield chunk
        finally:
            release()

    stream = body()
    # A stream never started (the client left before the first byte) gives its slot back too.
    weakref.finalize(stream, release)
    return StreamingResponse(
        stream,
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )
