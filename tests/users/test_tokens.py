"""Access and refresh tokens: rotation, reuse, expiry, logout, storage as hashes only."""

from __future__ import annotations

import hashlib
import time
from concurrent.futures import ThreadPoolExecutor

import httpx
import redis

from tests.support.accounts import register
from tracking_system.common import keys

# The gateway trusts a verified token for up to this long (GATEWAY_AUTH_CACHE_SECONDS).
AUTH_CACHE_SECONDS = 1.0


def _refresh(api: httpx.Client, token: str) -> httpx.Response:
    return api.post("/api/v1/auth/refresh", json={"refreshToken": token})


def _me(api: httpx.Client, access: str) -> int:
    return api.get("/api/v1/users/me", headers={"Authorization": f"Bearer {access}"}).status_code


def _refused_within_a_second(api: httpx.Client, access: str) -> bool:
    deadline = time.monotonic() + AUTH_CACHE_SECONDS + 0.5
    while time.monotonic() < deadline:
        if _me(api, access) == 401:
            return True
        time.sleep(0.1)
    return False


def test_refresh_rotates_the_pair(api: httpx.Client) -> None:
    account = register(api)
    response = _refresh(api, account.session["refreshToken"])
    assert response.status_code == 200
    data = response.json()["data"]
    assert data["refreshToken"] != account.session["refreshToken"]
    assert data["user"]["id"] == account.user["id"]
    assert _me(api, data["accessToken"]) == 200


def test_refresh_token_reuse_revokes_family(api: httpx.Client) -> None:
    account = register(api)
    first = account.session["refreshToken"]
    rotated = _refresh(api, first).json()["data"]
    # The spent token is presented again: a replay. Everything in the family dies.
    assert _refresh(api, first).status_code == 401
    assert _refresh(api, rotated["refreshToken"]).status_code == 401
    assert _refused_within_a_second(api, rotated["accessToken"])
    assert _refused_within_a_second(api, account.access_token)


def test_reuse_revokes_only_that_family(api: httpx.Client) -> None:
    account = register(api)
    credentials = {"email": account.email, "password": account.password}
    other = api.post("/api/v1/auth/login", json=credentials).json()["data"]
    first = account.session["refreshToken"]
    _refresh(api, first)
    _refresh(api, first)
    assert _me(api, other["accessToken"]) == 200


def test_concurrent_refreshes_with_one_token_cannot_both_succeed(api: httpx.Client) -> None:
    account = register(api)
    token = account.session["refreshToken"]

    def attempt(_: int) -> int:
        with httpx.Client(base_url=str(api.base_url), timeout=30) as client:
            return _refresh(client, token).status_code

    with ThreadPoolExecutor(max_workers=8) as pool:
        statuses = list(pool.map(attempt, range(8)))
    assert statuses.count(200) <= 1
    assert statuses.count(200) + statuses.count(401) == 8


def test_unknown_refresh_token_is_401(api: httpx.Client) -> None:
    response = _refresh(api, "x" * 43)
    assert response.status_code == 401
    assert response.json()["errors"]["message"]


def test_access_token_lives_an_hour_and_is_refused_after(
    api: httpx.Client, redis_sync: redis.Redis
) -> None:
    account = register(api)
    family = account.access_token.split(".")[0]
    key = keys.access_token(family, hashlib.sha256(account.access_token.encode()).hexdigest())
    assert 3590 <= redis_sync.ttl(key) <= 3600
    # Let the hour pass for this token: Redis expires it exactly as it would at 3600 s.
    redis_sync.pexpire(key, 1)
    time.sleep(0.01)
    assert _refused_within_a_second(api, account.access_token)


def test_logout_ends_the_access_and_refresh_tokens(api: httpx.Client) -> None:
    account = register(api)
    response = api.post(
        "/api/v1/auth/logout",
        json={"refreshToken": account.session["refreshToken"]},
        headers=account.auth(),
    )
    assert response.status_code == 200
    assert response.json() == {"data": {}, "errors": None}
    assert _refused_within_a_second(api, account.access_token)
    assert _refresh(api, account.session["refreshToken"]).status_code == 401


def test_logout_without_a_token_is_401(api: httpx.Client) -> None:
    assert api.post("/api/v1/auth/logout", json={}).status_code == 401


def test_tokens_are_stored_only_as_hashes(api: httpx.Client, redis_sync: redis.Redis) -> None:
    account = register(api)
    access, refresh = account.access_token, account.session["refreshToken"]
    for token in (access, refresh):
        # `<family>.<secret>`: the family (not a secret) tags the keys, the secret is nowhere.
        family, secret = token.split(".")
        digest = hashlib.sha256(token.encode()).hexdigest()
        assert redis_sync.exists(keys.access_token(family, digest)) or redis_sync.exists(
            keys.refresh_token(family, digest)
        )
        assert not list(redis_sync.scan_iter(match=f"*{secret[:20]}*"))
    # No stored value holds either token either.
    for key in redis_sync.scan_iter(match="*Token:*"):
        value = str(redis_sync.dump(key))
        assert access not in value
        assert refresh not in value
