"""Visitors of trackers that send no visitor id (Plausible, Umami), derived as Plausible does: a
hash of a daily random salt, the site, the address and the agent. Salts are drawn per UTC day,
kept two days (a visit crossing midnight continues) and never stored with events. A visit (the
event model's session) ends after 30 minutes without an event (`keys.VISIT_IDLE_SECONDS`)."""

from __future__ import annotations

import hashlib
import secrets
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import redis.asyncio as aioredis

from tracking_system.common import keys
from tracking_system.common.scripts import Script, ScriptClient

_SALT_BYTES = 32
_VISITOR_HEX = 32

# KEYS[1] visit of today's visitor hash, KEYS[2] of yesterday's (or KEYS[1] again). ARGV[1] a
# fresh session id, ARGV[2] idle seconds, ARGV[3] a user id to remember ('' for none).
# Continues yesterday's visit when it is still open and today's is not; returns {1 if today's key
# was used else 0, session id, user id or ''}.
_VISIT = Script("""
local key = KEYS[1]
if KEYS[2] ~= KEYS[1] and redis.call('EXISTS', KEYS[1]) == 0
   and redis.call('EXISTS', KEYS[2]) == 1 then key = KEYS[2] end
local s = redis.call('HGET', key, 's')
if not s then
  s = ARGV[1]
  redis.call('HSET', key, 's', s)
end
if ARGV[3] ~= '' then redis.call('HSET', key, 'u', ARGV[3]) end
local u = redis.call('HGET', key, 'u') or ''
redis.call('EXPIRE', key, ARGV[2])
if key == KEYS[1] then return {1, s, u} end
return {0, s, u}
""")


@dataclass(frozen=True)
class Visit:
    """Who sent an event and in which session; `user_id` once identified (Umami)."""

    visitor: str
    session_id: str
    user_id: str | None

    @property
    def event_user_id(self) -> str:
        """The event's userId: the identified user, else the hashed visitor."""
        return self.user_id or self.visitor


def _day(now_s: float, days_ago: int = 0) -> str:
    return (datetime.fromtimestamp(now_s, UTC) - timedelta(days=days_ago)).strftime("%Y-%m-%d")


def visitor_hash(salt: bytes, site_id: str, ip: str, user_agent: str) -> str:
    """The anonymous visitor id of (site, address, agent) under one day's salt."""
    digest = hashlib.blake2b(digest_size=_VISITOR_HEX // 2, key=salt)
    for part in (site_id, ip, user_agent):
        digest.update(part.encode("utf-8", "surrogatepass") + b"\x00")
    return digest.hexdigest()


class Visitors:
    """Daily salts (cached in the process: a day's salt never changes) and visits, each one
    script run through `runner` when given (the auto-pipelined connection), else `redis`."""

    def __init__(self, redis: aioredis.Redis, *, runner: ScriptClient | None = None) -> None:
        self._redis = redis
        self._runner: ScriptClient = runner or redis
        self._salts: dict[str, bytes] = {}

    async def _salt(self, day: str) -> bytes:
        salt = self._salts.get(day)
        if salt is not None:
            return salt
        key = keys.visitor_salt(day)
        await self._redis.set(
            key, secrets.token_hex(_SALT_BYTES), nx=True, ex=keys.VISITOR_SALT_TTL_SECONDS
        )
        found = await self._redis.get(key)
        salt = bytes.fromhex(str(found))
        if len(self._salts) > 4:
            self._salts.clear()
        self._salts[day] = salt
        return salt

    async def hashed(
        self, *, site_id: str, ip: str, user_agent: str, user_id: str | None = None
    ) -> Visit:
        """The visit of the visitor hashed from the request (yesterday's hash while its visit
        is still open, so a visit crossing midnight stays one)."""
        now_s = time.time()
        today = visitor_hash(await self._salt(_day(now_s)), site_id, ip, user_agent)
        yesterday = visitor_hash(await self._salt(_day(now_s, 1)), site_id, ip, user_agent)
        return await self._visit(site_id, today, yesterday, user_id)

    async def known(self, *, site_id: str, visitor: str, user_id: str | None = None) -> Visit:
        """The visit of a visitor whose id the client carried back (Umami's cache)."""
        return await self._visit(site_id, visitor, visitor, user_id)

    async def _visit(self, site_id: str, today: str, yesterday: str, user_id: str | None) -> Visit:
        used_today, session_id, known_user = await _VISIT.run(
            self._runner,
            [keys.visit(site_id, today), keys.visit(site_id, yesterday)],
            [uuid.uuid4().hex, keys.VISIT_IDLE_SECONDS, user_id or ""],
        )
        return Visit(
            visitor=today if int(used_today) else yesterday,
            session_id=str(session_id),
            user_id=str(known_user) or None,
        )
