"""Accounts in RedisJSON: registration, sign-in, profile, password and API-key changes."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime
from typing import Any

import orjson
import redis.asyncio as aioredis
from ulid import ULID

from tracking_system.common import keys
from tracking_system.common.errors import Conflict, InvalidInput, NotAuthenticated, NotFound
from tracking_system.users.passwords import PasswordHashing
from tracking_system.users.schemas import RegisterRequest, UpdateMeRequest, UserOut

API_KEY_PREFIX = "ts_"
PUBLIC_FIELDS = (
    "id",
    "name",
    "email",
    "apiKey",
    "timezone",
    "allowedOrigins",
    "createdAt",
    "updatedAt",
)

# KEYS: email reservation, API-key reservation, user document. ARGV: id, document.
# Claims the email and the key and writes the document in one step, so of many concurrent
# registrations of one email exactly one succeeds.
_REGISTER = """
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
if redis.call('EXISTS', KEYS[2]) == 1 then return -1 end
redis.call('SET', KEYS[1], ARGV[1])
redis.call('SET', KEYS[2], ARGV[1])
redis.call('JSON.SET', KEYS[3], '$', ARGV[2])
return 1
"""

INVALID_LOGIN = "Invalid email or password"


def now_iso() -> str:
    """The current UTC time, ISO-8601 with milliseconds."""
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def new_api_key() -> str:
    """A fresh, unguessable API key."""
    return API_KEY_PREFIX + secrets.token_urlsafe(24)


def public_user(doc: dict[str, Any]) -> UserOut:
    """The account as the API returns it: never the password hash."""
    return UserOut.model_validate({k: doc.get(k) for k in PUBLIC_FIELDS})


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
    doc: dict[str, Any] = {
        "id": account_id,
        "name": body.name,
        "email": body.email,
        "password": await hashing.hash(body.password),
        "apiKey": new_api_key(),
        "timezone": body.timezone,
        "allowedOrigins": [],
        "createdAt": now_iso(),
        "updatedAt": None,
    }
    api_key = str(doc["apiKey"])
    for _ in range(3):
        outcome = await redis.eval(
            _REGISTER,
            3,
            keys.user_email(body.email),
            keys.api_key(api_key),
            keys.user(account_id),
            account_id,
            orjson.dumps(doc).decode(),
        )
        if outcome == 1:
            return doc
        if outcome == 0:
            raise Conflict(errors={"email": "An account with this email already exists"})
        api_key = doc["apiKey"] = new_api_key()  # astronomically unlikely collision: draw again
    raise Conflict("Could not allocate an API key; try again")


async def authenticate(
    redis: aioredis.Redis, *, email: str, password: str, hashing: PasswordHashing
) -> dict[str, Any]:
    """The account whose credentials these are; the same failure for unknown email or password."""
    normalized = email.strip().lower()
    account_id = await redis.get(keys.user_email(normalized))
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
    """Apply name, timezone and allowed origins; return the updated document."""
    changes: dict[str, Any] = {}
    if body.name is not None:
        changes["name"] = body.name
    if body.timezone is not None:
        changes["timezone"] = body.timezone
    if body.allowedOrigins is not None:
        changes["allowedOrigins"] = body.allowedOrigins
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
    """Give the account a new API key; the old one stops resolving at once."""
    user_key = keys.user(account_id)
    new_key = new_api_key()
    async with redis.pipeline(transaction=True) as pipe:
        while True:
            try:
                await pipe.watch(user_key)
                old = await pipe.json().get(user_key, "$.apiKey")
                if not isinstance(old, list) or not old:
                    raise NotFound("Account not found")
                pipe.multi()  # type: ignore[no-untyped-call]
                pipe.delete(keys.api_key(str(old[0])))
                pipe.set(keys.api_key(new_key), account_id)
                pipe.json().set(user_key, "$.apiKey", new_key)
                pipe.json().set(user_key, "$.updatedAt", now_iso())
                await pipe.execute()
                return new_key
            except aioredis.WatchError:
                continue


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
