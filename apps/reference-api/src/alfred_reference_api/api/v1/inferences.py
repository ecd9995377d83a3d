"""On-demand inferences about a contact, made only under an active consent."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Body

from alfred_crm_core import Page
from alfred_crm_core.consent.schemas import IncomeInferenceRequest, InferenceRead
from alfred_reference_api.api.v1._params import Cursor, Limit
from alfred_reference_api.deps import InferencesDep
from alfred_reference_api.errors import problems

router = APIRouter(prefix="/contacts/{contact_id}/inferences", tags=["inferences"])

_CONSENT_409 = {
    **problems(409)[409],
    "description": "`consent_required`: no active consent for financial inference (none, "
    "revoked, or given to an older purpose text); the provider was not called.",
}


@router.post(
    "/income",
    summary="Infer income signals for a contact",
    responses={**problems(401, 404, 422), 409: _CONSENT_409},
)
async def infer_income(
    contact_id: uuid.UUID,
    inferences: InferencesDep,
    data: Annotated[IncomeInferenceRequest | None, Body()] = None,
) -> InferenceRead:
    """Run the income-aware provider on a message of the contact and store the result.

    The message is `body` when sent, else the contact's latest inbound message (422 when it has
    none). The provider sees only the allowlisted attributes (`company_size`, `employee_count`,
    `annual_revenue`, `income_band`): never biometric or location data. Revoking the consent
    deletes every stored inference.
    """
    inference = await inferences.infer_income(contact_id, data or IncomeInferenceRequest())
    return InferenceRead.model_validate(inference)


@router.get("", summary="A contact's stored inferences", responses=problems(401, 404, 422))
async def list_inferences(
    contact_id: uuid.UUID, inferences: InferencesDep, limit: Limit = 50, cursor: Cursor = None
) -> Page[InferenceRead]:
    """Stored inferences, newest first (empty after a revocation)."""
    items, next_cursor = await inferences.list_page(contact_id, limit=limit, cursor=cursor)
    return Page[InferenceRead](
        items=[InferenceRead.model_validate(i) for i in items], next_cursor=next_cursor
    )
