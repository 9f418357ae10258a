"""A site's goals: an event name, or a page path where `*` matches any run of characters. Kept in
one hash per site (`Goals:{<site>}`: goal id -> JSON), at most MAX_GOALS of them."""

from __future__ import annotations

import re
import uuid
from functools import lru_cache
from typing import Annotated, Literal

import redis.asyncio as aioredis
from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from tracking_system.common import keys
from tracking_system.common.errors import InvalidInput
from tracking_system.common.zones import now_iso
from tracking_system.tracking.ingest.validation import has_control_chars
from tracking_system.tracking.sitedocs import SiteDocument, SiteDocuments

MAX_GOALS = 50
Kind = Literal["event", "page"]


def _text(value: str) -> str:
    value = value.strip()
    if not value:
        raise ValueError("Must not be empty")
    if has_control_chars(value):
        raise ValueError("Must not contain control characters")
    return value


Text = Annotated[str, AfterValidator(_text)]


class GoalIn(BaseModel):
    """A new goal."""

    model_config = ConfigDict(extra="forbid")
    name: Text = Field(max_length=100)
    kind: Kind
    match: Text = Field(max_length=512, description="An event name, or a page path with `*`")


class GoalPatch(BaseModel):
    """Changes to a goal."""

    model_config = ConfigDict(extra="forbid")
    name: Text | None = Field(default=None, max_length=100)
    kind: Kind | None = None
    match: Text | None = Field(default=None, max_length=512)


class Goal(SiteDocument):
    """A goal as stored and answered."""

    name: str
    kind: Kind
    match: str


def _check(kind: str, match: str) -> None:
    if kind == "page" and not match.startswith("/"):
        raise InvalidInput(errors={"match": "A page goal is a path starting with /"})


STORE = SiteDocuments(Goal, keys.goals, MAX_GOALS, "goal")


async def list_goals(redis: aioredis.Redis, *, site_id: str) -> list[Goal]:
    """The site's goals, oldest first."""
    return await STORE.list(redis, site_id=site_id)


async def create_goal(redis: aioredis.Redis, *, site_id: str, given: GoalIn) -> Goal:
    """Store a new goal; 409 past MAX_GOALS."""
    _check(given.kind, given.match)
    goal = Goal(id=uuid.uuid4().hex, createdAt=now_iso(), **given.model_dump())
    return await STORE.add(redis, site_id=site_id, doc=goal)


async def update_goal(redis: aioredis.Redis, *, site_id: str, goal_id: str,
                      changes: GoalPatch) -> Goal:  # fmt: skip
    """The goal with the changes applied, or 404."""
    goal = await STORE.get(redis, site_id=site_id, doc_id=goal_id)
    updated = goal.model_copy(update=changes.model_dump(exclude_none=True))
    _check(updated.kind, updated.match)
    return await STORE.replace(redis, site_id=site_id, doc=updated)


async def delete_goal(redis: aioredis.Redis, *, site_id: str, goal_id: str) -> None:
    """Remove a goal, or 404."""
    await STORE.delete(redis, site_id=site_id, doc_id=goal_id)


@lru_cache(maxsize=1024)
def page_pattern(match: str) -> re.Pattern[str]:
    """A page goal's path pattern: `*` matches any run of characters, nothing else is special."""
    return re.compile(".*".join(re.escape(part) for part in match.split("*")))


def page_matches(match: str, path: str) -> bool:
    """True when the path is one the page goal names."""
    return page_pattern(match).fullmatch(path) is not None
