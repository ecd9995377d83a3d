"""Conversations.

TODO(issue 4, the CRM issue): list, filters, detail, messages and comments. Until then the list
answers an empty page to an authenticated caller, so that the product README's
`GET /api/v1/conversations` works as written.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from alfred_crm_core import Page
from alfred_reference_api.deps import PrincipalDep
from alfred_reference_api.errors import problems

router = APIRouter(prefix="/conversations", tags=["conversations"])


@router.get("", summary="List conversations", responses=problems(401))
async def list_conversations(principal: PrincipalDep) -> Page[dict[str, Any]]:
    """The caller's tenant's conversations, newest first (empty until issue 4)."""
    return Page[dict[str, Any]](items=[], next_cursor=None)
