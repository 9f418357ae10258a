"""A site's small documents (goals, saved funnels): one hash per site and kind, id -> JSON, at
most `limit` of them, listed oldest first."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import orjson
import redis.asyncio as aioredis
from pydantic import BaseModel

from tracking_system.common.errors import Conflict, NotFound


class SiteDocument(BaseModel):
    """What every stored document has."""

    id: str
    createdAt: str


M = TypeVar("M", bound=SiteDocument)

# Adds a document while the hash has fewer than ARGV[3]: KEYS[1] the hash, ARGV[1] id, ARGV[2] JSON.
_ADD = """
if redis.call('HLEN', KEYS[1]) >= tonumber(ARGV[3]) then return 0 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
return 1
"""


@dataclass(frozen=True)
class SiteDocuments(Generic[M]):
    """The store of one kind of document."""

    model: type[M]
    key: Callable[[str], str]
    limit: int
    noun: str

    async def list(self, redis: aioredis.Redis, *, site_id: str) -> list[M]:
        """Oldest first."""
        raw: dict[Any, Any] = await redis.hgetall(self.key(site_id))
        docs = [self.model.model_validate(orjson.loads(v)) for v in raw.values()]
        return sorted(docs, key=lambda d: (d.createdAt, d.id))

    async def add(
        self, redis: aioredis.Redis, *, site_id: str, doc: M, stored: dict[str, Any] | None = None
    ) -> M:
        """Store a new document (with `stored`: fields kept but not answered); 409 past the
        limit."""
        data = orjson.dumps({**doc.model_dump(), **stored}) if stored else doc.model_dump_json()
        added = await redis.eval(_ADD, 1, self.key(site_id), doc.id, data, self.limit)
        if not added:
            raise Conflict(f"A site has at most {self.limit} {self.noun}s")
        return doc

    async def get(self, redis: aioredis.Redis, *, site_id: str, doc_id: str) -> M:
        """One document, or 404."""
        raw: Any = await redis.hget(self.key(site_id), doc_id[:64])
        if raw is None:
            raise NotFound(f"No such {self.noun}")
        return self.model.model_validate(orjson.loads(raw))

    async def replace(self, redis: aioredis.Redis, *, site_id: str, doc: M) -> M:
        """Store a changed document (it exists: get it first)."""
        await redis.hset(self.key(site_id), doc.id, doc.model_dump_json())
        return doc

    async def delete(self, redis: aioredis.Redis, *, site_id: str, doc_id: str) -> None:
        """Remove a document, or 404."""
        if not await redis.hdel(self.key(site_id), doc_id[:64]):
            raise NotFound(f"No such {self.noun}")
