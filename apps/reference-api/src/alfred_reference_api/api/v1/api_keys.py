"""API keys for channel providers and automation tools. Details: `docs/api/api-keys.md`."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Response

from alfred_crm_core import Page
from alfred_crm_core.identity.api_keys import ApiKeyService
from alfred_crm_core.identity.schemas import ApiKeyCreate, ApiKeyRead, ApiKeySecret
from alfred_reference_api.api.v1._params import Cursor, Limit
from alfred_reference_api.deps import PrincipalDep, UowDep
from alfred_reference_api.errors import problems

router = APIRouter(prefix="/api-keys", tags=["api-keys"])


@router.post("", status_code=201, summary="Create an API key", responses=problems(401, 403, 422))
async def create_api_key(
    data: ApiKeyCreate, uow: UowDep, principal: PrincipalDep, response: Response
) -> ApiKeySecret:
    """Create a key and show it, this once: only its hash is kept.

    Send it as `Authorization: Bearer alf_...` wherever an access token goes. It acts as you,
    with the `agent` role. Owners and admins only (an API key cannot create keys).
    """
    response.headers["Cache-Control"] = "no-store"
    return await ApiKeyService(uow, principal.role).create(data)


@router.get("", summary="List API keys", responses=problems(401, 403, 422))
async def list_api_keys(
    uow: UowDep, principal: PrincipalDep, limit: Limit = 50, cursor: Cursor = None
) -> Page[ApiKeyRead]:
    """The workspace's keys, revoked ones too, newest first; never the keys themselves."""
    items, next_cursor = await ApiKeyService(uow, principal.role).list_page(
        limit=limit, cursor=cursor
    )
    return Page[ApiKeyRead](
        items=[ApiKeyRead.model_validate(k) for k in items], next_cursor=next_cursor
    )


@router.delete(
    "/{key_id}",
    status_code=204,
    response_class=Response,
    summary="Revoke an API key",
    responses=problems(401, 403, 404, 422),
)
async def revoke_api_key(key_id: uuid.UUID, uow: UowDep, principal: PrincipalDep) -> None:
    """Revoke at once: the next request with the key gets 401. Revoking again is a 204 too."""
    await ApiKeyService(uow, principal.role).revoke(key_id)
