"""/api/v1/sites: list, create, read, update, rotate the key of, and delete the account's sites."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, status

from tracking_system.common.errors import envelope
from tracking_system.common.responses import Envelope
from tracking_system.users import sites
from tracking_system.users.deps import CurrentAccount, RedisDep
from tracking_system.users.schemas import ApiKeyOut, CreateSiteRequest, SiteOut, UpdateSiteRequest

router = APIRouter(prefix="/api/v1/sites", tags=["sites"])

SiteId = Annotated[str, Path(max_length=64, description="The site's id")]


@router.get("", summary="The account's sites, oldest first", response_model=Envelope[list[SiteOut]])
async def list_sites(account_id: CurrentAccount, redis: RedisDep) -> dict[str, Any]:
    """Every site of the account; the first is the one `user.apiKey` describes."""
    docs = await sites.list_sites(redis, account_id=account_id)
    return envelope([sites.public_site(doc).model_dump() for doc in docs])


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    summary="Add a site",
    response_model=Envelope[SiteOut],
)
async def create_site(
    body: CreateSiteRequest, account_id: CurrentAccount, redis: RedisDep
) -> dict[str, Any]:
    """A new site with its own API key; 409 when the domain belongs to another site."""
    doc = await sites.create_site(redis, account_id=account_id, body=body)
    return envelope(sites.public_site(doc).model_dump())


@router.get("/{site_id}", summary="One site", response_model=Envelope[SiteOut])
async def read_site(site_id: SiteId, account_id: CurrentAccount, redis: RedisDep) -> dict[str, Any]:
    """The site; 404 when it is not one of the account's."""
    doc = await sites.get_site(redis, account_id=account_id, site_id=site_id)
    return envelope(sites.public_site(doc).model_dump())


@router.patch(
    "/{site_id}",
    summary="Change a site's name, domain, zone or origins",
    response_model=Envelope[SiteOut],
)
async def update_site(
    site_id: SiteId, body: UpdateSiteRequest, account_id: CurrentAccount, redis: RedisDep
) -> dict[str, Any]:
    """Only the fields sent change; `domain: null` clears the domain."""
    doc = await sites.update_site(redis, account_id=account_id, site_id=site_id, body=body)
    return envelope(sites.public_site(doc).model_dump())


@router.post(
    "/{site_id}/api-key",
    summary="Issue a new API key for a site",
    response_model=Envelope[ApiKeyOut],
)
async def rotate_site_key(
    site_id: SiteId, account_id: CurrentAccount, redis: RedisDep
) -> dict[str, Any]:
    """The old key is refused from now on."""
    new_key = await sites.rotate_site_key(redis, account_id=account_id, site_id=site_id)
    return envelope(ApiKeyOut(apiKey=new_key).model_dump())


@router.delete(
    "/{site_id}",
    summary="Delete a site and all of its data",
    response_model=Envelope[dict[str, str]],
)
async def delete_site(
    site_id: SiteId, account_id: CurrentAccount, redis: RedisDep
) -> dict[str, Any]:
    """Its key stops working at once; its events and rollups are removed in the background.
    409 for the account's last site."""
    await sites.delete_site(redis, account_id=account_id, site_id=site_id)
    return envelope({})
