"""Routes only the gateway calls (never reachable through it)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from tracking_system.common.errors import NotAuthenticated, envelope
from tracking_system.users import tokens
from tracking_system.users.deps import AuthorizationDep, RedisDep

router = APIRouter(prefix="/internal", include_in_schema=False)


@router.get("/auth/verify")
async def verify(redis: RedisDep, authorization: AuthorizationDep) -> dict[str, Any]:
    """The account of a live access token, or 401."""
    token = tokens.bearer_token(authorization)
    grant = await tokens.verify_access(redis, token) if token else None
    if grant is None:
        raise NotAuthenticated("Invalid or expired token")
    return envelope({"accountId": grant.account_id})
