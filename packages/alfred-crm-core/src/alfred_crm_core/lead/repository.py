"""Data access for leads."""

from __future__ import annotations

import uuid

from alfred_crm_core._db.repository import Repository
from alfred_crm_core.lead.models import Lead
from alfred_crm_core.lead.schemas import LeadFilter
from alfred_crm_core.pagination import page_of, paginate

__all__ = ["LeadRepository"]


class LeadRepository(Repository[Lead]):
    """Leads of one tenant."""

    model = Lead
    entity = "lead"

    async def list_page(
        self, filters: LeadFilter, *, limit: int, cursor: str | None
    ) -> tuple[list[Lead], str | None]:
        """A page of leads, newest first."""
        query = self._scoped()
        if filters.stage is not None:
            query = query.where(Lead.stage == filters.stage)
        if filters.contact_id is not None:
            query = query.where(Lead.contact_id == filters.contact_id)
        query = paginate(query, Lead.created_at, Lead.id, limit=limit, cursor=cursor)
        rows = (await self.session.execute(query)).scalars().all()
        return page_of(rows, limit)

    async def of_contact(self, contact_id: uuid.UUID) -> list[Lead]:
        """Every lead of the contact, in any stage."""
        query = self._scoped().where(Lead.contact_id == contact_id)
        return list((await self.session.execute(query)).scalars().all())
