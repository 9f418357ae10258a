"""GET/PATCH /api/v1/users/me and POST /api/v1/users/me/api-key."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from tracking_system.common.errors import envelope
from tracking_system.common.responses import Envelope
from tracking_system.users import accounts, tokens
from tracking_system.users.deps import AuthorizationDep, CurrentAccount, HashingDep, RedisDep
from tracking_system.users.schemas import ApiKeyOut, UpdateMeRequest, UserOut

router = APIRouter(prefix="/api/v1/users", tags=["accounts"])


@router.get("/me", response_model=Envelope[UserOut])
async def read_me(account_id: CurrentAccount, redis: RedisDep) -> dict[str, Any]:
    """The signed-in account."""
    doc = await accounts.load_user(redis, account_id)
    return envelope((await accounts.public_account(redis, doc)).model_dump())


@router.patch("/me", response_model=Envelope[UserOut])
async def update_me(
    body: UpdateMeRequest,
    account_id: CurrentAccount,
    redis: RedisDep,
    hashing: HashingDep,
    authorization: AuthorizationDep,
) -> dict[str, Any]:
    """Change name, timezone, allowed origins and/or the password (which ends other sessions)."""
    if body.changes_password or body.currentPassword is not None:
        await accounts.change_password(redis, account_id=account_id, body=body, hashing=hashing)
        token = tokens.bearer_token(authorization)
        grant = await tokens.verify_access(redis, token) if token else None
        await tokens.revoke_other_families(
            redis, account_id=account_id, keep=grant.family_id if grant else None
        )
    doc = await accounts.update_profile(redis, account_id=account_id, body=body)
    return envelope((await accounts.public_account(redis, doc)).model_dump())


@router.post("/me/api-key", response_model=Envelope[ApiKeyOut])
async def rotate_api_key(account_id: CurrentAccount, redis: RedisDep) -> dict[str, Any]:
    """Issue a new API key; the old one is refused from now on."""
    new_key = await accounts.rotate_api_key(redis, account_id=account_id)
    return envelope(ApiKeyOut(apiKey=new_key).model_dump())
