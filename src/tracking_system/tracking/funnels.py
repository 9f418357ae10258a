"""A site's saved funnels: a name, 2-8 steps (an event name, or a page path with `*`) and a
window (`session` or `Nd`). Kept in one hash per site (`Funnels:{<site>}`), at most MAX_FUNNELS."""

from __future__ import annotations

import uuid
from typing import Annotated

import redis.asyncio as aioredis
from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from tracking_system.common import keys
from tracking_system.common.errors import InvalidInput
from tracking_system.common.zones import now_iso
from tracking_system.tracking.goals import Kind, Text
from tracking_system.tracking.sitedocs import SiteDocument, SiteDocuments
from tracking_system.tracking.stats.funnels import MAX_STEPS, MIN_STEPS, Step, parse_window

MAX_FUNNELS = 50


def _window(value: str) -> str:
    try:
        parse_window(value)
    except InvalidInput as exc:
        raise ValueError(exc.errors["window"]) from exc
    return value


Window = Annotated[str, AfterValidator(_window)]


class FunnelStepIn(BaseModel):
    """One step."""

    model_config = ConfigDict(extra="forbid")
    kind: Kind
    match: Text = Field(max_length=512)


class FunnelIn(BaseModel):
    """A new funnel."""

    model_config = ConfigDict(extra="forbid")
    name: Text = Field(max_length=100)
    steps: list[FunnelStepIn] = Field(min_length=MIN_STEPS, max_length=MAX_STEPS)
    window: Window = "1d"


class FunnelPatch(BaseModel):
    """Changes to a funnel."""

    model_config = ConfigDict(extra="forbid")
    name: Text | None = Field(default=None, max_length=100)
    steps: list[FunnelStepIn] | None = Field(default=None, min_length=MIN_STEPS,
                                             max_length=MAX_STEPS)  # fmt: skip
    window: Window | None = None


class Funnel(SiteDocument):
    """A funnel as stored and answered."""

    name: str
    steps: list[FunnelStepIn]
    window: str

    def funnel_steps(self) -> list[Step]:
        """The steps as the funnel computation takes them."""
        return [Step(step.kind, step.match) for step in self.steps]


STORE = SiteDocuments(Funnel, keys.funnels, MAX_FUNNELS, "funnel")


def _check(steps: list[FunnelStepIn]) -> None:
    if any(step.kind == "page" and not step.match.startswith("/") for step in steps):
        raise InvalidInput(errors={"steps": "A page step is a path starting with /"})


async def create_funnel(redis: aioredis.Redis, *, site_id: str, given: FunnelIn) -> Funnel:
    """Store a new funnel; 409 past MAX_FUNNELS."""
    _check(given.steps)
    funnel = Funnel(id=uuid.uuid4().hex, createdAt=now_iso(), name=given.name,
                    steps=given.steps, window=given.window)  # fmt: skip
    return await STORE.add(redis, site_id=site_id, doc=funnel)


async def update_funnel(redis: aioredis.Redis, *, site_id: str, funnel_id: str,
                        changes: FunnelPatch) -> Funnel:  # fmt: skip
    """The funnel with the changes applied, or 404."""
    funnel = await STORE.get(redis, site_id=site_id, doc_id=funnel_id)
    updated = funnel.model_copy(update={k: v for k, v in
                                        (("name", changes.name), ("steps", changes.steps),
                                         ("window", changes.window)) if v is not None})  # fmt: skip
    _check(updated.steps)
    return await STORE.replace(redis, site_id=site_id, doc=updated)
