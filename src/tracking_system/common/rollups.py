"""Layout of the rollups the worker writes and the stats API reads.

Per site and per time zone (the site's zone when the event was stored), by local day; `{a}`
below is the site id as a hash tag (`{<siteId>}`), so every rollup of a site shares its slot:
- `R:{a}:{tz}:d:{day}`            HASH  e (events), pv (page views), started (sessions that
                                        began that day), bounces, dur (ms of those sessions)
- `R:{a}:{tz}:d:{day}:u` / `:s`   HLL   distinct users / sessions with an event that day
- `R:{a}:{tz}:z:{day}:{dim}`      ZSET  value -> count, for the dimensions in DIMENSIONS
- `R:{a}:{tz}:h:{day}:{dim}:{token}:u|s`  HLL  distinct users (and sessions) per value
- `R:{a}:{tz}:x:{day}:{token}`    ZSET  user -> sessions of that user whose exit page is the
                                        value (exact, since an exit page moves as a session goes on)
- `R:{a}:{tz}:f:{day}:{dim}:{token}`  HASH  the 1-D filter rollups: e, pv of the events on that
                                        day of the sessions whose `dim` is the value, and
                                        started, bounces, dur of those that began that day
                                        (dim in SESSION_DIMENSIONS); `:u` / `:s` HLLs of their
                                        users and sessions on that day
- `R:{a}:{tz}:sess:{sid}`         HASH  per-session state (first, last, count, start day, its
                                        session-level value tokens `v:{dim}`, ...)
Lifetime, independent of any zone: `R:{a}:L:tot`, `R:{a}:L:z:{dim}`, `R:{a}:L:h:{dim}:{token}:u|s`
for eventName and page, and `R:{a}:L:f:{dim}:{token}` (e) for the filter rollups. Realtime, by
UTC epoch minute: `R:{a}:rt:{minute}:e` (counter) and `:u` (HLL), expiring after an hour.
`R:{a}:meta` counts the events rolled up per zone (`{tz}`), and those rolled up into the filter
rollups (`f:{tz}`), so a query in a zone can tell whether the rollups there cover every event;
its `t:first` holds the earliest counted event's time (ms), where "All time" starts.

A zone's rollups can be rebuilt from the columnar tier (worker/rebuild.py): the rebuild writes a
new generation `n` under the label `{tz}#{n}` (in place of `{tz}` in every name above), then
switches `meta` `g:{tz}` to `n` in the same step as it takes over the zone's counts. Readers and
the store script name keys by the zone's label (`zone_label`), which `meta` tells.

The worker's Lua script (worker/store.lua) composes the same names from the prefixes below;
the two must change together.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date, timedelta

import redis.asyncio as aioredis

from tracking_system.common import keys
from tracking_system.common.zones import day_start_ms, local_day, zone

ROLLUP_PREFIX = "R:"
LIFETIME = "L"
REALTIME_TTL_SECONDS = 3600
SESSION_TTL_SECONDS = 2 * 24 * 3600
MAX_INLINE_TOKEN = 64

# Dimensions counted per event, and those counted once per session (from its first event).
EVENT_DIMENSIONS = ("eventName", "page")
SESSION_DIMENSIONS = (
    "referrer",
    "referrerDomain",
    "utmSource",
    "utmMedium",
    "utmCampaign",
    "channel",
    "browser",
    "os",
    "device",
    "country",
)
PAGE_SESSION_DIMENSIONS = ("entryPage", "exitPage")
# Session dimensions whose sessions without a value are counted too, as the value '' (a direct
# visit, an unknown country).
EMPTY_ROW_DIMENSIONS = ("referrer", "referrerDomain", "country")
# What the rollups count only since the filter rollups exist (`meta` `f:{tz}` tells how far).
SINCE_FILTER_ROLLUPS = (*EMPTY_ROW_DIMENSIONS, "channel")
DIMENSIONS = EVENT_DIMENSIONS + SESSION_DIMENSIONS + PAGE_SESSION_DIMENSIONS


def value_token(value: str) -> str:
    """The part of a key that names a dimension value: itself, or a hash when long."""
    if len(value) <= MAX_INLINE_TOKEN:
        return value
    return "#" + hashlib.sha1(value.encode(), usedforsecurity=False).hexdigest()


def site_prefix(site_id: str) -> str:
    """Prefix of every rollup key of the site."""
    return f"{ROLLUP_PREFIX}{keys.site_tag(site_id)}:"


def zone_prefix(site_id: str, tz: str) -> str:
    """Prefix of every per-zone rollup key of the site (`tz`: the zone's label)."""
    return f"{site_prefix(site_id)}{tz}:"


def zone_label(tz: str, generation: int | str | None) -> str:
    """The name a zone's rollups go by: the zone, or `{tz}#{n}` once rebuilt as generation n."""
    return f"{tz}#{generation}" if generation else tz


def generations_prefix(site_id: str, tz: str) -> str:
    """What the names of every rebuilt generation of the zone's rollups start with."""
    return f"{site_prefix(site_id)}{tz}#"


def generation_field(tz: str) -> str:
    """The `meta` field holding the generation of the zone's rollups (absent: the first)."""
    return f"g:{tz}"


GENERATIONS_FIELD = "g:#"  # `meta`: the last generation number handed out


def replay_fields(label: str) -> tuple[str, str]:
    """The `meta` fields counting what a rebuild replayed into `label` (all, filter rollups)."""
    return f"r:{label}", f"rf:{label}"


async def covers(
    redis: aioredis.Redis, *, site_id: str, tz: str, filters: bool = False
) -> str | None:
    """The label of the zone's rollups (zone_label) when every stored (non-bot) event was rolled
    up in this zone (into its filter rollups too, with `filters`); else None."""
    field = filter_meta_field(tz) if filters else tz
    async with redis.pipeline(transaction=False) as pipe:
        pipe.hmget(meta(site_id), [field, generation_field(tz)])
        pipe.hget(lifetime_totals(site_id), "e")
        (in_zone, generation), total = await pipe.execute()
    if int(in_zone or 0) != int(total or 0):
        return None
    return zone_label(tz, generation)


async def current_label(redis: aioredis.Redis, *, site_id: str, tz: str) -> str:
    """The label of the zone's rollups in use (zone_label), whether or not they cover."""
    generation = await redis.hget(meta(site_id), generation_field(tz))
    return zone_label(tz, str(generation) if generation else None)


def rebuild_progress(site_id: str) -> str:
    """HASH of the running rebuild: label, done, total (events), started (ms)."""
    return f"{site_prefix(site_id)}rebuild"


def lifetime_prefix(site_id: str) -> str:
    """Prefix of the site's lifetime rollups."""
    return f"{site_prefix(site_id)}{LIFETIME}:"


def realtime_prefix(site_id: str) -> str:
    """Prefix of the site's per-minute realtime keys."""
    return f"{site_prefix(site_id)}rt:"


def meta(site_id: str) -> str:
    """Events rolled up per zone."""
    return f"{site_prefix(site_id)}meta"


FIRST_EVENT_FIELD = "t:first"
# `meta`: the hot window's start (epoch ms, a UTC midnight). Event hashes (and their index
# entries) of earlier times may be gone (worker/hot.py); the columnar tier holds every event, so
# readers take times before it from there. The store script refuses events older than it.
HOT_FROM_FIELD = "t:hot"
# `meta`: the start of what the site keeps (epoch ms, a UTC midnight; its `retentionDays`). Its
# raw events before it are deleted (worker/hot.py) and the store script refuses older events;
# the rollups keep counting what was stored.
KEEP_FROM_FIELD = "t:keep"


@dataclass(frozen=True)
class Carried:
    """How a rebuild treats a site whose retention deleted raw events (worker/rebuild.py): the
    local days of `label` (a generation of `zone`) up to `through` keep the rollups they have,
    and events from `start` (ms, the next local midnight) on are replayed."""

    label: str
    zone: str
    through: str
    start: int


async def carried(redis: aioredis.Redis, site_id: str, tz: str) -> Carried | None:
    """What a rebuild of the site's rollups in `tz` carries over; None when the site kept every
    raw event. The days come from the zone that counted most events (the site's earlier zone
    while a zone change is not rebuilt yet), as that zone's local days."""
    fields = {str(k): str(v) for k, v in (await redis.hgetall(meta(site_id))).items()}
    keep = fields.get(KEEP_FROM_FIELD)
    if keep is None:
        return None
    counts = {f: int(v) for f, v in fields.items() if ":" not in f}  # the zones' counts
    source = max(counts, key=lambda z: (counts[z], z == tz)) if counts else tz
    through = local_day(int(keep), source)
    start = day_start_ms(date.fromisoformat(through) + timedelta(days=1), zone(source))
    label = zone_label(source, fields.get(generation_field(source)))
    return Carried(label, source, through, start)


async def hot_from(redis: aioredis.Redis, site_id: str) -> int:
    """The site's hot window start (0: every stored event still has its hash)."""
    value = await redis.hget(meta(site_id), HOT_FROM_FIELD)
    return int(value) if value is not None else 0


def filter_meta_field(tz: str) -> str:
    """The `meta` field counting the events rolled up into the zone's filter rollups."""
    return f"f:{tz}"


def filter_counters(site_id: str, tz: str, day: str, dimension: str, value: str) -> str:
    """HASH of the day's counters of the sessions whose session-level `dimension` is `value`;
    `+ ":u"` / `+ ":s"` are its HLLs."""
    return f"{zone_prefix(site_id, tz)}f:{day}:{dimension}:{value_token(value)}"


def lifetime_filter_totals(site_id: str, dimension: str, value: str) -> str:
    """HASH e: the lifetime events of the sessions whose `dimension` is `value`."""
    return f"{lifetime_prefix(site_id)}f:{dimension}:{value_token(value)}"


def day_counters(site_id: str, tz: str, day: str) -> str:
    """HASH of the day's exact counters."""
    return f"{zone_prefix(site_id, tz)}d:{day}"


def day_users(site_id: str, tz: str, day: str) -> str:
    """HLL of the day's distinct users."""
    return day_counters(site_id, tz, day) + ":u"


def day_sessions(site_id: str, tz: str, day: str) -> str:
    """HLL of the day's distinct sessions."""
    return day_counters(site_id, tz, day) + ":s"


def day_top(site_id: str, tz: str, day: str, dimension: str) -> str:
    """ZSET value -> count of a dimension on a day."""
    return f"{zone_prefix(site_id, tz)}z:{day}:{dimension}"


def day_value_hll(
    site_id: str, tz: str, day: str, dimension: str, value: str, kind: str = "u"
) -> str:
    """HLL of distinct users (`u`) or sessions (`s`) for one value of a dimension on a day."""
    return f"{zone_prefix(site_id, tz)}h:{day}:{dimension}:{value_token(value)}:{kind}"


def day_exit_visitors(site_id: str, tz: str, day: str, page: str) -> str:
    """ZSET of the users whose sessions that began on `day` ended on `page`."""
    return f"{zone_prefix(site_id, tz)}x:{day}:{value_token(page)}"


def lifetime_totals(site_id: str) -> str:
    """HASH e, pv over the site's lifetime."""
    return lifetime_prefix(site_id) + "tot"


def lifetime_top(site_id: str, dimension: str) -> str:
    """ZSET value -> count over the lifetime (eventName, page)."""
    return f"{lifetime_prefix(site_id)}z:{dimension}"


def lifetime_value_hll(site_id: str, dimension: str, value: str, kind: str = "u") -> str:
    """HLL of distinct users or sessions for one value over the lifetime."""
    return f"{lifetime_prefix(site_id)}h:{dimension}:{value_token(value)}:{kind}"


def minute_events(site_id: str, minute: int) -> str:
    """Events in one UTC epoch minute."""
    return f"{realtime_prefix(site_id)}{minute}:e"


def minute_users(site_id: str, minute: int) -> str:
    """HLL of users active in one UTC epoch minute."""
    return f"{realtime_prefix(site_id)}{minute}:u"


def site_key_patterns(site_id: str) -> tuple[str, ...]:
    """SCAN patterns covering every data key of the site (its deletion removes them all)."""
    prefixes = (
        keys.event_prefix(site_id),
        site_prefix(site_id),
        keys.temp_prefix(site_id),
        keys.ingest_rate_prefix(site_id),
        keys.refused_prefix(site_id),
        keys.visit_prefix(site_id),
        keys.goals(site_id),
        keys.funnels(site_id),
        keys.erasures(site_id),
        keys.columnar_prefix(site_id),
    )
    return tuple(prefix + "*" for prefix in prefixes)
