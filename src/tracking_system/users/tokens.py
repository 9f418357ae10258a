"""Access and refresh tokens: 256-bit random, stored only as SHA-256 hashes, with Redis TTLs.

A sign-in creates a token family. Refresh tokens rotate on every use; presenting one that was
already spent revokes the whole family (its access tokens included), since only a thief or a
replay can present a spent token."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import redis.asyncio as aioredis
from ulid import ULID

from tracking_system.common import keys

# KEYS[1] access-token key. Returns the account id while the token's family is alive.
_VERIFY = """
local record = redis.call('GET', KEYS[1])
if not record then return false end
local account, family = string.match(record, '^(%S+) (%S+)$')
if redis.call('EXISTS', ARGV[1] .. family) == 0 then return false end
return {account, family}
"""

# KEYS[1] presented refresh-token key, KEYS[2] new refresh key, KEYS[3] new access key.
# ARGV: family prefix, sessions prefix, access TTL, refresh TTL.
# One script, so two concurrent refreshes with one token cannot both succeed: the second finds
# the token spent and revokes the family.
_ROTATE = """
local account = redis.call('HGET', KEYS[1], 'account')
if not account then return {'invalid'} end
local family = redis.call('HGET', KEYS[1], 'family')
local family_key = ARGV[1] .. family
if redis.call('HGET', KEYS[1], 'spent') == '1' then
  redis.call('DEL', family_key)
  redis.call('SREM', ARGV[2] .. account, family)
  return {'reused'}
end
if redis.call('EXISTS', family_key) == 0 then return {'invalid'} end
redis.call('HSET', KEYS[1], 'spent', '1')
redis.call('HSET', KEYS[2], 'account', account, 'family', family, 'spent', '0')
redis.call('EXPIRE', KEYS[2], ARGV[4])
redis.call('SET', KEYS[3], account .. ' ' .. family, 'EX', ARGV[3])
redis.call('EXPIRE', family_key, ARGV[4])
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


def new_token() -> str:
    """256 bits from the OS's CSPRNG, URL-safe."""
    return secrets.token_urlsafe(32)


def bearer_token(authorization: str | None) -> str | None:
    """The token of an `Authorization: Bearer` header."""
    if authorization and authorization[:7].lower() == "bearer ":
        return authorization[7:].strip() or None
    return None


async def issue(redis: aioredis.Redis, *, account_id: str, ttl: TokenTtl) -> IssuedTokens:
    """Start a new sign-in: a new family with its first access and refresh tokens."""
    family = str(ULID())
    access, refresh = new_token(), new_token()
    async with redis.pipeline(transaction=True) as pipe:
        pipe.set(keys.token_family(family), account_id, ex=ttl.refresh_seconds)
        pipe.sadd(keys.user_sessions(account_id), family)
        pipe.expire(keys.user_sessions(account_id), ttl.refresh_seconds)
        pipe.set(
            keys.access_token(token_hash(access)), f"{account_id} {family}", ex=ttl.access_seconds
        )
        refresh_key = keys.refresh_token(token_hash(refresh))
        pipe.hset(refresh_key, mapping={"account": account_id, "family": family, "spent": "0"})
        pipe.expire(refresh_key, ttl.refresh_seconds)
        await pipe.execute()
    return IssuedTokens(access, refresh, _expiry(ttl.access_seconds))


async def rotate(
    redis: aioredis.Redis, *, refresh_token: str, ttl: TokenTtl
) -> tuple[str, IssuedTokens]:
    """Spend a refresh token for a new pair in the same family; (account id, tokens)."""
    access, refresh = new_token(), new_token()
    result = await redis.eval(
        _ROTATE,
        3,
        keys.refresh_token(token_hash(refresh_token)),
        keys.refresh_token(token_hash(refresh)),
        keys.access_token(token_hash(access)),
        keys.TOKEN_FAMILY_PREFIX,
        keys.USER_SESSIONS_PREFIX,
        ttl.access_seconds,
        ttl.refresh_seconds,
    )
    if result[0] != "ok":
        raise RefreshRejected(reused=result[0] == "reused")
    return str(result[1]), IssuedTokens(access, refresh, _expiry(ttl.access_seconds))


async def verify_access(redis: aioredis.Redis, token: str) -> AccessGrant | None:
    """The grant of a live access token, or None."""
    result = await redis.eval(
        _VERIFY, 1, keys.access_token(token_hash(token)), keys.TOKEN_FAMILY_PREFIX
    )
    if not result:
        return None
    return AccessGrant(account_id=str(result[0]), family_id=str(result[1]))


async def family_of_refresh(redis: aioredis.Redis, refresh_token: str) -> tuple[str, str] | None:
    """(account, family) of a refresh token, spent or not."""
    record = await redis.hmget(keys.refresh_token(token_hash(refresh_token)), ["account", "family"])
    if record[0] is None or record[1] is None:
        return None
    return str(record[0]), str(record[1])


async def revoke_family(redis: aioredis.Redis, *, account_id: str, family_id: str) -> None:
    """End one sign-in: every access and refresh token of the family stops working."""
    async with redis.pipeline(transaction=True) as pipe:
        pipe.delete(keys.token_family(family_id))
        pipe.srem(keys.user_sessions(account_id), family_id)
        await pipe.execute()


async def revoke_other_families(redis: aioredis.Redis, *, account_id: str, keep: str | None) -> int:
    """End every sign-in of the account except `keep`; how many were ended."""
    families = {str(f) for f in await redis.smembers(keys.user_sessions(account_id))}
    doomed = [f for f in families if f != keep]
    if not doomed:
        return 0
    async with redis.pipeline(transaction=True) as pipe:
        pipe.delete(*(keys.token_family(f) for f in doomed))
        pipe.srem(keys.user_sessions(account_id), *doomed)
        await pipe.execute()
    return len(doomed)


def _expiry(seconds: int) -> datetime:
    return datetime.now(UTC) + timedelta(seconds=seconds)
