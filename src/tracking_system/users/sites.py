"""Sites in RedisJSON: an account owns one or more, each with its own key, domain, zone and
origins."""

from __future__ import annotations

import secrets
import time
from typing import Any

import orjson
import redis.asyncio as aioredis
from ulid import ULID

from tracking_system.common import keys
from tracking_system.common.errors import Conflict, NotFound
from tracking_system.common.zones import now_iso
from tracking_system.users.schemas import CreateSiteRequest, SiteOut, UpdateSiteRequest

API_KEY_PREFIX = "ts_"
MAX_SITES_PER_ACCOUNT = 100
PUBLIC_FIELDS = tuple(SiteOut.model_fields)
SITE_NOT_FOUND = "Site not found"
DOMAIN_TAKEN = "Another site already uses this domain"

# KEYS: site doc, account's site set, API-key reservation, domain reservation (or a dummy).
# ARGV: site id, document, creation score, has domain (1/0), max sites.
# Claims the key and the domain and writes the document in one step.
_CREATE = """
if tonumber(ARGV[4]) == 1 and redis.call('EXISTS', KEYS[4]) == 1 then return -1 end
if redis.call('EXISTS', KEYS[3]) == 1 then return -2 end
if redis.call('ZCARD', KEYS[2]) >= tonumber(ARGV[5]) then return -3 end
redis.call('SET', KEYS[3], ARGV[1])
if tonumber(ARGV[4]) == 1 then redis.call('SET', KEYS[4], ARGV[1]) end
redis.call('JSON.SET', KEYS[1], '$', ARGV[2])
redis.call('ZADD', KEYS[2], ARGV[3], ARGV[1])
return 1
"""

# KEYS: site doc, new domain reservation, old domain reservation (or dummies).
# ARGV: site id, domain action (0 keep, 1 set, 2 clear), then field, JSON value pairs (encoded
# by the caller: cjson would turn an empty list into an object).
_UPDATE = """
local action = tonumber(ARGV[2])
if action == 1 then
  local holder = redis.call('GET', KEYS[2])
  if holder and holder ~= ARGV[1] then return -1 end
end
for i = 3, #ARGV, 2 do
  redis.call('JSON.SET', KEYS[1], '$.' .. ARGV[i], ARGV[i + 1])
end
if action ~= 0 and KEYS[3] ~= KEYS[2] then redis.call('DEL', KEYS[3]) end
if action == 1 then redis.call('SET', KEYS[2], ARGV[1]) end
return 1
"""

# KEYS: site doc, account's site set, API-key reservation, domain reservation (or a dummy),
# gone marker, deletions set, retired-key marker. ARGV: site id, deletedAt, gone TTL, retired TTL.
# The key stops resolving and the site leaves the account at once; the worker removes its data.
# The retired marker lets ingestion attribute events still sent with the key to the site.
_DELETE = """
if redis.call('ZCARD', KEYS[2]) <= 1 then return -1 end
redis.call('ZREM', KEYS[2], ARGV[1])
redis.call('DEL', KEYS[3])
redis.call('SET', KEYS[7], ARGV[1], 'EX', ARGV[4])
redis.call('DEL', KEYS[4])
redis.call('JSON.SET', KEYS[1], '$.deletedAt', cjson.encode(ARGV[2]))
redis.call('SET', KEYS[5], ARGV[2], 'EX', ARGV[3])
redis.call('SADD', KEYS[6], ARGV[1])
return 1
"""

# KEYS: site doc, old key reservation, new key reservation, old key's retired marker.
# ARGV: site id, new key, updatedAt, retired TTL. The retired marker lets ingestion attribute
# events still sent with the old key to the site.
_ROTATE = """
local old = redis.call('JSON.GET', KEYS[1], '$.apiKey')
if not old then return 0 end
if redis.call('EXISTS', KEYS[3]) == 1 then return -1 end
redis.call('DEL', KEYS[2])
redis.call('SET', KEYS[4], ARGV[1], 'EX', ARGV[4])
redis.call('SET', KEYS[3], ARGV[1])
redis.call('JSON.SET', KEYS[1], '$.apiKey', cjson.encode(ARGV[2]))
redis.call('JSON.SET', KEYS[1], '$.updatedAt', cjson.encode(ARGV[3]))
return 1
"""

# Stands in for the domain reservation when a site has none (never set or read).
_NO_DOMAIN = keys.site_domain("\x00none")


def new_api_key() -> str:
    """A fresh, unguessable API key."""
    return API_KEY_PREFIX + secrets.token_urlsafe(24)


def public_site(doc: dict[str, Any]) -> SiteOut:
    """The site as the API returns it (never its owner's id)."""
    return SiteOut.model_validate({k: doc.get(k) for k in PUBLIC_FIELDS})


def new_site_doc(
    *,
    site_id: str,
    account_id: str,
    name: str,
    timezone: str,
    domain: str | None = None,
    allowed_origins: list[str] | None = None,
    created_at: str | None = None,
    api_key: str | None = None,
) -> dict[str, Any]:
    """A site document as stored."""
    return {
        "id": site_id,
        "accountId": account_id,
        "name": name,
        "domain": domain,
        "apiKey": api_key or new_api_key(),
        "timezone": timezone,
        "allowedOrigins": allowed_origins or [],
        "createdAt": created_at or now_iso(),
        "updatedAt": None,
    }


async def list_sites(redis: aioredis.Redis, *, account_id: str) -> list[dict[str, Any]]:
    """The account's sites, oldest first."""
    ids = await redis.zrange(keys.account_sites(account_id), 0, -1)
    if not ids:
        return []
    docs = await redis.json().mget([keys.site(str(i)) for i in ids], "$")
    return [doc[0] for doc in docs if isinstance(doc, list) and doc and isinstance(doc[0], dict)]


async def first_site(redis: aioredis.Redis, *, account_id: str) -> dict[str, Any]:
    """The account's oldest site (what `user.apiKey`, `timezone` and `allowedOrigins` describe)."""
    ids = await redis.zrange(keys.account_sites(account_id), 0, 0)
    if not ids:
        raise NotFound("Account not found")
    return await get_site(redis, account_id=account_id, site_id=str(ids[0]))


async def get_site(redis: aioredis.Redis, *, account_id: str, site_id: str) -> dict[str, Any]:
    """The site, or NotFound when it is another account's, deleted, or unknown."""
    if not site_id or len(site_id) > 64:
        raise NotFound(SITE_NOT_FOUND)
    doc = await redis.json().get(keys.site(site_id))
    if not isinstance(doc, dict) or doc.get("accountId") != account_id or doc.get("deletedAt"):
        raise NotFound(SITE_NOT_FOUND)
    return doc


async def create_site(
    redis: aioredis.Redis,
    *,
    account_id: str,
    body: CreateSiteRequest,
    site_id: str | None = None,
) -> dict[str, Any]:
    """Add a site to the account; Conflict when its domain is taken."""
    doc = new_site_doc(
        site_id=site_id or str(ULID()),
        account_id=account_id,
        name=body.name,
        timezone=body.timezone,
        domain=body.domain,
        allowed_origins=body.allowedOrigins,
    )
    await store_new_site(redis, doc)
    return doc


async def store_new_site(redis: aioredis.Redis, doc: dict[str, Any]) -> None:
    """Write a new site document with its key and domain reservations, atomically."""
    for _ in range(3):
        outcome = await redis.eval(
            _CREATE,
            4,
            keys.site(doc["id"]),
            keys.account_sites(doc["accountId"]),
            keys.api_key(doc["apiKey"]),
            keys.site_domain(doc["domain"]) if doc["domain"] else _NO_DOMAIN,
            doc["id"],
            orjson.dumps(doc).decode(),
            time.time_ns() // 1000,
            1 if doc["domain"] else 0,
            MAX_SITES_PER_ACCOUNT,
        )
        if outcome == 1:
            return
        if outcome == -1:
            raise Conflict(errors={"domain": DOMAIN_TAKEN})
        if outcome == -3:
            raise Conflict(f"An account can have at most {MAX_SITES_PER_ACCOUNT} sites")
        doc["apiKey"] = new_api_key()  # astronomically unlikely collision: draw again
    raise Conflict("Could not allocate an API key; try again")


async def update_site(
    redis: aioredis.Redis, *, account_id: str, site_id: str, body: UpdateSiteRequest
) -> dict[str, Any]:
    """Apply the fields sent (a null or empty `domain` clears it); return the site."""
    doc = await get_site(redis, account_id=account_id, site_id=site_id)
    sent = body.model_fields_set
    changes: dict[str, Any] = {
        field: getattr(body, field)
        for field in ("name", "timezone", "allowedOrigins")
        if field in sent and getattr(body, field) is not None
    }
    action, new_domain = 0, None
    if "domain" in sent and body.domain != doc.get("domain"):
        new_domain = body.domain
        action = 1 if new_domain else 2
        changes["domain"] = new_domain
    if not changes:
        return doc
    changes["updatedAt"] = now_iso()
    old_domain = doc.get("domain")
    outcome = await redis.eval(
        _UPDATE,
        3,
        keys.site(site_id),
        keys.site_domain(new_domain) if new_domain else _NO_DOMAIN,
        keys.site_domain(old_domain) if old_domain else _NO_DOMAIN,
        site_id,
        action,
        *(part for field, value in changes.items() for part in (field, orjson.dumps(value))),
    )
    if outcome == -1:
        raise Conflict(errors={"domain": DOMAIN_TAKEN})
    return await get_site(redis, account_id=account_id, site_id=site_id)


async def rotate_site_key(redis: aioredis.Redis, *, account_id: str, site_id: str) -> str:
    """Give the site a new API key; the old one stops resolving at once."""
    for _ in range(3):
        doc = await get_site(redis, account_id=account_id, site_id=site_id)
        new_key = new_api_key()
        outcome = await redis.eval(
            _ROTATE,
            4,
            keys.site(site_id),
            keys.api_key(str(doc["apiKey"])),
            keys.api_key(new_key),
            keys.api_key_retired(str(doc["apiKey"])),
            site_id,
            new_key,
            now_iso(),
            keys.API_KEY_RETIRED_TTL_SECONDS,
        )
        if outcome == 1:
            return new_key
        if outcome == 0:
            raise NotFound(SITE_NOT_FOUND)
    raise Conflict("Could not allocate an API key; try again")


async def delete_site(redis: aioredis.Redis, *, account_id: str, site_id: str) -> None:
    """Remove the site from the account at once; its data goes in the background (worker)."""
    doc = await get_site(redis, account_id=account_id, site_id=site_id)
    domain = doc.get("domain")
    outcome = await redis.eval(
        _DELETE,
        7,
        keys.site(site_id),
        keys.account_sites(account_id),
        keys.api_key(str(doc["apiKey"])),
        keys.site_domain(domain) if domain else _NO_DOMAIN,
        keys.site_gone(site_id),
        keys.SITE_DELETIONS,
        keys.api_key_retired(str(doc["apiKey"])),
        site_id,
        now_iso(),
        keys.SITE_GONE_TTL_SECONDS,
        keys.API_KEY_RETIRED_TTL_SECONDS,
    )
    if outcome == -1:
        raise Conflict("An account keeps at least one site: add another before deleting this one")
