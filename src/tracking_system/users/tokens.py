"""Access and refresh tokens: 256-bit random, stored only as SHA-256 hashes, with Redis TTLs.

A sign-in creates a token family. Refresh tokens rotate on every use; presenting one that was
already spent revokes the whole family (its access tokens included), since only a thief or a
replay can present a spent token. A token reads `<family>.<secret>`: the family (not a secret)
names the Redis Cluster slot of every record of the sign-in, so each script stays in one slot."""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import redis.asyncio as aioredis
from ulid import ULID

from tracking_system.common import keys

# A family id is a ULID (Crockford base32), which never holds a hash tag's braces.
_FAMILY = re.compile(r"[0-9A-HJKMNP-TV-Z]{26}")

# KEYS: access-token key, family key. Returns the account id while the token's family is alive.
_VERIFY = """
local account = redis.call('GET', KEYS[1])
if not account or redis.call('EXISTS', KEYS[2]) == 0 then return false end
return account
"""

# KEYS: presented refresh-token key, new refresh key, new access key, family key (one family,
# one slot). ARGV: access TTL, refresh TTL.
# One script, so two concurrent refreshes with one token cannot both succeed: the second finds
# the token spent and revokes the family.
_ROTATE = """
local account = redis.call('HGET', KEYS[1], 'account')
if not account then return {'invalid'} end
if redis.call('HGET', KEYS[1], 'spent') == '1' then
  redis.call('DEL', KEYS[4])
  return {'reused', account}
end
if redis.call('EXISTS', KEYS[4]) == 0 then return {'invalid'} end
redis.call('HSET', KEYS[1], 'spent', '1')
redis.call('HSET', KEYS[2], 'account', account, 'spent', '0')
redis.call('EXPIRE', KEYS[2], ARGV[2])
redis.call('SET', KEYS[3], account, 'EX', ARGV[1])
redis.call('EXPIRE', KEYS[4], ARGV[2])
return {'ok', account}
"""


@dataclass(frozen=True)
class IssuedTokens:
    access_token: str
    refresh_token: str
    expires_on: datetime


@dataclass(frozen=True)
class TokenTtl:
    access_seconds: int
    refresh_seconds: int


@dataclass(frozen=True)
class AccessGrant:
    account_id: str
    family_id: str


class RefreshRejected(Exception):
    """The refresh token is unknown, expired, revoked, or was reused (family now revoked)."""

    def __init__(self, reused: bool) -> None:
        super().__init__("refresh token reused" if reused else "refresh token invalid")
        self.reused = reused


def token_hash(token: str) -> str:
    """SHA-256 of a token, the only form in which it is stored."""
    return hashlib.sha256(token.encode()).hexdigest()


def new_token(family: str) -> str:
    """The family, then 256 bits from the OS's CSPRNG, URL-safe."""
    return f"{family}.{secrets.token_urlsafe(32)}"


def family_of(token: str) -> str | None:
    """The family a token names, or None for a token of any other shape."""
    family, dot, secret = token.partition(".")
    return family if dot and secret and _FAMILY.fullmatch(family) else None


def bearer_token(authorization: str | None) -> str | None:
    """The token of an `Authorization: Bearer` header."""
    if authorization and authorization[:7].lower() == "bearer ":
        return authorization[7:].strip() or None
    return None


async def issue(redis: aioredis.Redis, *, account_id: str, ttl: TokenTtl) -> IssuedTokens:
    """Start a new sign-in: a new family with its first access and refresh tokens."""
    family = str(ULID())
    access, refresh = new_token(family), new_token(family)
    # Listed first: the index may name a family that never came to be, never miss a live one.
    await _remember(redis, account_id=account_id, family=family, ttl=ttl)
    refresh_key = keys.refresh_token(family, token_hash(refresh))
    async with redis.pipeline(transaction=True) as pipe:
        pipe.set(keys.token_family(family), account_id, ex=ttl.refresh_seconds)
        pipe.set(keys.access_token(family, token_hash(access)), account_id, ex=ttl.access_seconds)
        pipe.hset(refresh_key, mapping={"account": account_id, "spent": "0"})
        pipe.expire(refresh_key, ttl.refresh_seconds)
        await pipe.execute()
    return IssuedTokens(access, refresh, _expiry(ttl.access_seconds))


async def rotate(
    redis: aioredis.Redis, *, refresh_token: str, ttl: TokenTtl
) -> tuple[str, IssuedTokens]:
    """Spend a refresh token for a new pair in the same family; (account id, tokens)."""
    family = family_of(refresh_token)
    if family is None:
        raise RefreshRejected(reused=False)
    access, refresh = new_token(family), new_token(family)
    result = await redis.eval(
        _ROTATE,
        4,
        keys.refresh_token(family, token_hash(refresh_token)),
        keys.refresh_token(family, token_hash(refresh)),
        keys.access_token(family, token_hash(access)),
        keys.token_family(family),
        ttl.access_seconds,
        ttl.refresh_seconds,
    )
    if result[0] == "reused":
        await redis.srem(keys.user_sessions(str(result[1])), family)
    if result[0] != "ok":
        raise RefreshRejected(reused=result[0] == "reused")
    account_id = str(result[1])
    # Listed again: the index outlives every family it names, however long it keeps rotating.
    await _remember(redis, account_id=account_id, family=family, ttl=ttl)
    return account_id, IssuedTokens(access, refresh, _expiry(ttl.access_seconds))


async def verify_access(redis: aioredis.Redis, token: str) -> AccessGrant | None:
    """The grant of a live access token, or None."""
    family = family_of(token)
    if family is None:
        return None
    account = await redis.eval(
        _VERIFY, 2, keys.access_token(family, token_hash(token)), keys.token_family(family)
    )
    if account is None:
        return None
    return AccessGrant(account_id=str(account), family_id=family)


async def family_of_refresh(redis: aioredis.Redis, refresh_token: str) -> tuple[str, str] | None:
    """(account, family) of a refresh token, spent or not."""
    family = family_of(refresh_token)
    if family is None:
        return None
    account = await redis.hget(keys.refresh_token(family, token_hash(refresh_token)), "account")
    if account is None:
        return None
    return str(account), family


async def revoke_family(redis: aioredis.Redis, *, account_id: str, family_id: str) -> None:
    """End one sign-in: every access and refresh token of the family stops working."""
    await redis.delete(keys.token_family(family_id))
    await redis.srem(keys.user_sessions(account_id), family_id)


async def revoke_other_families(redis: aioredis.Redis, *, account_id: str, keep: str | None) -> int:
    """End every sign-in of the account except `keep`; how many were still alive."""
    doomed = sorted({str(f) for f in await redis.smembers(keys.user_sessions(account_id))} - {keep})
    if not doomed:
        return 0
    # One family per command: each lives in its own slot. A listed family that already ended
    # deletes nothing.
    async with redis.pipeline(transaction=False) as pipe:
        for family in doomed:
            pipe.delete(keys.token_family(family))
        ended = await pipe.execute()
    await redis.srem(keys.user_sessions(account_id), *doomed)
    return sum(int(n) for n in ended)


async def _remember(redis: aioredis.Redis, *, account_id: str, family: str, ttl: TokenTtl) -> None:
    """List the family in the account's index of sign-ins (the account's slot)."""
    async with redis.pipeline(transaction=True) as pipe:
        pipe.sadd(keys.user_sessions(account_id), family)
        pipe.expire(keys.user_sessions(account_id), ttl.refresh_seconds)
        await pipe.execute()


def _expiry(seconds: int) -> datetime:
    return datetime.now(UTC) + timedelta(seconds=seconds)
