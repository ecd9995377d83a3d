"""Data access for consent records and inferences."""

from __future__ import annotations

import uuid

from sqlalchemy import delete

from alfred_crm_core._db.repository import Repository
from alfred_crm_core.consent.models import ConsentPurpose, ConsentRecord, Inference
from alfred_crm_core.pagination import page_of, paginate

__all__ = ["ConsentRepository", "InferenceRepository"]


class ConsentRepository(Repository[ConsentRecord]):
    """Consent records of one tenant (insert and read only: the table is append-only)."""

    model = ConsentRecord
    entity = "consent"

    async def latest(self, contact_id: uuid.UUID, purpose: ConsentPurpose) -> ConsentRecord | None:
        """The contact's latest record for `purpose`, or None."""
        query = (
            self._scoped()
            .where(ConsentRecord.contact_id == contact_id, ConsentRecord.purpose == purpose)
            .order_by(ConsentRecord.seq.desc())
            .limit(1)
        )
        return (await self.session.execute(query)).scalar_one_or_none()

    async def history(self, contact_id: uuid.UUID) -> list[ConsentRecord]:
        """Every record of the contact, newest first."""
        query = (
            self._scoped()
            .where(ConsentRecord.contact_id == contact_id)
            .order_by(ConsentRecord.seq.desc())
        )
        return list((await self.session.execute(query)).scalars().all())


class InferenceRepository(Repository[Inference]):
    """Inferences of one tenant."""

    model = Inference
    entity = "inference"

    async def list_page(
        self, contact_id: uuid.UUID, *, limit: int, cursor: str | None
    ) -> tuple[list[Inference], str | None]:
        """A page of the contact's inferences, newest first."""
        query = self._scoped().where(Inference.contact_id == contact_id)
        query = paginate(query, Inference.created_at, Inference.id, limit=limit, cursor=cursor)
        rows = (await self.session.execute(query)).scalars().all()
        return page_of(rows, limit)

    async def delete_for(self, contact_id: uuid.UUID) -> int:
        """Delete every inference about the contact; returns how many there were."""
        result = await self.session.execute(
            delete(Inference)
            .where(self._in_tenant(), Inference.contact_id == contact_id)
            .returning(Inference.id)
        )
        return len(result.all())
