"""Accounts in RedisJSON: registration, sign-in, profile, password and API-key changes.

The account document holds what is personal (name, email, password hash); `user.apiKey`,
`user.timezone` and `user.allowedOrigins` describe the account's first site (users/sites.py)."""

from __future__ import annotations

import hashlib
import time
from typing import Any

import orjson
import redis.asyncio as aioredis
from ulid import ULID

from tracking_system.common import keys
from tracking_system.common.errors import Conflict, InvalidInput, NotAuthenticated, NotFound
from tracking_system.common.zones import now_iso
from tracking_system.users.passwords import PasswordHashing
from tracking_system.users.schemas import (
    RegisterRequest,
    UpdateMeRequest,
    UpdateSiteRequest,
    UserOut,
    normalize_email,
)
from tracking_system.users.sites import (
    first_site,
    new_api_key,
    new_site_doc,
    rotate_site_key,
    update_site,
)

PERSONAL_FIELDS = ("id", "name", "email", "createdAt", "updatedAt")
SITE_FIELDS = ("apiKey", "timezone", "allowedOrigins")

# KEYS: email reservation, API-key reservation, user document, first site document, the
# account's site set. ARGV: id, user document, site document, creation score.
# Claims the email and the key and writes the account with its first site in one step, so of
# many concurrent registrations of one email exactly one succeeds.
_REGISTER = """
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
if redis.call('EXISTS', KEYS[2]) == 1 then return -1 end
redis.call('SET', KEYS[1], ARGV[1])
redis.call('SET', KEYS[2], ARGV[1])
redis.call('JSON.SET', KEYS[3], '$', ARGV[2])
redis.call('JSON.SET', KEYS[4], '$', ARGV[3])
redis.call('ZADD', KEYS[5], ARGV[4], ARGV[1])
return 1
"""

INVALID_LOGIN = "Invalid email or password"


def email_subject(email: str) -> str:
    """What rate limits of an email are kept under: a hash of its normalised spelling, so that
    every spelling counts together and no key shows the address."""
    return hashlib.sha256(normalize_email(email).encode()).hexdigest()[:32]


async def account_id_for_email(redis: aioredis.Redis, email: str) -> str | None:
    """The id of the account registered with this email, in any spelling."""
    # Accounts registered before normalisation are reserved under `strip().lower()`, which
    # differs from the normalised spelling only outside ASCII (an NFD `é`, a `ß`): both are
    # read, always, in one round trip, so a hit and a miss cost the same.
    found = await redis.mget(
        [keys.user_email(normalize_email(email)), keys.user_email(email.strip().lower())]
    )
    return next((str(value) for value in found if value is not None), None)


async def public_account(redis: aioredis.Redis, doc: dict[str, Any]) -> UserOut:
    """The account as the API returns it (never the password hash), its first site's key,
    zone and origins included."""
    site = await first_site(redis, account_id=str(doc["id"]))
    return UserOut.model_validate(
        {**{k: doc.get(k) for k in PERSONAL_FIELDS}, **{k: site.get(k) for k in SITE_FIELDS}}
    )


async def load_user(redis: aioredis.Redis, account_id: str) -> dict[str, Any]:
    """The account document, or NotFound."""
    doc = await redis.json().get(keys.user(account_id))
    if not isinstance(doc, dict):
        raise NotFound("Account not found")
    return doc


async def register(
    redis: aioredis.Redis, *, body: RegisterRequest, hashing: PasswordHashing
) -> dict[str, Any]:
    """Create the account; Conflict when the email is taken."""
    if body.confirmPassword is not None and body.confirmPassword != body.password:
        raise InvalidInput(errors={"confirmPassword": "Passwords do not match"})
    account_id = str(ULID())
    created = now_iso()
    doc: dict[str, Any] = {
        "id": account_id,
        "name": body.name,
        "email": body.email,
        "password": await hashing.hash(body.password),
        "createdAt": created,
        "updatedAt": None,
    }
    # The first site takes the account's id: data stored before sites existed is its data.
    site = new_site_doc(site_id=account_id, account_id=account_id, name=body.name,
                        timezone=body.timezone, created_at=created)  # fmt: skip
    for _ in range(3):
        outcome = await redis.eval(
            _REGISTER,
            5,
            keys.user_email(body.email),
            keys.api_key(site["apiKey"]),
            keys.user(account_id),
            keys.site(account_id),
            keys.account_sites(account_id),
            account_id,
            orjson.dumps(doc).decode(),
            orjson.dumps(site).decode(),
            time.time_ns() // 1000,
        )
        if outcome == 1:
            return doc
        if outcome == 0:
            raise Conflict(errors={"email": "An account with this email already exists"})
        site["apiKey"] = new_api_key()  # astronomically unlikely collision: draw again
    raise Conflict("Could not allocate an API key; try again")


async def authenticate(
    redis: aioredis.Redis, *, email: str, password: str, hashing: PasswordHashing
) -> dict[str, Any]:
    """The account whose credentials these are; the same failure for unknown email or password."""
    account_id = await account_id_for_email(redis, email)
    doc: dict[str, Any] | None = None
    if account_id is not None:
        found = await redis.json().get(keys.user(str(account_id)))
        doc = found if isinstance(found, dict) else None
    # Always run one verification, against a dummy hash when there is no account, so both
    # failures take the same time.
    ok = await hashing.verify(doc["password"] if doc else None, password)
    if not ok or doc is None:
        raise NotAuthenticated(INVALID_LOGIN)
    return doc


async def update_profile(
    redis: aioredis.Redis, *, account_id: str, body: UpdateMeRequest
) -> dict[str, Any]:
    """Apply the name (the account's) and the zone and origins (its first site's); return the
    updated account document."""
    changes: dict[str, Any] = {}
    if body.name is not None:
        changes["name"] = body.name
    if body.timezone is not None or body.allowedOrigins is not None:
        site = await first_site(redis, account_id=account_id)
        await update_site(
            redis,
            account_id=account_id,
            site_id=str(site["id"]),
            body=UpdateSiteRequest.model_validate(
                body.model_dump(include={"timezone", "allowedOrigins"}, exclude_none=True)
            ),
        )
    return await _set_fields(redis, account_id, changes)


async def change_password(
    redis: aioredis.Redis, *, account_id: str, body: UpdateMeRequest, hashing: PasswordHashing
) -> dict[str, Any]:
    """Check the current password and store the new one's hash."""
    errors: dict[str, str] = {}
    if not body.currentPassword:
        errors["currentPassword"] = "Enter your current password"
    if body.confirmPassword is not None and body.confirmPassword != body.newPassword:
        errors["confirmPassword"] = "Passwords do not match"
    if errors:
        raise InvalidInput(errors=errors)
    doc = await load_user(redis, account_id)
    if not await hashing.verify(doc["password"], body.currentPassword or ""):
        raise InvalidInput(errors={"currentPassword": "Current password is incorrect"})
    assert body.newPassword is not None
    return await _set_fields(redis, account_id, {"password": await hashing.hash(body.newPassword)})


async def rotate_api_key(redis: aioredis.Redis, *, account_id: str) -> str:
    """Give the account's first site a new API key; the old one stops resolving at once."""
    site = await first_site(redis, account_id=account_id)
    return await rotate_site_key(redis, account_id=account_id, site_id=str(site["id"]))


async def _set_fields(
    redis: aioredis.Redis, account_id: str, changes: dict[str, Any]
) -> dict[str, Any]:
    user_key = keys.user(account_id)
    if not await redis.exists(user_key):
        raise NotFound("Account not found")
    if changes:
        changes["updatedAt"] = now_iso()
        async with redis.pipeline(transaction=True) as pipe:
            for field, value in changes.items():
                pipe.json().set(user_key, f"$.{field}", value)
            await pipe.execute()
    return await load_user(redis, account_id)
