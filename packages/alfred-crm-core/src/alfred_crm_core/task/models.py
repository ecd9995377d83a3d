"""The `tasks` table."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from alfred_crm_core._db.base import Base, TenantMixin, TimestampMixin, pg_enum

__all__ = ["CLOSED_STATUSES", "Priority", "Task", "TaskStatus"]


class TaskStatus(StrEnum):
    """Where a task stands."""

    TODO = "todo"
    IN_PROGRESS = "in_progress"
    DONE = "done"
    CANCELED = "canceled"


CLOSED_STATUSES = (TaskStatus.DONE, TaskStatus.CANCELED)
"""Closed tasks are never overdue."""


class Priority(StrEnum):
    """How soon something needs attention (shared by tasks and triage)."""

    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    URGENT = "urgent"


class Task(TenantMixin, TimestampMixin, Base):
    """A follow-up. Overdue = not done or canceled, and `due_at` has passed."""

    __tablename__ = "tasks"
    __table_args__ = (
        Index("ix_tasks_tenant_created", "tenant_id", text("created_at DESC"), text("id DESC")),
        Index(
            "ix_tasks_open_due",
            "tenant_id",
            "due_at",
            postgresql_where=text("status IN ('todo', 'in_progress')"),
        ),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    title: Mapped[str] = mapped_column(String(300))
    description: Mapped[str | None] = mapped_column(Text)
    due_at: Mapped[datetime | None]
    priority: Mapped[Priority] = mapped_column(
        pg_enum(Priority, "priority"),
        default=Priority.MEDIUM,
    )
    status: Mapped[TaskStatus] = mapped_column(
        pg_enum(TaskStatus, "task_status"),
        default=TaskStatus.TODO,
    )
    contact_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("contacts.id", ondelete="SET NULL")
    )
    conversation_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("conversations.id", ondelete="SET NULL")
    )
    lead_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("leads.id", ondelete="SET NULL"))
    assignee_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    created_by: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    closed_at: Mapped[datetime | None]
    # The due_at last notified as overdue: a different due_at re-arms the alert.
    overdue_notified_for: Mapped[datetime | None]
