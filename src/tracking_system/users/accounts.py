"""Accounts in RedisJSON: registration, sign-in, profile, password and API-key changes.

The account document holds what is personal (name, email, password hash); `user.apiKey`,
`user.timezone` and `user.allowedOrigins` describe the account's first site (users/sites.py)."""

from __future__ import annotations

import hashlib
from typing import Any

import redis.asyncio as aioredis
from ulid import ULID

from tracking_system.common import keys
from tracking_system.common.errors import Conflict, InvalidInput, NotAuthenticated, NotFound
from tracking_system.common.zones import now_iso
from tracking_system.users.passwords import PasswordHashing
from tracking_system.users.reservations import claim, release
from tracking_system.users.schemas import (
    RegisterRequest,
    UpdateMeRequest,
    UpdateSiteRequest,
    UserOut,
    normalize_email,
)
from tracking_system.users.sites import (
    discard_new_site,
    first_site,
    new_site_doc,
    rotate_site_key,
    store_new_site,
    update_site,
)

PERSONAL_FIELDS = ("id", "name", "email", "createdAt", "updatedAt")
SITE_FIELDS = ("apiKey", "timezone", "allowedOrigins")

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
    async with redis.pipeline(transaction=False) as pipe:  # one key, one slot, per spelling
        pipe.get(keys.user_email(normalize_email(email)))
        pipe.get(keys.user_email(email.strip().lower()))
        found = await pipe.execute()
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
    # The email first (a concurrent registration of it gets its Conflict), then the site with its
    # key, then the account document; a failure undoes every step done.
    email_key = keys.user_email(body.email)
    if not await claim(redis, email_key, account_id):
        raise Conflict(errors={"email": "An account with this email already exists"})
    try:
        await store_new_site(redis, site)
        await redis.json().set(keys.user(account_id), "$", doc)
    except BaseException:
        await redis.delete(keys.user(account_id))
        await discard_new_site(redis, site)
        await release(redis, email_key, account_id)
        raise
    return doc


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
