"""POST /api/v1/auth/{register,login,refresh,logout}."""

from __future__ import annotations

import hashlib
from typing import Any

from fastapi import APIRouter, status

from tracking_system.common import ratelimit
from tracking_system.common.errors import NotAuthenticated, RateLimited, envelope
from tracking_system.users import accounts, tokens
from tracking_system.users.deps import (
    AuthorizationDep,
    ClientIp,
    HashingDep,
    RedisDep,
    SettingsDep,
    TtlDep,
)
from tracking_system.users.schemas import (
    LoginRequest,
    LogoutRequest,
    RefreshRequest,
    RegisterRequest,
    SessionOut,
)

router = APIRouter(prefix="/api/v1/auth", tags=["accounts"])


async def _session(
    redis: RedisDep, doc: dict[str, Any], issued: tokens.IssuedTokens
) -> dict[str, Any]:
    return envelope(
        SessionOut(
            user=await accounts.public_account(redis, doc),
            accessToken=issued.access_token,
            refreshToken=issued.refresh_token,
            expiresOn=issued.expires_on.isoformat(timespec="seconds").replace("+00:00", "Z"),
        ).model_dump()
    )


@router.post("/register", status_code=status.HTTP_201_CREATED)
async def register(
    body: RegisterRequest,
    redis: RedisDep,
    hashing: HashingDep,
    settings: SettingsDep,
    ttl: TtlDep,
    ip: ClientIp,
) -> dict[str, Any]:
    """Create an account and sign it in."""
    limit = ratelimit.Limit(
        "register-ip", settings.registrations_per_ip, settings.registration_window_seconds
    )
    verdict = await ratelimit.hit(redis, limit, ip)
    if not verdict.allowed:
        raise RateLimited(
            "Too many registrations; try again later", retry_after=verdict.retry_after
        )
    doc = await accounts.register(redis, body=body, hashing=hashing)
    issued = await tokens.issue(redis, account_id=doc["id"], ttl=ttl)
    return await _session(redis, doc, issued)


@router.post("/login")
async def login(
    body: LoginRequest,
    redis: RedisDep,
    hashing: HashingDep,
    settings: SettingsDep,
    ttl: TtlDep,
    ip: ClientIp,
) -> dict[str, Any]:
    """Sign in; unknown email and wrong password fail alike, and failures are rate limited."""
    # Keyed by a hash so the counter's key never shows the email.
    account_subject = hashlib.sha256(body.email.strip().lower().encode()).hexdigest()[:32]
    limits = (
        (ratelimit.Limit("login-account", settings.login_failures_per_account,
                         settings.login_account_window_seconds), account_subject),
        (ratelimit.Limit("login-ip", settings.login_failures_per_ip,
                         settings.login_ip_window_seconds), ip),
    )  # fmt: skip
    for limit, subject in limits:
        verdict = await ratelimit.peek(redis, limit, subject)
        if not verdict.allowed:
            raise RateLimited("Too many failed sign-ins; try again later",
                              retry_after=verdict.retry_after)  # fmt: skip
    try:
        doc = await accounts.authenticate(
            redis, email=body.email, password=body.password, hashing=hashing
        )
    except NotAuthenticated:
        for limit, subject in limits:
            await ratelimit.hit(redis, limit, subject)
        raise
    issued = await tokens.issue(redis, account_id=doc["id"], ttl=ttl)
    return await _session(redis, doc, issued)


@router.post("/refresh")
async def refresh(body: RefreshRequest, redis: RedisDep, ttl: TtlDep) -> dict[str, Any]:
    """Trade a refresh token for a new pair; the presented token is spent."""
    try:
        account_id, issued = await tokens.rotate(redis, refresh_token=body.refreshToken, ttl=ttl)
    except tokens.RefreshRejected as exc:
        raise NotAuthenticated("Invalid or expired refresh token") from exc
    doc = await accounts.load_user(redis, account_id)
    return await _session(redis, doc, issued)


@router.post("/logout")
async def logout(
    redis: RedisDep, authorization: AuthorizationDep, body: LogoutRequest | None = None
) -> dict[str, Any]:
    """End this session: its access token and refresh tokens stop working."""
    token = tokens.bearer_token(authorization)
    grant = await tokens.verify_access(redis, token) if token else None
    if grant is None:
        raise NotAuthenticated("Invalid or expired token")
    await tokens.revoke_family(redis, account_id=grant.account_id, family_id=grant.family_id)
    if body is not None and body.refreshToken:
        owner = await tokens.family_of_refresh(redis, body.refreshToken)
        if owner is not None and owner[0] == grant.account_id:
            await tokens.revoke_family(redis, account_id=owner[0], family_id=owner[1])
    return envelope({})
