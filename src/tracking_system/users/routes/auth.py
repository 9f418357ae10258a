"""POST /api/v1/auth/{register,login,refresh,logout}."""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import APIRouter, status

from tracking_system.common import ratelimit
from tracking_system.common.errors import NotAuthenticated, RateLimited, envelope
from tracking_system.common.responses import Envelope
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
from tracking_system.users.settings import UsersSettings

router = APIRouter(prefix="/api/v1/auth", tags=["accounts"])


def _registration_limits(settings: UsersSettings, *, email: str, ip: str) -> list[ratelimit.Check]:
    """Registrations per client address and per email (a taken email answers 409)."""
    return [
        (ratelimit.Limit("register-ip", settings.registrations_per_ip,
                         settings.registration_window_seconds), ip),
        (ratelimit.Limit("register-email", settings.registrations_per_email,
                         settings.registration_email_window_seconds),
         accounts.email_subject(email)),
    ]  # fmt: skip


def _pair_limit(settings: UsersSettings, *, subject: str, ip: str) -> ratelimit.Check:
    """Failed sign-ins to one email from one client address."""
    limit = ratelimit.Limit("login-account-ip", settings.login_failures_per_account_ip,
                            settings.login_account_ip_window_seconds)  # fmt: skip
    return limit, f"{subject}:{ip}"


def _address_limit(settings: UsersSettings, *, ip: str) -> ratelimit.Check:
    """Failed sign-ins from one client address, to any email."""
    limit = ratelimit.Limit("login-ip", settings.login_failures_per_ip,
                            settings.login_ip_window_seconds)  # fmt: skip
    return limit, ip


def _login_backoff(settings: UsersSettings) -> ratelimit.Backoff:
    """The delay of every sign-in to an email that recently failed, from any address."""
    return ratelimit.Backoff(
        scope="login-backoff",
        free=settings.login_backoff_free_failures,
        base_seconds=settings.login_backoff_base_seconds,
        max_seconds=settings.login_backoff_max_seconds,
        window_seconds=settings.login_backoff_window_seconds,
    )


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


@router.post("/register", status_code=status.HTTP_201_CREATED, response_model=Envelope[SessionOut])
async def register(
    body: RegisterRequest,
    redis: RedisDep,
    hashing: HashingDep,
    settings: SettingsDep,
    ttl: TtlDep,
    ip: ClientIp,
) -> dict[str, Any]:
    """Create an account and sign it in."""
    limits = _registration_limits(settings, email=body.email, ip=ip)
    verdict = await ratelimit.hit_all(redis, limits)
    if not verdict.allowed:
        raise RateLimited(
            "Too many registrations; try again later", retry_after=verdict.retry_after
        )
    doc = await accounts.register(redis, body=body, hashing=hashing)
    issued = await tokens.issue(redis, account_id=doc["id"], ttl=ttl)
    return await _session(redis, doc, issued)


@router.post("/login", response_model=Envelope[SessionOut])
async def login(
    body: LoginRequest,
    redis: RedisDep,
    hashing: HashingDep,
    settings: SettingsDep,
    ttl: TtlDep,
    ip: ClientIp,
) -> dict[str, Any]:
    """Sign in; unknown email and wrong password fail alike, and guessing is throttled."""
    # Failures are limited per (email, client address) pair and per client address, never per
    # email alone, so a stranger failing on purpose cannot lock the owner out; per email they
    # only make every attempt wait a little longer (capped), from any address.
    subject = accounts.email_subject(body.email)
    pair = _pair_limit(settings, subject=subject, ip=ip)
    address = _address_limit(settings, ip=ip)
    verdict = await ratelimit.hit_all(redis, [pair, address])
    if not verdict.allowed:
        raise RateLimited("Too many failed sign-ins; try again later",
                          retry_after=verdict.retry_after)  # fmt: skip
    # The delay comes before the password is checked, and alike for unknown emails: a delay on
    # failures alone would tell a client that stops waiting early that it guessed wrong.
    backoff = _login_backoff(settings)
    await asyncio.sleep(await ratelimit.back_off(redis, backoff, subject))
    doc = await accounts.authenticate(
        redis, email=body.email, password=body.password, hashing=hashing
    )
    # Only failures count. This address knows the password: its failures for this email are
    # forgotten; the address's own count and the email's delay just take this attempt back
    # (a success on an account of one's own must not wipe out guesses at others').
    await ratelimit.clear(redis, [pair])
    await ratelimit.refund(redis, [address, (backoff.limit, subject)])
    issued = await tokens.issue(redis, account_id=doc["id"], ttl=ttl)
    return await _session(redis, doc, issued)


@router.post("/refresh", response_model=Envelope[SessionOut])
async def refresh(body: RefreshRequest, redis: RedisDep, ttl: TtlDep) -> dict[str, Any]:
    """Trade a refresh token for a new pair; the presented token is spent."""
    try:
        account_id, issued = await tokens.rotate(redis, refresh_token=body.refreshToken, ttl=ttl)
    except tokens.RefreshRejected as exc:
        raise NotAuthenticated("Invalid or expired refresh token") from exc
    doc = await accounts.load_user(redis, account_id)
    return await _session(redis, doc, issued)


@router.post("/logout", response_model=Envelope[dict[str, str]])
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
