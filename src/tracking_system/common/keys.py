"""Every Redis key name and stream/group name, in one place.

Every key that belongs to a site carries the site id as a Redis Cluster hash tag (`{<siteId>}`),
so all of one site's data lives in one slot: its scripts touch one slot and sites spread over
the shards of a cluster."""

from __future__ import annotations

import zlib

# Ingestion streams (INGEST_STREAMS shards): tracking XADDs one entry per accepted event to its
# site's shard; workers read every shard, each as one group of the same name. Shard 0 keeps the
# name of the single stream of earlier releases, so entries pending at an upgrade are still read;
# every other shard carries a hash tag of its own, so the shards spread over a cluster's slots.
EVENTS_STREAM = "events:stream"
EVENTS_GROUP = "workers"


def events_stream(shard: int) -> str:
    """The stream of one shard (0 is `events:stream`, i > 0 is `events:stream:{s<i>}`)."""
    return EVENTS_STREAM if shard == 0 else f"{EVENTS_STREAM}:{{s{shard}}}"


def events_streams(count: int) -> list[str]:
    """Every shard's stream, in shard order."""
    return [events_stream(shard) for shard in range(count)]


def site_stream(site_id: str, count: int) -> str:
    """The stream a site's events always go to: a stable hash (CRC-32) of its id, modulo count."""
    return events_stream(zlib.crc32(site_id.encode()) % count)


# Entries delivered too many times land here with their error, so they never stall the group.
DEAD_LETTER_STREAM = "events:dead"

# Each worker process refreshes its heartbeat key; its TTL makes a dead worker disappear.
WORKER_HEARTBEAT_PREFIX = "worker:heartbeat:"
WORKER_HEARTBEAT_TTL_SECONDS = 15


def worker_heartbeat(consumer: str) -> str:
    """Key a worker refreshes while it is alive."""
    return f"{WORKER_HEARTBEAT_PREFIX}{consumer}"


# --- Accounts -------------------------------------------------------------------------------
# `User:<ulid>` is a RedisJSON document; `User:index` searches it by email.
USER_PREFIX = "User:"
USER_INDEX = "User:index"
# Uniqueness is enforced by these reservation keys, each claimed with SET NX (one key, one slot)
# before anything is written and released again if a later step fails, because an index lookup
# followed by a write can race with a concurrent registration.
USER_EMAIL_PREFIX = "UserEmail:"
API_KEY_PREFIX = "ApiKey:"
# A key rotated out or of a deleted site -> the site id, kept a while so refusals of events still
# sent with it can be attributed to the site (read only when the key is unknown).
API_KEY_RETIRED_PREFIX = "ApiKeyRetired:"
API_KEY_RETIRED_TTL_SECONDS = 7 * 24 * 3600
# Tokens are stored only as the SHA-256 of the token (hex); the token itself is never stored.
# A token reads `<family>.<secret>`: its records carry the family as a hash tag, so one sign-in's
# keys share a slot and its scripts stay in it.
ACCESS_TOKEN_PREFIX = "AccessToken:"  # noqa: S105 (a key prefix)
REFRESH_TOKEN_PREFIX = "RefreshToken:"  # noqa: S105 (a key prefix)
# A family is one sign-in: every refresh token rotated from it and their access tokens. Deleting
# the family key revokes all of them at once.
TOKEN_FAMILY_PREFIX = "TokenFamily:"  # noqa: S105 (a key prefix)
USER_SESSIONS_PREFIX = "UserSessions:"
RATE_LIMIT_PREFIX = "RateLimit:"


def user(account_id: str) -> str:
    """The account's JSON document."""
    return f"{USER_PREFIX}{account_id}"


def user_email(email: str) -> str:
    """Reservation of a (lower-cased) email, holding the account id."""
    return f"{USER_EMAIL_PREFIX}{email}"


def api_key(key: str) -> str:
    """API key -> site id; read by the tracking service on ingestion."""
    return f"{API_KEY_PREFIX}{key}"


def api_key_retired(key: str) -> str:
    """A retired API key -> the site id it belonged to (expires)."""
    return f"{API_KEY_RETIRED_PREFIX}{key}"


def access_token(family_id: str, token_hash: str) -> str:
    """An access token's record, by its family and the token's hash."""
    return f"{ACCESS_TOKEN_PREFIX}{{{family_id}}}:{token_hash}"


def refresh_token(family_id: str, token_hash: str) -> str:
    """A refresh token's record, by its family and the token's hash."""
    return f"{REFRESH_TOKEN_PREFIX}{{{family_id}}}:{token_hash}"


def token_family(family_id: str) -> str:
    """Alive while the sign-in it names is not revoked."""
    return f"{TOKEN_FAMILY_PREFIX}{{{family_id}}}"


def user_sessions(account_id: str) -> str:
    """Set of the account's token family ids (an index to revoke them; may list dead ones)."""
    return f"{USER_SESSIONS_PREFIX}{account_id}"


def rate_limit(scope: str, subject: str) -> str:
    """A fixed-window counter, in the limited subject's slot."""
    return f"{RATE_LIMIT_PREFIX}{scope}:{{{subject}}}"


# --- Sites ----------------------------------------------------------------------------------
# `Site:{<id>}` is a RedisJSON document (id, accountId, name, domain, apiKey, timezone,
# allowedOrigins, createdAt, updatedAt). An account's first site has the account's own id, so
# data stored before sites existed needs no new id.
SITE_PREFIX = "Site:"
ACCOUNT_SITES_PREFIX = "UserSites:"
SITE_DOMAIN_PREFIX = "SiteDomain:"
SITE_GONE_PREFIX = "SiteGone:"
# Ids of deleted sites whose data the worker is still removing (resumable after a crash).
SITE_DELETIONS = "SiteDeletions"
# Ids of sites whose rollups the worker is to rebuild in their zone (after a zone change).
ROLLUP_REBUILDS = "RollupRebuilds"
# How long a deleted site's marker outlives its data, so late stream entries are dropped.
SITE_GONE_TTL_SECONDS = 30 * 24 * 3600
# Layout version of the data; `tracking-system migrate` brings older installations to it.
SCHEMA_VERSION = "schema:version"
CURRENT_SCHEMA = 4


def site_tag(site_id: str) -> str:
    """The hash tag every key of the site carries."""
    return f"{{{site_id}}}"


def tagged_site(key: str) -> str:
    """The site id a key name carries as its hash tag."""
    return key[key.index("{") + 1 : key.index("}")]


def site(site_id: str) -> str:
    """The site's JSON document."""
    return f"{SITE_PREFIX}{site_tag(site_id)}"


def account_sites(account_id: str) -> str:
    """ZSET of the account's site ids, scored by creation time (the lowest is the first site)."""
    return f"{ACCOUNT_SITES_PREFIX}{account_id}"


def site_domain(domain: str) -> str:
    """Reservation of a domain, holding the site id."""
    return f"{SITE_DOMAIN_PREFIX}{domain}"


def site_gone(site_id: str) -> str:
    """Set when a site is deleted: the worker stores nothing more for it."""
    return f"{SITE_GONE_PREFIX}{site_tag(site_id)}"


def site_deletion_progress(site_id: str) -> str:
    """HASH of how many keys the background deletion has removed so far."""
    return f"SiteDeletion:{site_tag(site_id)}"


def site_deletion_lock(site_id: str) -> str:
    """Held by the worker removing the site's data (expires if it dies)."""
    return f"SiteDeletionLock:{site_tag(site_id)}"


# Visitor erasures (GDPR): a HASH per site, request id -> JSON (tracking/erasures.py writes it,
# worker/erasure.py carries it out), and the ids of the sites with requests not done yet.
ERASURES = "Erasures"


def erasures(site_id: str) -> str:
    """HASH of the site's erasure requests: id -> JSON `{id, createdAt, userId, status, stream,
    after, eventsErased, finishedAt}` (`userId` null once its events are gone)."""
    return f"Erasures:{site_tag(site_id)}"


def goals(site_id: str) -> str:
    """HASH of the site's goals: goal id -> JSON."""
    return f"Goals:{site_tag(site_id)}"


def funnels(site_id: str) -> str:
    """HASH of the site's saved funnels: funnel id -> JSON."""
    return f"Funnels:{site_tag(site_id)}"


def temp_prefix(site_id: str) -> str:
    """Prefix of the site's short-lived keys."""
    return f"tmp:{site_tag(site_id)}:"


def temp(site_id: str, purpose: str, unique: str) -> str:
    """A short-lived key in the site's slot (e.g. a ZUNIONSTORE destination)."""
    return f"{temp_prefix(site_id)}{purpose}:{unique}"


# --- Events ---------------------------------------------------------------------------------
# `Event:{<site>}:<ulid>` hashes, searched through the site's own index `Event:{<site>}:index`
# (named with the site's hash tag, so on a cluster it lives on the shard that holds the site's
# events). The ULID is a hash of (site, eventId), so a retried or redelivered event maps to the
# same key and EXISTS on it is the deduplication check, scoped to the site.
EVENT_PREFIX = "Event:"
# The one index over every site's events, before per-site indexes (layout 2); `migrate` drops it.
LEGACY_EVENT_INDEX = "Event:index"
# TAG separator for fields holding URLs and free text: a control character no value contains
# (values are cleaned of control characters on ingestion).
TAG_SEPARATOR = "\x1f"


def event_prefix(site_id: str) -> str:
    """Prefix of every stored event of the site."""
    return f"{EVENT_PREFIX}{site_tag(site_id)}:"


def event(site_id: str, event_ulid: str) -> str:
    """A stored event."""
    return f"{event_prefix(site_id)}{event_ulid}"


def event_index(site_id: str) -> str:
    """The RediSearch index over the site's events."""
    return f"{EVENT_PREFIX}{site_tag(site_id)}:index"


# --- Columnar tier ---------------------------------------------------------------------------
# Every stored event is also appended, in the store script, to the site's tail (a stream of rows,
# common/columnar.py); the worker compacts the tail into one Parquet blob per UTC day. The catalog
# hash maps a day to its blob's version and extent; a rewritten day gets a new version (a new
# key), so a blob, once written, never changes.


def columnar_prefix(site_id: str) -> str:
    """Prefix of every key of the site's columnar tier."""
    return f"Col:{site_tag(site_id)}:"


def columnar_tail(site_id: str) -> str:
    """STREAM of the rows stored since the last compaction (field `r`, one JSON row)."""
    return f"{columnar_prefix(site_id)}tail"


def columnar_catalog(site_id: str) -> str:
    """HASH: UTC day number -> `<version> <rows> <min eventTime> <max eventTime>`."""
    return f"{columnar_prefix(site_id)}days"


def columnar_blob(site_id: str, day: int, version: str) -> str:
    """One version of one UTC day's Parquet blob."""
    return f"{columnar_prefix(site_id)}d:{day}:{version}"


def columnar_evicted(site_id: str) -> str:
    """HASH: UTC day number -> `<version> <buckets>`: the blob version whose events' hashes were
    removed (worker/hot.py), and how many sets hold the day's markers."""
    return f"{columnar_prefix(site_id)}evicted"


def columnar_seen_prefix(site_id: str) -> str:
    """Prefix of the sets of evicted events' markers: `<prefix><day>:<bucket>`."""
    return f"{columnar_prefix(site_id)}seen:"


# Sites whose tails were compacted at least once: the hot window's worker looks at their days.
COLUMNAR_SITES = "ColumnarSites"


def columnar_lock(site_id: str) -> str:
    """Held by the worker compacting the site's tail (expires if it dies)."""
    return f"{columnar_prefix(site_id)}lock"


def live_channel(site_id: str) -> str:
    """Pub/Sub channel carrying a compact copy of each newly stored event of the site."""
    return f"live:{site_tag(site_id)}"


def ingest_rate_prefix(site_id: str) -> str:
    """Prefix of the site's per-second ingestion counters."""
    return f"{RATE_LIMIT_PREFIX}ingest:{site_tag(site_id)}:"


def ingest_rate(site_id: str, second: int) -> str:
    """Events accepted for one site's API key in one wall-clock second."""
    return f"{ingest_rate_prefix(site_id)}{second}"


# Events refused at ingestion, per site and UTC hour: a HASH whose fields are `<reason>:<MM>`
# (MM the minute of the hour), so "the last 60 minutes" reads exactly from two buckets.
REFUSED_TTL_SECONDS = 25 * 3600


def refused_prefix(site_id: str) -> str:
    """Prefix of the site's refused-event counters."""
    return f"Refused:{site_tag(site_id)}:"


def refused(site_id: str, hour: int) -> str:
    """Counters of one site's refused events in one UTC hour (hours since the epoch)."""
    return f"{refused_prefix(site_id)}{hour}"


# --- Drop-in trackers (Plausible, Umami: no visitor id is sent) -----------------------------
# The visitor is a hash of (salt, site, address, agent) with a salt drawn per UTC day and kept
# only while that day's and the next day's visits may still use it; salts are never stored with
# events, so yesterday's visitors cannot be recomputed once the salt has expired.
VISITOR_SALT_PREFIX = "VisitorSalt:"
VISITOR_SALT_TTL_SECONDS = 2 * 24 * 3600
# A visit (session) of a hashed visitor ends after this long without an event.
VISIT_IDLE_SECONDS = 30 * 60


def visitor_salt(day: str) -> str:
    """The random salt of one UTC day (`YYYY-MM-DD`)."""
    return f"{VISITOR_SALT_PREFIX}{day}"


def visit_prefix(site_id: str) -> str:
    """Prefix of the site's open visits of hashed visitors."""
    return f"Visit:{site_tag(site_id)}:"


def visit(site_id: str, visitor: str) -> str:
    """HASH of a visitor's open visit: `s` its session id, `u` an identified user id."""
    return f"{visit_prefix(site_id)}{visitor}"
