"""Leads of the caller's tenant."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Response

from alfred_crm_core import Page
from alfred_crm_core.lead.models import LeadStage
from alfred_crm_core.lead.schemas import LeadCreate, LeadFilter, LeadRead, LeadUpdate
from alfred_crm_core.lead.service import LeadService
from alfred_reference_api.api.v1._params import Cursor, Limit
from alfred_reference_api.deps import UowDep
from alfred_reference_api.errors import problems

router = APIRouter(prefix="/leads", tags=["leads"])


@router.get("", summary="List leads", responses=problems(401, 422))
async def list_leads(
    uow: UowDep,
    stage: LeadStage | None = None,
    contact_id: uuid.UUID | None = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> Page[LeadRead]:
    """Leads, newest first."""
    items, next_cursor = await LeadService(uow).list_page(
        LeadFilter(stage=stage, contact_id=contact_id), limit=limit, cursor=cursor
    )
    return Page[LeadRead](
        items=[LeadRead.model_validate(x) for x in items], next_cursor=next_cursor
    )


@router.post("", status_code=201, summary="Create a lead", responses=problems(401, 422))
async def create_lead(data: LeadCreate, uow: UowDep) -> LeadRead:
    """Open a lead for a contact; `value` is a decimal string and needs an ISO `currency`."""
    return LeadRead.model_validate(await LeadService(uow).create(data))


@router.get("/{lead_id}", summary="Get a lead", responses=problems(401, 404, 422))
async def get_lead(lead_id: uuid.UUID, uow: UowDep) -> LeadRead:
    """One lead."""
    return LeadRead.model_validate(await LeadService(uow).get(lead_id))


@router.patch("/{lead_id}", summary="Update a lead", responses=problems(401, 404, 422))
async def update_lead(lead_id: uuid.UUID, data: LeadUpdate, uow: UowDep) -> LeadRead:
    """Change the fields sent; a stage change counts as activity (`lead.stage_changed`)."""
    return LeadRead.model_validate(await LeadService(uow).update(lead_id, data))


@router.delete(
    "/{lead_id}", status_code=204, summary="Delete a lead", responses=problems(401, 404, 422)
)
async def delete_lead(lead_id: uuid.UUID, uow: UowDep) -> Response:
    """Delete a lead."""
    await LeadService(uow).delete(lead_id)
    return Response(status_code=204)
