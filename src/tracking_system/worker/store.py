"""Turning decoded stream entries into the store script's input, and running it."""

from __future__ import annotations

import asyncio
import hashlib
from dataclasses import dataclass
from importlib import resources
from typing import Any

import orjson
import redis.asyncio as aioredis
from ulid import ULID

from tracking_system.common import columnar, keys, rollups
from tracking_system.common.geo import country_of
from tracking_system.common.indexes import ensure_site_event_index
from tracking_system.common.redis import is_cluster
from tracking_system.common.urls import page_path
from tracking_system.common.zones import local_day
from tracking_system.worker.enrich import channel, parse_agent, referrer_domain, utm_fields

PAGE_VIEW = "PAGE_VIEW"
MAX_CONTEXT_FIELDS = 20
# Fields of the session state holding its session-level values (store.lua reads them back).
SESSION_VALUE_FIELDS = [f"v:{dim}" for dim in rollups.SESSION_DIMENSIONS]
STORE_SCRIPT = (resources.files("tracking_system.worker") / "store.lua").read_text()


@dataclass(frozen=True)
class Prepared:
    """One entry ready for the store script."""

    entry_id: str
    site_id: str
    tz: str
    with_lifetime: bool
    description: dict[str, Any]


def event_ulid(site_id: str, event_id: str) -> str:
    """Deterministic ULID-format id of (site, eventId): the same event always maps to the
    same key, so storing twice is impossible, and another site's ids never collide."""
    digest = hashlib.sha256(f"{site_id}\x00{event_id}".encode()).digest()[:16]
    return str(ULID.from_bytes(digest))


def context_fields(context: dict[str, Any] | None) -> list[str]:
    """Top-level scalar context values as `ctx_<key>` fields: what `context.<key>` filters and
    breakdowns read (the columnar row's `ctx`)."""
    if not context:
        return []
    out: list[str] = []
    for key, value in list(context.items())[:MAX_CONTEXT_FIELDS]:
        if isinstance(value, bool):
            value = "true" if value else "false"
        if not isinstance(value, str | int | float) or not key.replace("_", "").isalnum():
            continue
        out += [f"{columnar.CONTEXT_PREFIX}{key[:64]}", str(value)[:256]]
    return out


def prepare(
    entry_id: str, site_id: str, event: dict[str, Any], *, tz: str, with_lifetime: bool = True
) -> Prepared:
    """Enrich one event and describe every write the store script must make for it."""
    page: str = event["page"]
    user_agent: str = event.get("userAgent") or ""
    agent = parse_agent(user_agent)
    path = page_path(page)
    referrer = event.get("referrer") or ""
    event_id = event.get("eventId") or entry_id
    event_time = int(event["eventTime"])
    user_id, session_id, name = event["userId"], event["sessionId"], event["eventName"]
    enriched = {
        "browser": agent.browser,
        "os": agent.os,
        "device": agent.device,
        # Ingestion resolves the country and keeps the address out of the stream; entries written
        # before it did carry the address instead.
        "country": event.get("country") or country_of(event.get("ip") or ""),
        "referrerDomain": referrer_domain(referrer, page),
        **utm_fields(page),
    }
    enriched["channel"] = channel(enriched["referrerDomain"], enriched)
    # The key and the index are the site's own: the hash need not name it.
    fields: list[str] = [
        "eventId", event_id,
        "sessionId", session_id,
        "userId", user_id,
        "eventTime", str(event_time),
        "eventName", name,
        "page", page,
        "path", path,
        "createdAt", str(event.get("receivedAt", event_time)),
        "bot", "1" if agent.bot else "0",
    ]  # fmt: skip
    # The raw user agent is not stored: only what was parsed from it (browser, OS, device, bot).
    # The hash holds what the explorer shows and searches; the channel and the context's scalars
    # (`ctx_*`), which only the columnar tier's queries read, go to the row alone.
    optional = {"referrer": referrer, **enriched}
    for field, value in optional.items():
        if value and field != "channel":
            fields += [field, value]
    context = event.get("context")
    if context is not None:
        fields += ["_context", orjson.dumps(context).decode()]
    ulid = event_ulid(site_id, event_id)
    seed, member = columnar.marker(ulid)
    in_row = dict(zip(fields[0::2], fields[1::2], strict=True))
    in_row["channel"] = enriched["channel"]
    in_row.update(zip(*[iter(context_fields(context))] * 2, strict=True))
    row = columnar.row_of_hash(ulid, in_row)
    live = {"id": ulid, "eventName": name, "page": page, "path": path, "userId": user_id,
            "sessionId": session_id, "eventTime": event_time, **enriched}  # fmt: skip
    description = {
        **rollup_description(time=event_time, user=user_id, session=session_id, name=name,
                             path=path, values={"referrer": referrer, **enriched}, tz=tz),
        "k": keys.event(site_id, ulid),
        "x": member,
        "xb": seed,
        "bot": 1 if agent.bot else 0,
        "f": fields,
        "live": orjson.dumps(live).decode(),
        "r": columnar.encode_row(row).decode(),
    }  # fmt: skip
    return Prepared(entry_id, site_id, tz, with_lifetime, description)


def rollup_description(*, time: int, user: str, session: str, name: str, path: str,
                       values: dict[str, str], tz: str) -> dict[str, Any]:  # fmt: skip
    """What the store script's rollups need of one event (`values`: its session dimensions)."""
    session_dims: list[str] = []
    for dim in rollups.SESSION_DIMENSIONS:
        value = values.get(dim) or ""
        if value or dim in rollups.EMPTY_ROW_DIMENSIONS:  # '' counts: "Direct / None", "Unknown"
            session_dims += [dim, value, rollups.value_token(value)]
    return {
        "d": local_day(time, tz),
        "m": time // 60_000,
        "t": time,
        "u": user,
        "s": session,
        "n": name,
        "nt": rollups.value_token(name),
        "pv": 1 if name == PAGE_VIEW else 0,
        "g": path,
        "gt": rollups.value_token(path),
        "sd": session_dims,
    }


# What the store script takes the same for every site and zone.
_EVERY_ZONE = {
    "rttl": rollups.REALTIME_TTL_SECONDS,
    "sttl": rollups.SESSION_TTL_SECONDS,
    "sdd": rollups.SESSION_DIMENSIONS,
    "sdn": SESSION_VALUE_FIELDS,
}


def site_constants(site_id: str, tz: str, with_lifetime: bool) -> dict[str, Any]:
    """What the store script needs once per site and zone in a batch (it finds the zone's
    generation, rollups.zone_label, in the site's meta hash)."""
    return {
        "pz": rollups.zone_prefix(site_id, tz).removesuffix(":"),
        "gf": rollups.generation_field(tz),
        "mz": tz,
        "l": rollups.lifetime_prefix(site_id) if with_lifetime else "",
        "rt": rollups.realtime_prefix(site_id),
        "ch": keys.live_channel(site_id),
        "ftz": rollups.filter_meta_field(tz),
        **_EVERY_ZONE,
    }


def replay_constants(site_id: str, label: str) -> dict[str, Any]:
    """What the store script needs to replay stored events into one generation of a zone's
    rollups (worker/rebuild.py): no lifetime, realtime or live feed, its own counts in meta."""
    count_field, filter_field = rollups.replay_fields(label)
    return {
        "p": rollups.zone_prefix(site_id, label),
        "mz": count_field,
        "ftz": filter_field,
        "l": "",
        "rt": "",
        "ch": "",
        **_EVERY_ZONE,
    }


STORED, DUPLICATE, SITE_GONE, EXPIRED = 1, 0, 2, 3


def script_keys(site_id: str) -> list[str]:
    """The store script's KEYS for one site (store.lua's header)."""
    return [
        keys.site_gone(site_id),
        rollups.meta(site_id),
        rollups.lifetime_totals(site_id),
        keys.columnar_tail(site_id),
        keys.columnar_evicted(site_id),
    ]


def script_fields(site_id: str) -> list[str]:
    """The store script's ARGV after the payload (store.lua's header)."""
    return [rollups.FIRST_EVENT_FIELD, rollups.HOT_FROM_FIELD, keys.columnar_seen_prefix(site_id),
            rollups.KEEP_FROM_FIELD]  # fmt: skip


class Store:
    """Runs the store script once per site of a batch, then acknowledges what it stored."""

    def __init__(self, redis: aioredis.Redis) -> None:
        self._redis = redis
        self._script = redis.register_script(STORE_SCRIPT)
        # Sites whose event index this process has made sure of (it exists before any event).
        self._indexed: set[str] = set()

    @staticmethod
    def _call(site_id: str, members: list[Prepared]) -> tuple[list[str], list[Any]]:
        """The keys and arguments of the store script for one site's entries."""
        index: dict[tuple[str, bool], int] = {}
        events = []
        for prepared in members:
            # Lua arrays start at 1.
            position = index.setdefault((prepared.tz, prepared.with_lifetime), len(index) + 1)
            events.append({**prepared.description, "a": position})
        zones = [site_constants(site_id, tz, lifetime) for tz, lifetime in index]
        payload = orjson.dumps({"zones": zones, "events": events})
        return script_keys(site_id), [payload, *script_fields(site_id)]

    async def store(
        self, batch: list[Prepared], *, stream: str = keys.EVENTS_STREAM
    ) -> dict[str, int | Exception]:
        """Store the entries, one atomic script call per site (all of a site's keys share its
        slot), then XACK those stored on `stream`, the shard they were read from. Entry id ->
        STORED, DUPLICATE, SITE_GONE, EXPIRED, or the error of its site's call (those stay
        pending)."""
        groups: dict[str, list[Prepared]] = {}
        for prepared in batch:
            groups.setdefault(prepared.site_id, []).append(prepared)
        for site_id in groups.keys() - self._indexed:
            await ensure_site_event_index(self._redis, site_id)
            self._indexed.add(site_id)
        calls = [self._call(site_id, members) for site_id, members in groups.items()]
        replies: list[Any]
        if is_cluster(self._redis):
            # A cluster pipeline takes no scripts: one call per site, each to the site's shard.
            replies = await asyncio.gather(
                *(self._script(keys=k, args=a) for k, a in calls), return_exceptions=True
            )
        else:
            async with self._redis.pipeline(transaction=False) as pipe:
                for call_keys, args in calls:
                    await self._script(keys=call_keys, args=args, client=pipe)
                replies = await pipe.execute(raise_on_error=False)
        outcome: dict[str, int | Exception] = {}
        acked: list[str] = []
        for members, reply in zip(groups.values(), replies, strict=True):
            for i, prepared in enumerate(members):
                if isinstance(reply, Exception):
                    outcome[prepared.entry_id] = reply
                else:
                    outcome[prepared.entry_id] = int(reply[i])
                    acked.append(prepared.entry_id)
        # Storing is idempotent, so acknowledging after the scripts is safe: a crash in between
        # redelivers entries that are then found stored and acknowledged as duplicates.
        for j in range(0, len(acked), 1000):
            await self._redis.xack(stream, keys.EVENTS_GROUP, *acked[j : j + 1000])
        return outcome
