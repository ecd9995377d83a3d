"""Lead use cases."""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from typing import Any

from alfred_crm_core._db.links import ensure_in_tenant
from alfred_crm_core.clock import utcnow
from alfred_crm_core.contact.models import Contact
from alfred_crm_core.conversation.service import ensure_member
from alfred_crm_core.errors import ValidationError
from alfred_crm_core.lead.events import LeadCreated, LeadDeleted, LeadStageChanged, LeadUpdated
from alfred_crm_core.lead.models import Lead, LeadStage
from alfred_crm_core.lead.repository import LeadRepository
from alfred_crm_core.lead.schemas import LeadCreate, LeadFilter, LeadUpdate
from alfred_crm_core.uow import UnitOfWork

__all__ = ["LeadService"]

# `record_inbound`'s statements; `stage NOT IN ('won', 'lost')` matches the partial index.
_TOUCH_OPEN_LEAD = """
UPDATE leads SET last_activity_at = $3, updated_at = $3,
                 price_guidance = COALESCE($4::jsonb, price_guidance)
WHERE tenant_id = $1 AND id = (
    SELECT id FROM leads
    WHERE tenant_id = $1 AND contact_id = $2 AND stage NOT IN ('won', 'lost')
    ORDER BY created_at DESC LIMIT 1
)
RETURNING id
"""
_OPEN_LEAD = """
INSERT INTO leads (id, tenant_id, contact_id, stage, title, price_guidance, last_activity_at,
                   created_at, updated_at)
VALUES ($1, $2, $3, 'new', 'Inbound interest', $4::jsonb, $5, $5, $5)
"""


def _check_money(value: object, currency: object) -> None:
    if value is not None and currency is None:
        raise ValidationError("currency", "currency: required with a value (ISO 4217, e.g. BRL)")


class LeadService:
    """Leads of the unit of work's tenant."""

    def __init__(self, uow: UnitOfWork) -> None:
        self.uow = uow
        self.leads = LeadRepository(uow)

    async def get(self, lead_id: uuid.UUID) -> Lead:
        """Return one lead.

        Raises:
            NotFoundError: No such lead in this tenant.
        """
        return await self.leads.get(lead_id)

    async def list_page(
        self, filters: LeadFilter, *, limit: int, cursor: str | None
    ) -> tuple[list[Lead], str | None]:
        """A page of leads and the next cursor."""
        return await self.leads.list_page(filters, limit=limit, cursor=cursor)

    async def create(self, data: LeadCreate) -> Lead:
        """Open a lead for a contact of this tenant.

        Raises:
            ValidationError: The contact is not in this tenant, the owner is not a member, or a
                value comes without a currency.
        """
        await ensure_in_tenant(self.uow, Contact, data.contact_id, "contact_id")
        if data.owner_id is not None:
            await ensure_member(self.uow, data.owner_id, "owner_id")
        _check_money(data.value, data.currency)
        now = utcnow()
        lead = self.leads.add(
            Lead(
                **data.model_dump(),
                last_activity_at=now,
                won_at=now if data.stage == LeadStage.WON else None,
            )
        )
        await self.uow.session.flush()
        await self.uow.emit(
            LeadCreated(
                tenant_id=self.uow.tenant_id,
                lead_id=lead.id,
                contact_id=lead.contact_id,
                stage=lead.stage.value,
                value=lead.value,
                currency=lead.currency,
            )
        )
        return lead

    async def update(self, lead_id: uuid.UUID, data: LeadUpdate) -> Lead:
        """Change the fields present in `data`; a stage change emits `lead.stage_changed`.

        Raises:
            NotFoundError: No such lead in this tenant.
            ValidationError: `stage` set to null, an owner who is not a member, or a value
                without a currency.
        """
        lead = await self.leads.get(lead_id, lock="update")
        sent = data.model_fields_set
        if "stage" in sent and data.stage is None:
            raise ValidationError("stage", "stage: may not be null")
        if "owner_id" in sent and data.owner_id is not None:
            await ensure_member(self.uow, data.owner_id, "owner_id")
        changes = {k: v for k, v in data.model_dump(include=sent).items() if getattr(lead, k) != v}
        _check_money(changes.get("value", lead.value), changes.get("currency", lead.currency))
        if not changes:
            return lead
        previous_stage = lead.stage
        for key, value in changes.items():
            setattr(lead, key, value)
        if "stage" in changes:
            lead.last_activity_at = utcnow()
            lead.won_at = utcnow() if lead.stage == LeadStage.WON else None
        await self.uow.session.flush()
        if "stage" in changes:
            await self.uow.emit(
                LeadStageChanged(
                    tenant_id=self.uow.tenant_id,
                    lead_id=lead.id,
                    contact_id=lead.contact_id,
                    previous_stage=previous_stage.value,
                    stage=lead.stage.value,
                    lost_reason=lead.lost_reason,
                )
            )
        others = {k: v for k, v in changes.items() if k != "stage"}
        if others:
            await self.uow.emit(
                LeadUpdated(tenant_id=self.uow.tenant_id, lead_id=lead.id, changes=others)
            )
        return lead

    async def touch(self, contact_id: uuid.UUID) -> Lead | None:
        """Record activity on the contact's newest open lead (an inbound message); None if none."""
        query = (
            self.leads._scoped()
            .where(Lead.contact_id == contact_id, Lead.stage.not_in(("won", "lost")))
            .order_by(Lead.created_at.desc())
            .limit(1)
        )
        lead = (await self.uow.session.execute(query)).scalar_one_or_none()
        if lead is not None:
            lead.last_activity_at = utcnow()
            await self.uow.session.flush()
        return lead

    async def record_inbound(
        self, contact_id: uuid.UUID, *, opens: bool, price_guidance: dict[str, Any] | None
    ) -> uuid.UUID | None:
        """An inbound message from the contact: touch their newest open lead, or open one.

        The newest open lead gets the activity (and `price_guidance`, when given). With no open
        lead, one is opened in stage `new` when `opens` is true (`lead.created` is emitted).
        Hand-written SQL on the unit of work's connection: ingestion's hot path.

        Returns:
            The lead's id, or None when there is no open lead and none was opened.
        """
        conn = await self.uow.connection()
        tenant, now = self.uow.tenant_id, utcnow()
        guidance = json.dumps(price_guidance) if price_guidance else None
        touched: uuid.UUID | None = await conn.fetchval(
            _TOUCH_OPEN_LEAD, tenant, contact_id, now, guidance
        )
        if touched is not None or not opens:
            return touched
        lead_id = uuid.uuid4()
        await conn.execute(_OPEN_LEAD, lead_id, tenant, contact_id, guidance, now)
        await self.uow.emit(
            LeadCreated(
                tenant_id=tenant,
                lead_id=lead_id,
                contact_id=contact_id,
                stage=LeadStage.NEW.value,
                value=None,
                currency=None,
            )
        )
        return lead_id

    async def replace_price_guidance(
        self,
        contact_id: uuid.UUID,
        replacements: Sequence[tuple[dict[str, Any] | None, dict[str, Any] | None]],
    ) -> int:
        """Swap guidance that came from replaced triages for their replacements' guidance.

        Args:
            contact_id: Whose leads to look at.
            replacements: (old, new) price guidance of each re-triaged message, oldest message
                first; a lead holding an `old` gets its `new` (the newest match wins).

        Returns:
            How many leads changed.
        """
        changed = 0
        for lead in await self.leads.of_contact(contact_id):
            if lead.price_guidance is None:
                continue
            matches = [new for old, new in replacements if old == lead.price_guidance]
            if matches:
                lead.price_guidance = matches[-1]
                changed += 1
        await self.uow.session.flush()
        return changed

    async def delete(self, lead_id: uuid.UUID) -> None:
        """Delete a lead.

        Raises:
            NotFoundError: No such lead in this tenant.
        """
        lead = await self.leads.get(lead_id, lock="update")  # one of concurrent deletes wins
        await self.leads.delete(lead)
        await self.uow.session.flush()
        await self.uow.emit(LeadDeleted(tenant_id=self.uow.tenant_id, lead_id=lead_id))
