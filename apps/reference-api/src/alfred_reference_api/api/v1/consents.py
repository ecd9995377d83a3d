"""Consent records of a contact: grant, revoke, history. Rules: `docs/ai-providers.md`."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Query, Response

from alfred_crm_core.consent.models import ConsentPurpose
from alfred_crm_core.consent.schemas import ConsentGrant, ConsentHistory, ConsentRead
from alfred_reference_api.deps import ConsentsDep
from alfred_reference_api.errors import problems

router = APIRouter(prefix="/contacts/{contact_id}/consents", tags=["consents"])


def _with_422(description: str) -> dict[int | str, dict[str, Any]]:
    responses = problems(401, 404, 422)
    responses[422] = {**responses[422], "description": description}
    return responses


@router.get("", summary="A contact's consent history", responses=problems(401, 404, 422))
async def consent_history(contact_id: uuid.UUID, consents: ConsentsDep) -> ConsentHistory:
    """Every grant and revocation of the contact, newest first (the history is append-only).

    `active` marks the record that makes a purpose's consent active now: the latest record of
    the purpose, a grant, of the version in `current_purpose_text_versions`.
    """
    return await consents.history(contact_id)


@router.put(
    "/{purpose}",
    status_code=201,
    summary="Record a contact's consent",
    responses=_with_422(
        "Invalid input, or `purpose_text_version` is not the current version (nothing recorded)."
    ),
)
async def grant_consent(
    contact_id: uuid.UUID, purpose: ConsentPurpose, data: ConsentGrant, consents: ConsentsDep
) -> ConsentRead:
    """Append a grant: who recorded it (the caller), when, which text version, where (`source`).

    The version must be the current one; consent to an older text is refused with 422. Each
    call appends a record (201), also when the consent was already active.
    """
    return await consents.grant(contact_id, purpose, data)


@router.delete(
    "/{purpose}",
    status_code=204,
    response_class=Response,
    summary="Revoke a contact's consent",
    responses=problems(401, 404, 422),
)
async def revoke_consent(
    contact_id: uuid.UUID,
    purpose: ConsentPurpose,
    consents: ConsentsDep,
    source: Annotated[
        str,
        Query(min_length=1, max_length=100, description="Where the revocation was captured."),
    ] = "api",
) -> None:
    """Revoke at once: no income signal is read for the contact from this request on.

    A revocation is recorded when the latest record is a grant. Every call (204 each time)
    also deletes the contact's stored inferences and triages again, without income signals,
    the messages whose triage used them.
    """
    await consents.revoke(contact_id, purpose, source)
