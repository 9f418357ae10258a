"""/api/v1/erasures: erase a visitor's events (GDPR), and how far each request got."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

from tracking_system.common import keys
from tracking_system.common.errors import envelope
from tracking_system.common.responses import Envelope
from tracking_system.tracking import erasures
from tracking_system.tracking.deps import CurrentSite, RedisDep

router = APIRouter(prefix="/api/v1/erasures", tags=["erasures"])


@router.get(
    "", summary="The site's erasure requests", response_model=Envelope[list[erasures.Erasure]]
)
async def list_erasures(site: CurrentSite, redis: RedisDep) -> dict[str, Any]:
    """Newest first."""
    return envelope(await erasures.list_erasures(redis, site_id=site.id))


@router.post(
    "",
    status_code=202,
    summary="Erase a visitor's events",
    response_model=Envelope[erasures.Erasure],
)
async def create_erasure(
    body: erasures.ErasureIn, site: CurrentSite, redis: RedisDep, request: Request
) -> dict[str, Any]:
    """Every event of the userId accepted before now goes from every tier (raw events, day blobs,
    exports, rollups); the worker does it in the background (`status`)."""
    stream = keys.site_stream(site.id, request.app.state.ingest_policy.streams)
    return envelope(
        await erasures.create_erasure(redis, site_id=site.id, given=body, stream=stream)
    )
