"""The `leads` table."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from sqlalchemy import CHAR, ForeignKey, Index, Numeric, String, Text, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from alfred_crm_core._db.base import Base, TenantMixin, TimestampMixin, pg_enum
from alfred_crm_core.clock import utcnow

__all__ = ["CLOSED_STAGES", "Lead", "LeadStage"]


class LeadStage(StrEnum):
    """The pipeline."""

    NEW = "new"
    QUALIFIED = "qualified"
    PROPOSAL = "proposal"
    NEGOTIATION = "negotiation"
    WON = "won"
    LOST = "lost"


CLOSED_STAGES = (LeadStage.WON, LeadStage.LOST)
"""Closed leads never stall."""


class Lead(TenantMixin, TimestampMixin, Base):
    """A contact's potential deal. Stalled = open stage and no activity for a while."""

    __tablename__ = "leads"
    __table_args__ = (
        Index("ix_leads_tenant_created", "tenant_id", text("created_at DESC"), text("id DESC")),
        Index("ix_leads_tenant_contact", "tenant_id", "contact_id"),
        Index(
            "ix_leads_open_activity",
            "tenant_id",
            "last_activity_at",
            postgresql_where=text("stage NOT IN ('won', 'lost')"),
        ),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    contact_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("contacts.id", ondelete="CASCADE"))
    title: Mapped[str | None] = mapped_column(String(300))
    stage: Mapped[LeadStage] = mapped_column(
        pg_enum(LeadStage, "lead_stage"),
        default=LeadStage.NEW,
    )
    value: Mapped[Decimal | None] = mapped_column(Numeric(14, 2))
    currency: Mapped[str | None] = mapped_column(CHAR(3))
    owner_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    last_activity_at: Mapped[datetime] = mapped_column(default=utcnow, server_default=text("now()"))
    price_guidance: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    won_at: Mapped[datetime | None]
    lost_reason: Mapped[str | None] = mapped_column(Text)
    # The last_activity_at last notified as stalled: new activity re-arms the alert.
    stalled_notified_for: Mapped[datetime | None]
