"""A site's visitor erasures (GDPR): a request names a userId; the worker (worker/erasure.py)
removes every event of it accepted before the request from every tier, then rebuilds the rollups
without them. Kept in one hash per site (`Erasures:{<site>}`: id -> JSON)."""

from __future__ import annotations

import uuid
from typing import Annotated, Literal

import redis.asyncio as aioredis
from pydantic import AfterValidator, BaseModel, ConfigDict, Field
from redis.exceptions import ResponseError

from tracking_system.common import keys
from tracking_system.common.zones import now_iso
from tracking_system.tracking.ingest.validation import has_control_chars
from tracking_system.tracking.sitedocs import SiteDocument, SiteDocuments

MAX_ERASURES = 1000
Status = Literal["pending", "rebuilding", "done"]


def _user_id(value: str) -> str:
    if not value:
        raise ValueError("Must not be empty")
    if has_control_chars(value):
        raise ValueError("Must not contain control characters")
    return value


class ErasureIn(BaseModel):
    """A request to erase one visitor."""

    model_config = ConfigDict(extra="forbid")
    userId: Annotated[str, AfterValidator(_user_id)] = Field(
        max_length=256, description="The visitor's userId, exactly as the events carry it"
    )


class Erasure(SiteDocument):
    """An erasure request and how far it got."""

    userId: str | None = Field(
        description="The visitor; null once its events are gone (it is not kept)"
    )
    status: Status = Field(
        description="pending: waiting for the events accepted before it to be stored; "
        "rebuilding: the events are gone, the rollups are being rebuilt without them; done"
    )
    eventsErased: int = 0
    finishedAt: str | None = None


STORE = SiteDocuments(Erasure, keys.erasures, MAX_ERASURES, "erasure request")


async def list_erasures(redis: aioredis.Redis, *, site_id: str) -> list[Erasure]:
    """The site's erasure requests, newest first."""
    return list(reversed(await STORE.list(redis, site_id=site_id)))


async def create_erasure(
    redis: aioredis.Redis, *, site_id: str, given: ErasureIn, stream: str
) -> Erasure:
    """Record a request and list the site for the worker; 409 past MAX_ERASURES. `stream` is the
    site's ingestion shard: the request covers the events it holds now (its last id)."""
    try:
        info = await redis.xinfo_stream(stream)
        after = str(info["last-generated-id"])
    except ResponseError:  # no stream yet: nothing accepted
        after = "0-0"
    erasure = Erasure(id=uuid.uuid4().hex, createdAt=now_iso(), userId=given.userId,
                      status="pending")  # fmt: skip
    await STORE.add(redis, site_id=site_id, doc=erasure,
                    stored={"stream": stream, "after": after})  # fmt: skip
    await redis.sadd(keys.ERASURES, site_id)
    return erasure
