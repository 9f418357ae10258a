"""Every Redis key name and stream/group name, in one place."""

from __future__ import annotations

# Ingestion stream: tracking XADDs one entry per accepted event; workers read it as one group.
EVENTS_STREAM = "events:stream"
EVENTS_GROUP = "workers"
# Entries delivered too many times land here with their error, so they never stall the group.
DEAD_LETTER_STREAM = "events:dead"

# Each worker process refreshes its heartbeat key; its TTL makes a dead worker disappear.
WORKER_HEARTBEAT_PREFIX = "worker:heartbeat:"
WORKER_HEARTBEAT_TTL_SECONDS = 15


def worker_heartbeat(consumer: str) -> str:
    """Key a worker refreshes while it is alive."""
    return f"{WORKER_HEARTBEAT_PREFIX}{consumer}"


# --- Accounts -------------------------------------------------------------------------------
# `User:<ulid>` is a RedisJSON document; `User:index` searches it by email and API key.
USER_PREFIX = "User:"
USER_INDEX = "User:index"
# Uniqueness is enforced by these reservation keys, claimed atomically in one script, because an
# index lookup followed by a write can race with a concurrent registration.
USER_EMAIL_PREFIX = "UserEmail:"
API_KEY_PREFIX = "ApiKey:"
# Tokens are stored only as the SHA-256 of the token (hex); the token itself is never stored.
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
    """API key -> account id; read by the tracking service on ingestion."""
    return f"{API_KEY_PREFIX}{key}"


def access_token(token_hash: str) -> str:
    """An access token's record, by the token's hash."""
    return f"{ACCESS_TOKEN_PREFIX}{token_hash}"


def refresh_token(token_hash: str) -> str:
    """A refresh token's record, by the token's hash."""
    return f"{REFRESH_TOKEN_PREFIX}{token_hash}"


def token_family(family_id: str) -> str:
    """Alive while the sign-in it names is not revoked."""
    return f"{TOKEN_FAMILY_PREFIX}{family_id}"


def user_sessions(account_id: str) -> str:
    """Set of the account's token family ids."""
    return f"{USER_SESSIONS_PREFIX}{account_id}"


def rate_limit(scope: str, subject: str) -> str:
    """A fixed-window counter."""
    return f"{RATE_LIMIT_PREFIX}{scope}:{subject}"


# --- Events ---------------------------------------------------------------------------------
# `Event:<ulid>` hashes, searched through `Event:index`. The ULID is derived from the event time
# and a hash of (account, eventId), so a retried or redelivered event maps to the same key and
# EXISTS on it is the deduplication check, scoped to the account.
EVENT_PREFIX = "Event:"
EVENT_INDEX = "Event:index"
# TAG separator for fields holding URLs and free text: a control character no value contains
# (values are cleaned of control characters on ingestion).
TAG_SEPARATOR = "\x1f"


def event(event_ulid: str) -> str:
    """A stored event."""
    return f"{EVENT_PREFIX}{event_ulid}"


def live_channel(account_id: str) -> str:
    """Pub/Sub channel carrying a compact copy of each newly stored event of the account."""
    return f"live:{account_id}"


def ingest_rate(account_id: str, second: int) -> str:
    """Events accepted for one account's API key in one wall-clock second."""
    return f"{RATE_LIMIT_PREFIX}ingest:{account_id}:{second}"
