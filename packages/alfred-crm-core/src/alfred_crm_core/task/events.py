"""Events the task domain emits."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import ClassVar

from alfred_crm_core.events import DomainEvent

__all__ = ["TaskCompleted", "TaskCreated", "TaskDeleted", "TaskUpdated"]


@dataclass(frozen=True, kw_only=True)
class TaskCreated(DomainEvent):
    """A task was created."""

    name: ClassVar[str] = "task.created"
    task_id: uuid.UUID
    title: str
    status: str
    priority: str
    due_at: datetime | None
    assignee_id: uuid.UUID | None
    contact_id: uuid.UUID | None
    conversation_id: uuid.UUID | None
    lead_id: uuid.UUID | None


@dataclass(frozen=True, kw_only=True)
class TaskUpdated(DomainEvent):
    """Fields of a task changed; `changes` maps each field to its new value."""

    name: ClassVar[str] = "task.updated"
    task_id: uuid.UUID
    changes: dict[str, object] = field(default_factory=dict)


@dataclass(frozen=True, kw_only=True)
class TaskCompleted(DomainEvent):
    """A task moved to `done`."""

    name: ClassVar[str] = "task.completed"
    task_id: uuid.UUID
    closed_at: datetime


@dataclass(frozen=True, kw_only=True)
class TaskDeleted(DomainEvent):
    """A task was deleted."""

    name: ClassVar[str] = "task.deleted"
    task_id: uuid.UUID
