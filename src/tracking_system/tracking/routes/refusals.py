"""GET /api/v1/stats/refused: events refused at ingestion for the caller's site, by reason."""

from __future__ import annotations

import time
from typing import Any

from fastapi import APIRouter

from tracking_system.common import refusals
from tracking_system.common.errors import envelope
from tracking_system.common.responses import Envelope
from tracking_system.tracking import schemas
from tracking_system.tracking.deps import CurrentSite, QuerySlot, RedisDep

router = APIRouter(prefix="/api/v1/stats", tags=["stats"], dependencies=[QuerySlot])


@router.get(
    "/refused",
    summary="Events refused at ingestion, by reason",
    response_model=Envelope[schemas.Refused],
)
async def refused(site: CurrentSite, redis: RedisDep) -> dict[str, Any]:
    """`{lastHour: {reason: n}, last24h: {reason: n}}` for retired_key, origin, rate_limited,
    invalid, backlog and expired (sliding windows, to the minute)."""
    return envelope(await refusals.read(redis, site_id=site.id, now_s=time.time()))
