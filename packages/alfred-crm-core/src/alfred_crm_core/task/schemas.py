"""Task schemas."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from pydantic import AwareDatetime, BaseModel, ConfigDict, StringConstraints

from alfred_crm_core.task.models import Priority, TaskStatus

__all__ = ["TaskCreate", "TaskFilter", "TaskRead", "TaskUpdate"]

Title = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=300)]
Description = Annotated[str, StringConstraints(max_length=20000)]


class TaskCreate(BaseModel):
    """A new task; links must point at rows of the same tenant."""

    model_config = ConfigDict(extra="ignore")

    title: Title
    description: Description | None = None
    due_at: AwareDatetime | None = None  # with a zone: naive times are ambiguous
    priority: Priority = Priority.MEDIUM
    status: TaskStatus = TaskStatus.TODO
    contact_id: uuid.UUID | None = None
    conversation_id: uuid.UUID | None = None
    lead_id: uuid.UUID | None = None
    assignee_id: uuid.UUID | None = None


class TaskUpdate(BaseModel):
    """Fields to change; absent fields stay, `null` clears optional ones."""

    model_config = ConfigDict(extra="ignore")

    title: Title | None = None
    description: Description | None = None
    due_at: AwareDatetime | None = None
    priority: Priority | None = None
    status: TaskStatus | None = None
    contact_id: uuid.UUID | None = None
    conversation_id: uuid.UUID | None = None
    lead_id: uuid.UUID | None = None
    assignee_id: uuid.UUID | None = None


class TaskRead(BaseModel):
    """A task as the API shows it; `overdue` is computed at read time."""

    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    title: str
    description: str | None
    due_at: datetime | None
    priority: Priority
    status: TaskStatus
    contact_id: uuid.UUID | None
    conversation_id: uuid.UUID | None
    lead_id: uuid.UUID | None
    assignee_id: uuid.UUID | None
    created_by: uuid.UUID | None
    closed_at: datetime | None
    overdue: bool = False
    created_at: datetime
    updated_at: datetime


class TaskFilter(BaseModel):
    """List filters."""

    status: TaskStatus | None = None
    overdue: bool | None = None
    due_before: datetime | None = None
    assignee_id: uuid.UUID | None = None
    contact_id: uuid.UUID | None = None
