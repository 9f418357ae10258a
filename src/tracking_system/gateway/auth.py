"""Authenticating dashboard requests through the user service, with a cache shorter than a second
so that a revoked token stops working everywhere within one."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping

import aiohttp
import orjson

from tracking_system.common.errors import NotAuthenticated, ServiceUnavailable
from tracking_system.common.ttlcache import TtlCache

VERIFY_PATH = "/internal/auth/verify"
_MAX_ENTRIES = 10_000


class Authenticator:
    """Resolves `Authorization: Bearer` to an account id, asking the user service."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        *,
        users_url: str,
        internal_headers: Mapping[str, str],
        cache_seconds: float,
    ) -> None:
        self._session = session
        self._url = users_url + VERIFY_PATH
        self._headers = dict(internal_headers)
        self._cache: TtlCache[bytes, str] = TtlCache(ttl=cache_seconds, max_entries=_MAX_ENTRIES)

    async def account_id(self, authorization: str | None) -> str:
        """The signed-in account, or NotAuthenticated."""
        if not authorization or not authorization.lower().startswith("bearer "):
            raise NotAuthenticated("Sign in to continue: missing bearer token")
        key = hashlib.sha256(authorization.encode()).digest()
        fresh, cached = self._cache.get(key)
        if fresh and cached is not None:
            return cached
        account = await self._verify(authorization)
        self._cache.put(key, account)
        return account

    async def still_valid(self, authorization: str | None) -> bool:
        """True while the token is accepted (used to end long-lived streams)."""
        try:
            await self.account_id(authorization)
        except NotAuthenticated:
            return False
        return True

    async def _verify(self, authorization: str) -> str:
        headers = {**self._headers, "authorization": authorization}
        try:
            async with self._session.get(self._url, headers=headers) as resp:
                body = await resp.read()
                status = resp.status
        except aiohttp.ClientError as exc:
            raise ServiceUnavailable("The user service is unreachable", retry_after=2) from exc
        if status == 200:
            return str(orjson.loads(body)["data"]["accountId"])
        if status in (401, 403):
            raise NotAuthenticated("Invalid or expired token")
        raise ServiceUnavailable("The user service could not verify the token", retry_after=2)
