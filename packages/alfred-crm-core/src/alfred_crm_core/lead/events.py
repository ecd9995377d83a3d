"""Events the lead domain emits."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from decimal import Decimal
from typing import ClassVar

from alfred_crm_core.events import DomainEvent

__all__ = ["LeadCreated", "LeadDeleted", "LeadStageChanged", "LeadUpdated"]


@dataclass(frozen=True, kw_only=True)
class LeadCreated(DomainEvent):
    """A lead was opened."""

    name: ClassVar[str] = "lead.created"
    lead_id: uuid.UUID
    contact_id: uuid.UUID
    stage: str
    value: Decimal | None
    currency: str | None


@dataclass(frozen=True, kw_only=True)
class LeadStageChanged(DomainEvent):
    """A lead moved to another stage."""

    name: ClassVar[str] = "lead.stage_changed"
    lead_id: uuid.UUID
    contact_id: uuid.UUID
    previous_stage: str
    stage: str
    lost_reason: str | None = None


@dataclass(frozen=True, kw_only=True)
class LeadUpdated(DomainEvent):
    """Fields of a lead other than its stage changed."""

    name: ClassVar[str] = "lead.updated"
    lead_id: uuid.UUID
    changes: dict[str, object] = field(default_factory=dict)


@dataclass(frozen=True, kw_only=True)
class LeadDeleted(DomainEvent):
    """A lead was deleted."""

    name: ClassVar[str] = "lead.deleted"
    lead_id: uuid.UUID
