"""Reading the worker's rollups (layout in common/rollups.py): cost grows with the number of
days asked for, not with the number of events."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from typing import Any

import redis.asyncio as aioredis

from tracking_system.common import keys, rollups


def _day(day: date) -> str:
    return day.isoformat()


@dataclass(frozen=True)
class View:
    """The rollups answering a question: the site's day counters in a zone (named by its label,
    see rollups.covers), or those of the sessions with one session-level value (a filter)."""

    site_id: str
    label: str
    filter: tuple[str, str] | None = None

    def counters(self, day: date) -> str:
        """HASH of a day's counters; its HLLs are `+ ":u"` and `+ ":s"`."""
        if self.filter is None:
            return rollups.day_counters(self.site_id, self.label, _day(day))
        return rollups.filter_counters(self.site_id, self.label, _day(day), *self.filter)

    def lifetime(self) -> str:
        """HASH whose `e` counts the lifetime events."""
        if self.filter is None:
            return rollups.lifetime_totals(self.site_id)
        return rollups.lifetime_filter_totals(self.site_id, *self.filter)


async def daily(redis: aioredis.Redis, *, view: View, days: list[date]) -> list[dict[str, Any]]:
    """events, pageviews, users, sessions of each day."""
    async with redis.pipeline(transaction=False) as pipe:
        for day in days:
            key = view.counters(day)
            pipe.hmget(key, ["e", "pv"])
            # The command, not the method: redis-py's cluster pipeline refuses the method
            # (PFCOUNT may name several keys), though the keys of one site share a slot.
            pipe.execute_command("PFCOUNT", key + ":u")
            pipe.execute_command("PFCOUNT", key + ":s")
        raw = await pipe.execute()
    out = []
    for i, day in enumerate(days):
        counters: list[str | None] = raw[3 * i]
        events, pageviews = counters
        users, sessions = raw[3 * i + 1], raw[3 * i + 2]
        out.append({"day": _day(day), "events": int(events or 0), "pageviews": int(pageviews or 0),
                    "users": int(users), "sessions": int(sessions)})  # fmt: skip
    return out


async def totals(redis: aioredis.Redis, *, view: View, days: list[date]) -> dict[str, int]:
    """Sums of the day counters, and distinct users and sessions over all the days."""
    return (await totals_of_groups(redis, view=view, groups=[days]))[0]


async def totals_of_groups(redis: aioredis.Redis, *, view: View,
                           groups: list[list[date]]) -> list[dict[str, int]]:  # fmt: skip
    """totals() of each group of days, in one round trip."""
    async with redis.pipeline(transaction=False) as pipe:
        for days in groups:
            names = [view.counters(d) for d in days]
            for key in names:
                pipe.hgetall(key)
            pipe.execute_command("PFCOUNT", *(key + ":u" for key in names))  # see daily()
            pipe.execute_command("PFCOUNT", *(key + ":s" for key in names))
        raw = await pipe.execute()
    fields = {"e": "events", "pv": "pageviews", "started": "started", "bounces": "bounces",
              "dur": "dur"}  # fmt: skip
    out = []
    at = 0
    for days in groups:
        sums = dict.fromkeys(fields.values(), 0)
        for counters in raw[at : at + len(days)]:
            for field, name in fields.items():
                sums[name] += int(counters.get(field, 0))
        users, sessions = raw[at + len(days)], raw[at + len(days) + 1]
        out.append({**sums, "users": int(users), "sessions": int(sessions)})
        at += len(days) + 2
    return out


async def top(
    redis: aioredis.Redis, *, site_id: str, zset_keys: list[str], limit: int
) -> list[tuple[str, int]]:
    """The highest-scoring members over the union of the site's ZSETs (ties by value)."""
    if not zset_keys:
        return []
    rows: Any
    if len(zset_keys) == 1:
        rows = await redis.zrevrangebyscore(zset_keys[0], "+inf", 1, withscores=True)
    else:  # the site's keys share a slot, so this is one command on a cluster too
        rows = await redis.zunion(zset_keys, withscores=True)
    ranked = sorted(((str(v), int(s)) for v, s in rows if s >= 1), key=lambda r: (-r[1], r[0]))
    return ranked[:limit]


async def distinct_per_value(
    redis: aioredis.Redis, *, hll_keys: dict[str, list[str]]
) -> dict[str, int]:
    """PFCOUNT over each value's HLL keys."""
    async with redis.pipeline(transaction=False) as pipe:
        for key_list in hll_keys.values():
            pipe.execute_command("PFCOUNT", *key_list)  # see daily()
        counts = await pipe.execute()
    return {value: int(c) for value, c in zip(hll_keys, counts, strict=True)}


async def exit_visitors(redis: aioredis.Redis, *, site_id: str, label: str, days: list[date],
                        values: list[str]) -> dict[str, int]:  # fmt: skip
    """Distinct users whose sessions ended on each page (exact: a union of ZSETs)."""
    out: dict[str, int] = {}
    script = redis.register_script(_UNION_CARD)
    for value in values:
        temp = keys.temp(site_id, "exit", uuid.uuid4().hex)
        key_list = [rollups.day_exit_visitors(site_id, label, _day(d), value) for d in days]
        out[value] = int(await script(keys=[temp, *key_list]))
    return out


# KEYS[1] a temporary key, KEYS[2..] ZSETs of the same slot: how many members of their union
# have a positive total score.
_UNION_CARD = """
redis.call('ZUNIONSTORE', KEYS[1], #KEYS - 1, unpack(KEYS, 2))
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', 0)
local n = redis.call('ZCARD', KEYS[1])
redis.call('DEL', KEYS[1])
return n
"""
