"""Contacts of the caller's tenant."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Response

from alfred_crm_core import Page
from alfred_crm_core.contact.schemas import ContactCreate, ContactRead, ContactUpdate
from alfred_crm_core.contact.service import ContactService
from alfred_reference_api.api.v1._params import Cursor, Limit
from alfred_reference_api.deps import UowDep
from alfred_reference_api.errors import problems

router = APIRouter(prefix="/contacts", tags=["contacts"])


@router.get("", summary="List and search contacts", responses=problems(401, 422))
async def list_contacts(
    uow: UowDep,
    q: Annotated[
        str | None, Query(max_length=200, description="Matches name, e-mail or phone.")
    ] = None,
    tag: Annotated[
        str | None, Query(max_length=50, description="Only contacts with this tag.")
    ] = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> Page[ContactRead]:
    """Contacts, newest first."""
    items, next_cursor = await ContactService(uow).list_page(
        q=q, tag=tag, limit=limit, cursor=cursor
    )
    return Page[ContactRead](
        items=[ContactRead.model_validate(c) for c in items], next_cursor=next_cursor
    )


@router.post("", status_code=201, summary="Create a contact", responses=problems(401, 409, 422))
async def create_contact(data: ContactCreate, uow: UowDep) -> ContactRead:
    """Create a contact; e-mail and phone are normalised and unique per tenant.

    E-mail is lower-cased; phone becomes E.164 (Brazil assumed without a country code). A clash
    with another contact of the tenant is a 409.
    """
    return ContactRead.model_validate(await ContactService(uow).create(data))


@router.get("/{contact_id}", summary="Get a contact", responses=problems(401, 404, 422))
async def get_contact(contact_id: uuid.UUID, uow: UowDep) -> ContactRead:
    """One contact."""
    return ContactRead.model_validate(await ContactService(uow).get(contact_id))


@router.patch("/{contact_id}", summary="Update a contact", responses=problems(401, 404, 409, 422))
async def update_contact(contact_id: uuid.UUID, data: ContactUpdate, uow: UowDep) -> ContactRead:
    """Change the fields sent; `attributes` merges (a key set to null is removed)."""
    return ContactRead.model_validate(await ContactService(uow).update(contact_id, data))


@router.delete(
    "/{contact_id}", status_code=204, summary="Delete a contact", responses=problems(401, 404, 422)
)
async def delete_contact(contact_id: uuid.UUID, uow: UowDep) -> Response:
    """Delete a contact with its conversations, messages and leads; its tasks stay, unlinked."""
    await ContactService(uow).delete(contact_id)
    return Response(status_code=204)
