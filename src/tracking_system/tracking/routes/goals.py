"""/api/v1/goals: a site's goals (an event name, or a page path with `*`)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path
from starlette.responses import Response

from tracking_system.common.errors import envelope
from tracking_system.common.responses import Envelope
from tracking_system.tracking import goals
from tracking_system.tracking.deps import CurrentSite, RedisDep

router = APIRouter(prefix="/api/v1/goals", tags=["goals"])

GoalId = Annotated[str, Path(max_length=64)]


@router.get("", summary="The site's goals", response_model=Envelope[list[goals.Goal]])
async def list_goals(site: CurrentSite, redis: RedisDep) -> dict[str, Any]:
    """Oldest first."""
    return envelope(await goals.list_goals(redis, site_id=site.id))


@router.post("", status_code=201, summary="Add a goal", response_model=Envelope[goals.Goal])
async def create_goal(body: goals.GoalIn, site: CurrentSite, redis: RedisDep) -> dict[str, Any]:
    """At most 50 per site."""
    return envelope(await goals.create_goal(redis, site_id=site.id, given=body))


@router.patch("/{goal_id}", summary="Change a goal", response_model=Envelope[goals.Goal])
async def update_goal(
    goal_id: GoalId, body: goals.GoalPatch, site: CurrentSite, redis: RedisDep
) -> dict[str, Any]:
    """Name, kind or match."""
    return envelope(await goals.update_goal(redis, site_id=site.id, goal_id=goal_id, changes=body))


@router.delete("/{goal_id}", status_code=204, summary="Remove a goal")
async def delete_goal(goal_id: GoalId, site: CurrentSite, redis: RedisDep) -> Response:
    """Its numbers go with it (they are computed, never stored)."""
    await goals.delete_goal(redis, site_id=site.id, goal_id=goal_id)
    return Response(status_code=204)
