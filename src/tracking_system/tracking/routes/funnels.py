"""/api/v1/funnels: a site's saved funnels (their numbers: /api/v1/stats/funnel?funnelId=)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path
from starlette.responses import Response

from tracking_system.common.errors import envelope
from tracking_system.common.responses import Envelope
from tracking_system.tracking import funnels
from tracking_system.tracking.deps import CurrentSite, RedisDep

router = APIRouter(prefix="/api/v1/funnels", tags=["funnels"])

FunnelId = Annotated[str, Path(max_length=64)]


@router.get("", summary="The site's saved funnels", response_model=Envelope[list[funnels.Funnel]])
async def list_funnels(site: CurrentSite, redis: RedisDep) -> dict[str, Any]:
    """Oldest first."""
    return envelope(await funnels.STORE.list(redis, site_id=site.id))


@router.post("", status_code=201, summary="Save a funnel", response_model=Envelope[funnels.Funnel])
async def create_funnel(
    body: funnels.FunnelIn, site: CurrentSite, redis: RedisDep
) -> dict[str, Any]:
    """At most 50 per site."""
    return envelope(await funnels.create_funnel(redis, site_id=site.id, given=body))


@router.patch("/{funnel_id}", summary="Change a funnel", response_model=Envelope[funnels.Funnel])
async def update_funnel(
    funnel_id: FunnelId, body: funnels.FunnelPatch, site: CurrentSite, redis: RedisDep
) -> dict[str, Any]:
    """Name, steps or window."""
    return envelope(
        await funnels.update_funnel(redis, site_id=site.id, funnel_id=funnel_id, changes=body)
    )


@router.delete("/{funnel_id}", status_code=204, summary="Remove a funnel")
async def delete_funnel(funnel_id: FunnelId, site: CurrentSite, redis: RedisDep) -> Response:
    """Gone for good."""
    await funnels.STORE.delete(redis, site_id=site.id, doc_id=funnel_id)
    return Response(status_code=204)
