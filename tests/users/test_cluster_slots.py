"""The user service's Redis steps on a real 3-shard Redis Cluster: each script, transaction and
command touches one slot (redis-py's cluster client refuses a cross-slot one, and the server a
script's undeclared key), and the outcomes are those of one node."""

from __future__ import annotations

import asyncio
import hashlib
import uuid
from typing import Any, cast

import pytest
import redis.asyncio as aioredis
from redis.asyncio.cluster import RedisCluster
from redis.crc import key_slot

from tracking_system.common import keys, ratelimit
from tracking_system.common.errors import Conflict, NotAuthenticated, NotFound, RateLimited
from tracking_system.users import accounts, sites, tokens
from tracking_system.users.passwords import PasswordHashing
from tracking_system.users.routes import auth
from tracking_system.users.schemas import (
    CreateSiteRequest,
    LoginRequest,
    RefreshRequest,
    RegisterRequest,
    UpdateMeRequest,
    UpdateSiteRequest,
)
from tracking_system.users.settings import UsersSettings

pytestmark = [pytest.mark.cluster, pytest.mark.anyio]

SHARDS = 3
PASSWORD = "correct horse battery"
TTL = tokens.TokenTtl(access_seconds=3600, refresh_seconds=30 * 24 * 3600)


@pytest.fixture
def redis(rc: RedisCluster) -> aioredis.Redis:
    """The cluster client, handed to the service's functions (typed for one node)."""
    return cast(aioredis.Redis, rc)


@pytest.fixture
def hashing() -> PasswordHashing:
    """The service's argon2id pool."""
    return PasswordHashing(2)


@pytest.fixture
def settings() -> UsersSettings:
    """The service's settings (default limits)."""
    return UsersSettings()


def _email() -> str:
    """A unique address."""
    return f"user-{uuid.uuid4().hex[:12]}@example.com"


def _domain() -> str:
    """A unique domain."""
    return f"shop-{uuid.uuid4().hex[:10]}.example.com"


def _ip() -> str:
    """A client address (documentation range), so rate limits rarely meet."""
    return f"203.0.113.{uuid.uuid4().int % 250 + 1}"


async def _register(
    redis: aioredis.Redis, hashing: PasswordHashing, settings: UsersSettings, email: str
) -> dict[str, Any]:
    """POST /auth/register's own handler: rate limits, account, first site, first sign-in."""
    body = RegisterRequest(name="Cluster", email=email, password=PASSWORD)
    answer = await auth.register(body, redis, hashing, settings, TTL, _ip())
    session: dict[str, Any] = answer["data"]
    return session


async def _keys_in(rc: RedisCluster) -> int:
    """Keys on every shard."""
    return sum([int(await rc.dbsize(target_nodes=node)) for node in rc.get_primaries()])


def _slots(*names: str) -> set[int]:
    """The cluster slots of these keys."""
    return {key_slot(name.encode()) for name in names}


async def test_registration_claims_each_name_once_across_slots(
    redis: aioredis.Redis, rc: RedisCluster, hashing: PasswordHashing, settings: UsersSettings
) -> None:
    email = _email()
    session = await _register(redis, hashing, settings, email)
    user = session["user"]
    names = (keys.user_email(email), keys.user(user["id"]), keys.api_key(user["apiKey"]),
             keys.site(user["id"]), keys.account_sites(user["id"]))  # fmt: skip
    assert len(_slots(*names)) > 1  # the steps really span slots
    assert await rc.get(keys.user_email(email)) == user["id"]
    assert await rc.get(keys.api_key(user["apiKey"])) == user["id"]
    assert await rc.zrange(keys.account_sites(user["id"]), 0, -1) == [user["id"]]

    with pytest.raises(Conflict):
        await _register(redis, hashing, settings, email.upper())
    assert await rc.get(keys.user_email(email)) == user["id"]

    doc = await accounts.load_user(redis, user["id"])
    assert doc["email"] == email
    assert (await accounts.public_account(redis, doc)).apiKey == user["apiKey"]


async def test_concurrent_registrations_of_one_email_exactly_one_succeeds(
    redis: aioredis.Redis, rc: RedisCluster, hashing: PasswordHashing
) -> None:
    email = _email()
    body = RegisterRequest(name="Race", email=email, password=PASSWORD)
    before = await _keys_in(rc)
    outcomes = await asyncio.gather(
        *(accounts.register(redis, body=body, hashing=hashing) for _ in range(6)),
        return_exceptions=True,
    )
    [winner] = [o for o in outcomes if isinstance(o, dict)]
    assert all(isinstance(o, Conflict) for o in outcomes if o is not winner)
    assert await rc.get(keys.user_email(email)) == winner["id"]
    # The winner's email, key, account, site and site set; the losers left nothing.
    assert await _keys_in(rc) - before == 5


async def test_login_refresh_logout_through_the_handlers(
    redis: aioredis.Redis, hashing: PasswordHashing, settings: UsersSettings
) -> None:
    email = _email()
    registered = await _register(redis, hashing, settings, email)
    ip = _ip()
    wrong = LoginRequest(email=email, password="wrong password")
    with pytest.raises(NotAuthenticated):
        await auth.login(wrong, redis, hashing, settings, TTL, ip)
    right = LoginRequest(email=email, password=PASSWORD)
    session = (await auth.login(right, redis, hashing, settings, TTL, ip))["data"]
    assert session["user"]["id"] == registered["user"]["id"]
    refreshed = (
        await auth.refresh(RefreshRequest(refreshToken=session["refreshToken"]), redis, TTL)
    )["data"]
    grant = await tokens.verify_access(redis, refreshed["accessToken"])
    assert grant is not None
    assert grant.account_id == registered["user"]["id"]

    await auth.logout(redis, f"Bearer {refreshed['accessToken']}")
    assert await tokens.verify_access(redis, refreshed["accessToken"]) is None
    assert await tokens.verify_access(redis, registered["accessToken"]) is not None


async def test_a_rotated_refresh_token_works_once_and_its_reuse_revokes_the_family(
    redis: aioredis.Redis, rc: RedisCluster
) -> None:
    account_id = uuid.uuid4().hex
    first = await tokens.issue(redis, account_id=account_id, ttl=TTL)
    family = first.access_token.split(".")[0]
    assert await rc.smembers(keys.user_sessions(account_id)) == {family}
    digest = hashlib.sha256(first.access_token.encode()).hexdigest()
    assert await rc.get(keys.access_token(family, digest)) == account_id
    assert await tokens.family_of_refresh(redis, first.refresh_token) == (account_id, family)

    owner, second = await tokens.rotate(redis, refresh_token=first.refresh_token, ttl=TTL)
    assert owner == account_id
    assert second.refresh_token.split(".")[0] == family
    assert await tokens.verify_access(redis, second.access_token) is not None

    with pytest.raises(tokens.RefreshRejected) as reused:
        await tokens.rotate(redis, refresh_token=first.refresh_token, ttl=TTL)
    assert reused.value.reused
    assert await tokens.verify_access(redis, second.access_token) is None
    assert await tokens.verify_access(redis, first.access_token) is None
    with pytest.raises(tokens.RefreshRejected) as revoked:
        await tokens.rotate(redis, refresh_token=second.refresh_token, ttl=TTL)
    assert not revoked.value.reused
    assert await rc.smembers(keys.user_sessions(account_id)) == set()


async def test_concurrent_refreshes_with_one_token_cannot_both_succeed(
    redis: aioredis.Redis,
) -> None:
    issued = await tokens.issue(redis, account_id=uuid.uuid4().hex, ttl=TTL)
    outcomes = await asyncio.gather(
        *(tokens.rotate(redis, refresh_token=issued.refresh_token, ttl=TTL) for _ in range(8)),
        return_exceptions=True,
    )
    assert sum(isinstance(o, tuple) for o in outcomes) <= 1
    assert all(isinstance(o, tuple | tokens.RefreshRejected) for o in outcomes)


async def test_revoking_families_ends_their_tokens_even_with_a_stale_index(
    redis: aioredis.Redis, rc: RedisCluster
) -> None:
    account_id = uuid.uuid4().hex
    sessions = [await tokens.issue(redis, account_id=account_id, ttl=TTL) for _ in range(4)]
    grants = [await tokens.verify_access(redis, s.access_token) for s in sessions]
    assert all(grants)
    families = [g.family_id for g in grants if g]
    assert len(_slots(*(keys.token_family(f) for f in families))) > 1

    await tokens.revoke_family(redis, account_id=account_id, family_id=families[0])
    assert await tokens.verify_access(redis, sessions[0].access_token) is None
    # The index may name a family that is already gone (or never came to be).
    await rc.sadd(keys.user_sessions(account_id), families[0], "01ARZ3NDEKTSV4RRFFQ69G5FAV")
    ended = await tokens.revoke_other_families(redis, account_id=account_id, keep=families[1])
    assert ended == 2
    assert await tokens.verify_access(redis, sessions[1].access_token) is not None
    for session in sessions[2:]:
        assert await tokens.verify_access(redis, session.access_token) is None
        with pytest.raises(tokens.RefreshRejected):
            await tokens.rotate(redis, refresh_token=session.refresh_token, ttl=TTL)
    assert await rc.smembers(keys.user_sessions(account_id)) == {families[1]}


async def test_tokens_of_another_shape_are_refused(redis: aioredis.Redis) -> None:
    old_style = "x" * 43  # a token issued before families named the slot
    assert await tokens.verify_access(redis, old_style) is None
    assert await tokens.verify_access(redis, "{a}.b") is None
    assert await tokens.family_of_refresh(redis, old_style) is None
    with pytest.raises(tokens.RefreshRejected):
        await tokens.rotate(redis, refresh_token=old_style, ttl=TTL)


async def test_site_domain_claims_rotation_and_deletion(
    redis: aioredis.Redis, rc: RedisCluster, hashing: PasswordHashing, settings: UsersSettings
) -> None:
    owner = (await _register(redis, hashing, settings, _email()))["user"]["id"]
    other = (await _register(redis, hashing, settings, _email()))["user"]["id"]
    domain = _domain()
    site = await sites.create_site(
        redis, account_id=owner, body=CreateSiteRequest(name="Shop", domain=domain)
    )
    assert await rc.get(keys.site_domain(domain)) == site["id"]
    assert [s["id"] for s in await sites.list_sites(redis, account_id=owner)] == [owner, site["id"]]

    with pytest.raises(Conflict):  # a duplicate domain, from another account
        await sites.create_site(
            redis, account_id=other, body=CreateSiteRequest(name="Copy", domain=domain)
        )
    with pytest.raises(Conflict):  # taken by a domain change of another account's site
        await sites.update_site(
            redis, account_id=other, site_id=other, body=UpdateSiteRequest(domain=domain)
        )
    assert await rc.get(keys.site_domain(domain)) == site["id"]
    assert [s["id"] for s in await sites.list_sites(redis, account_id=other)] == [other]

    moved = _domain()
    updated = await sites.update_site(
        redis, account_id=owner, site_id=site["id"],
        body=UpdateSiteRequest(domain=moved, allowedOrigins=[]),
    )  # fmt: skip
    assert (updated["domain"], updated["allowedOrigins"]) == (moved, [])
    assert await rc.get(keys.site_domain(domain)) is None  # the old domain is free again
    assert await rc.get(keys.site_domain(moved)) == site["id"]

    old_key = str(updated["apiKey"])
    new_key = await sites.rotate_site_key(redis, account_id=owner, site_id=site["id"])
    assert await rc.get(keys.api_key(old_key)) is None
    assert await rc.get(keys.api_key_retired(old_key)) == site["id"]
    assert await rc.get(keys.api_key(new_key)) == site["id"]

    with pytest.raises(Conflict):
        await sites.delete_site(redis, account_id=other, site_id=other)  # its last site
    await sites.delete_site(redis, account_id=owner, site_id=site["id"])
    assert await rc.get(keys.api_key(new_key)) is None
    assert await rc.get(keys.site_domain(moved)) is None
    assert await rc.exists(keys.site_gone(site["id"]))
    assert await rc.sismember(keys.SITE_DELETIONS, site["id"])
    with pytest.raises(NotFound):
        await sites.get_site(redis, account_id=owner, site_id=site["id"])
    assert [s["id"] for s in await sites.list_sites(redis, account_id=owner)] == [owner]


async def test_concurrent_claims_of_one_domain_exactly_one_wins(
    redis: aioredis.Redis, rc: RedisCluster, hashing: PasswordHashing, settings: UsersSettings
) -> None:
    accounts_ = [
        (await _register(redis, hashing, settings, _email()))["user"]["id"] for _ in range(4)
    ]
    domain = _domain()
    before = await _keys_in(rc)
    outcomes = await asyncio.gather(
        *(sites.create_site(redis, account_id=a, body=CreateSiteRequest(name="S", domain=domain))
          for a in accounts_),
        return_exceptions=True,
    )  # fmt: skip
    [winner] = [o for o in outcomes if isinstance(o, dict)]
    assert all(isinstance(o, Conflict) for o in outcomes if o is not winner)
    assert await rc.get(keys.site_domain(domain)) == winner["id"]
    assert await _keys_in(rc) - before == 3  # the winner's site, key and domain
    for account_id in accounts_:  # the losers' sites were undone entirely
        listed = await sites.list_sites(redis, account_id=account_id)
        assert len(listed) == (2 if account_id == winner["accountId"] else 1)


async def test_profile_and_api_key_changes_of_the_account(
    redis: aioredis.Redis, rc: RedisCluster, hashing: PasswordHashing, settings: UsersSettings
) -> None:
    user = (await _register(redis, hashing, settings, _email()))["user"]
    doc = await accounts.update_profile(
        redis, account_id=user["id"],
        body=UpdateMeRequest(name="Renamed", timezone="Asia/Kolkata"),
    )  # fmt: skip
    assert doc["name"] == "Renamed"
    assert (await accounts.public_account(redis, doc)).timezone == "Asia/Kolkata"
    new_key = await accounts.rotate_api_key(redis, account_id=user["id"])
    assert await rc.get(keys.api_key(user["apiKey"])) is None
    assert await rc.get(keys.api_key(new_key)) == user["id"]


async def test_rate_limits_count_refuse_refund_and_clear(redis: aioredis.Redis) -> None:
    subject = uuid.uuid4().hex
    tight = ratelimit.Limit("cluster-tight", 2, 60)
    loose = ratelimit.Limit("cluster-loose", 100, 60)
    checks = [(tight, subject), (loose, f"{subject}:other")]
    assert len(_slots(*(keys.rate_limit(limit.scope, s) for limit, s in checks))) == 2
    for _ in range(2):
        assert (await ratelimit.hit_all(redis, checks)).allowed
    refused = await ratelimit.hit_all(redis, checks)
    assert not refused.allowed
    assert 1 <= refused.retry_after <= 60
    assert (await ratelimit.hit(redis, loose, f"{subject}:other")).used == 3  # refunded

    await ratelimit.refund(redis, checks[:1])
    assert (await ratelimit.hit(redis, tight, subject)).allowed
    await ratelimit.clear(redis, checks)
    assert (await ratelimit.hit(redis, tight, subject)).used == 1

    backoff = ratelimit.Backoff("cluster-backoff", free=1, base_seconds=0.5, max_seconds=2,
                                window_seconds=60)  # fmt: skip
    delays = [await ratelimit.back_off(redis, backoff, subject) for _ in range(4)]
    assert delays == [0.0, 0.5, 1.0, 2.0]


async def test_registration_is_rate_limited_per_email(
    redis: aioredis.Redis, hashing: PasswordHashing, settings: UsersSettings
) -> None:
    limited = settings.model_copy(update={"registrations_per_email": 1})
    email = _email()
    await _register(redis, hashing, limited, email)
    with pytest.raises(RateLimited):
        await _register(redis, hashing, limited, email)
