"""Events the alert jobs emit (each with a `source_event_id` that makes publishing idempotent)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import ClassVar

from alfred_crm_core.events import DomainEvent

__all__ = ["LeadStalled", "TaskOverdue"]


@dataclass(frozen=True, kw_only=True)
class TaskOverdue(DomainEvent):
    """An open task passed its due time (once per crossing of that due time)."""

    name: ClassVar[str] = "task.overdue"
    task_id: uuid.UUID
    title: str
    due_at: datetime
    assignee_id: uuid.UUID | None


@dataclass(frozen=True, kw_only=True)
class LeadStalled(DomainEvent):
    """An open lead had no activity for the configured time (once per quiet spell)."""

    name: ClassVar[str] = "lead.stalled"
    lead_id: uuid.UUID
    contact_id: uuid.UUID
    stage: str
    last_activity_at: datetime
