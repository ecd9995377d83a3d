"""Notification schemas."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["NotificationRead"]


class NotificationRead(BaseModel):
    """A notification as the API shows it."""

    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    type: str = Field(description="`onboarding`, `task_overdue`, `lead_stalled`, ...")
    entity_type: str = Field(description="What it is about: `system`, `task`, `lead`, ...")
    entity_id: uuid.UUID | None
    title: str
    message: str
    count: int = Field(description="How many times this alert fired since it was last read.")
    created_at: datetime
    updated_at: datetime = Field(description="When it last fired.")
    read_at: datetime | None
