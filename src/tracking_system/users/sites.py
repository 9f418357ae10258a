"""Sites in RedisJSON: an account owns one or more, each with its own key, domain, zone and
origins.

Every Redis step touches one key (or one slot): the site's unique names are reserved first
(users/reservations.py), its document is then changed only if the key and domain it holds are
still the ones read, and a step that fails undoes the ones before it."""

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
from tracking_system.users.reservations import claim, release
from tracking_system.users.schemas import CreateSiteRequest, SiteOut, UpdateSiteRequest

API_KEY_PREFIX = "ts_"
MAX_SITES_PER_ACCOUNT = 100
PUBLIC_FIELDS = tuple(SiteOut.model_fields)
SITE_NOT_FOUND = "Site not found"
DOMAIN_TAKEN = "Another site already uses this domain"
# Draws of a new API key (a collision is astronomically unlikely), and attempts at a change that
# a concurrent change of the same site's key or domain overtook.
ATTEMPTS = 3

# KEYS[1] site doc. ARGV[1], ARGV[2]: the API key and domain ('' for none) the caller read.
# Returns 0 when the site is missing or deleted, -1 when its key or domain changed meanwhile.
_UNCHANGED = """
local raw = redis.call('JSON.GET', KEYS[1], '$.apiKey', '$.domain', '$.deletedAt')
if not raw then return 0 end
local doc = cjson.decode(raw)
local deleted = doc['$.deletedAt'][1]
if deleted ~= nil and deleted ~= cjson.null then return 0 end
local domain = doc['$.domain'][1]
if domain == nil or domain == cjson.null then domain = '' end
if doc['$.apiKey'][1] ~= ARGV[1] or domain ~= ARGV[2] then return -1 end
"""

# Then ARGV[3..]: field, JSON value pairs (encoded by the caller: cjson would turn an empty list
# into an object).
_CHANGE = (
    _UNCHANGED
    + """
for i = 3, #ARGV, 2 do
  redis.call('JSON.SET', KEYS[1], '$.' .. ARGV[i], ARGV[i + 1])
end
return 1
"""
)

# Then KEYS[2] the site's gone marker, ARGV[3] deletedAt, ARGV[4] the marker's TTL: the site is
# 404 everywhere and the worker stores nothing more for it.
_MARK_DELETED = (
    _UNCHANGED
    + """
redis.call('JSON.SET', KEYS[1], '$.deletedAt', cjson.encode(ARGV[3]))
redis.call('SET', KEYS[2], ARGV[3], 'EX', ARGV[4])
return 1
"""
)

# KEYS[1] the account's site set, ARGV[1] a site id. Takes the site out unless it is the last
# one: {'ok', its score (to put it back)}, {'absent'} or {'last'}.
_LEAVE = """
local score = redis.call('ZSCORE', KEYS[1], ARGV[1])
if not score then return {'absent'} end
if redis.call('ZCARD', KEYS[1]) <= 1 then return {'last'} end
redis.call('ZREM', KEYS[1], ARGV[1])
return {'ok', score}
"""


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
    retention_days: int | None = None,
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
        "retentionDays": retention_days,
        "createdAt": created_at or now_iso(),
        "updatedAt": None,
    }


async def list_sites(redis: aioredis.Redis, *, account_id: str) -> list[dict[str, Any]]:
    """The account's sites, oldest first."""
    ids = await redis.zrange(keys.account_sites(account_id), 0, -1)
    if not ids:
        return []
    async with redis.pipeline(transaction=False) as pipe:  # one site, one slot
        for site_id in ids:
            pipe.json().get(keys.site(str(site_id)))
        docs = await pipe.execute()
    return [doc for doc in docs if isinstance(doc, dict)]


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
        retention_days=body.retentionDays,
    )
    await store_new_site(redis, doc)
    return doc


async def store_new_site(redis: aioredis.Redis, doc: dict[str, Any]) -> None:
    """Reserve the domain and key, write the site, join its account; a failure undoes it all."""
    try:
        if doc["domain"] and not await claim(redis, keys.site_domain(doc["domain"]), doc["id"]):
            raise Conflict(errors={"domain": DOMAIN_TAKEN})
        doc["apiKey"] = await _claim_api_key(redis, doc["id"], doc["apiKey"])
        await redis.json().set(keys.site(doc["id"]), "$", doc)
        await _join_account(redis, doc)
    except BaseException:
        await discard_new_site(redis, doc)
        raise


async def discard_new_site(redis: aioredis.Redis, doc: dict[str, Any]) -> None:
    """Undo whichever steps of store_new_site were done (names only if the site holds them)."""
    await redis.zrem(keys.account_sites(doc["accountId"]), doc["id"])
    await redis.delete(keys.site(doc["id"]))
    await release(redis, keys.api_key(doc["apiKey"]), doc["id"])
    if doc["domain"]:
        await release(redis, keys.site_domain(doc["domain"]), doc["id"])


async def update_site(
    redis: aioredis.Redis, *, account_id: str, site_id: str, body: UpdateSiteRequest
) -> dict[str, Any]:
    """Apply the fields sent (a null or empty `domain` clears it); return the site."""
    for _ in range(ATTEMPTS):
        doc = await get_site(redis, account_id=account_id, site_id=site_id)
        changes = _changes(doc, body)
        if not changes:
            return doc
        if await _change_domain_and_fields(redis, doc, changes):
            if "timezone" in changes and changes["timezone"] != doc.get("timezone"):
                # The worker rebuilds the site's rollups in the new zone (until then, the raw
                # path answers in it).
                await redis.sadd(keys.ROLLUP_REBUILDS, site_id)
            return await get_site(redis, account_id=account_id, site_id=site_id)
    raise Conflict("The site changed meanwhile; try again")


async def rotate_site_key(redis: aioredis.Redis, *, account_id: str, site_id: str) -> str:
    """Give the site a new API key; the old one stops resolving at once."""
    for _ in range(ATTEMPTS):
        doc = await get_site(redis, account_id=account_id, site_id=site_id)
        new_key = await _claim_api_key(redis, site_id, new_api_key())
        changes = {"apiKey": new_key, "updatedAt": now_iso()}
        if await _commit(redis, doc, changes, claimed=keys.api_key(new_key)):
            await _retire_key(redis, site_id, str(doc["apiKey"]))
            return new_key
    raise Conflict("The site changed meanwhile; try again")


async def delete_site(redis: aioredis.Redis, *, account_id: str, site_id: str) -> None:
    """Remove the site from the account at once; its data goes in the background (worker)."""
    for _ in range(ATTEMPTS):
        doc = await get_site(redis, account_id=account_id, site_id=site_id)
        score = await _leave_account(redis, account_id, site_id)
        if await _mark_deleted(redis, doc, score):
            await _retire_key(redis, site_id, str(doc["apiKey"]))
            if doc.get("domain"):
                await release(redis, keys.site_domain(str(doc["domain"])), site_id)
            await redis.sadd(keys.SITE_DELETIONS, site_id)
            return
    raise Conflict("The site changed meanwhile; try again")


def _changes(doc: dict[str, Any], body: UpdateSiteRequest) -> dict[str, Any]:
    """The fields the request changes, with updatedAt (none: nothing to do)."""
    sent = body.model_fields_set
    changes: dict[str, Any] = {
        field: getattr(body, field)
        for field in ("name", "timezone", "allowedOrigins")
        if field in sent and getattr(body, field) is not None
    }
    for field in ("domain", "retentionDays"):  # null clears these
        if field in sent and getattr(body, field) != doc.get(field):
            changes[field] = getattr(body, field)
    return {**changes, "updatedAt": now_iso()} if changes else {}


async def _change_domain_and_fields(
    redis: aioredis.Redis, doc: dict[str, Any], changes: dict[str, Any]
) -> bool:
    """Reserve a new domain, write the changes, free the old one; False if overtaken."""
    site_id, old_domain = str(doc["id"]), doc.get("domain")
    new_domain = changes.get("domain", old_domain)
    claimed = keys.site_domain(new_domain) if new_domain != old_domain and new_domain else None
    if claimed and not await claim(redis, claimed, site_id):
        raise Conflict(errors={"domain": DOMAIN_TAKEN})
    if not await _commit(redis, doc, changes, claimed=claimed):
        return False
    if old_domain and new_domain != old_domain:
        await release(redis, keys.site_domain(old_domain), site_id)
    return True


async def _commit(
    redis: aioredis.Redis, doc: dict[str, Any], changes: dict[str, Any], *, claimed: str | None
) -> bool:
    """Write the changes if the site's key and domain are as read; else free `claimed`, False."""
    try:
        outcome = await redis.eval(
            _CHANGE,
            1,
            keys.site(doc["id"]),
            *_read_names(doc),
            *(part for field, value in changes.items() for part in (field, orjson.dumps(value))),
        )
    except BaseException:
        if claimed:
            await release(redis, claimed, str(doc["id"]))
        raise
    if outcome != 1 and claimed:
        await release(redis, claimed, str(doc["id"]))
    if outcome == 0:
        raise NotFound(SITE_NOT_FOUND)
    return bool(outcome == 1)


async def _claim_api_key(redis: aioredis.Redis, site_id: str, candidate: str) -> str:
    """Reserve the candidate key for the site, or another drawn when it is taken."""
    for _ in range(ATTEMPTS):
        if await claim(redis, keys.api_key(candidate), site_id):
            return candidate
        candidate = new_api_key()
    raise Conflict("Could not allocate an API key; try again")


async def _join_account(redis: aioredis.Redis, doc: dict[str, Any]) -> None:
    """Add the site to its account's set; Conflict when that makes too many."""
    sites = keys.account_sites(doc["accountId"])
    async with redis.pipeline(transaction=True) as pipe:
        pipe.zadd(sites, {doc["id"]: time.time_ns() // 1000})
        pipe.zcard(sites)
        _, count = await pipe.execute()
    if int(count) > MAX_SITES_PER_ACCOUNT:
        raise Conflict(f"An account can have at most {MAX_SITES_PER_ACCOUNT} sites")


async def _leave_account(redis: aioredis.Redis, account_id: str, site_id: str) -> float:
    """Take the site out of its account's set; its score. Conflict for the account's last site."""
    outcome = await redis.eval(_LEAVE, 1, keys.account_sites(account_id), site_id)
    if outcome[0] == "last":
        raise Conflict("An account keeps at least one site: add another before deleting this one")
    if outcome[0] != "ok":
        raise NotFound(SITE_NOT_FOUND)
    return float(outcome[1])


async def _mark_deleted(redis: aioredis.Redis, doc: dict[str, Any], score: float) -> bool:
    """Mark the site deleted if its key and domain are as read; else put it back, False."""
    try:
        outcome = await redis.eval(
            _MARK_DELETED,
            2,
            keys.site(doc["id"]),
            keys.site_gone(doc["id"]),
            *_read_names(doc),
            now_iso(),
            keys.SITE_GONE_TTL_SECONDS,
        )
    except BaseException:
        await _rejoin_account(redis, doc, score)
        raise
    if outcome != 1:
        await _rejoin_account(redis, doc, score)
    if outcome == 0:
        raise NotFound(SITE_NOT_FOUND)
    return bool(outcome == 1)


async def _rejoin_account(redis: aioredis.Redis, doc: dict[str, Any], score: float) -> None:
    """Put a site back into its account's set, where it was."""
    await redis.zadd(keys.account_sites(doc["accountId"]), {doc["id"]: score})


async def _retire_key(redis: aioredis.Redis, site_id: str, api_key: str) -> None:
    """Stop resolving the key; remember its site a while, to attribute late events to it."""
    await redis.set(keys.api_key_retired(api_key), site_id, ex=keys.API_KEY_RETIRED_TTL_SECONDS)
    await release(redis, keys.api_key(api_key), site_id)


def _read_names(doc: dict[str, Any]) -> tuple[str, str]:
    """The key and domain ('' for none) of the site as read, for _UNCHANGED."""
    return str(doc["apiKey"]), str(doc.get("domain") or "")
