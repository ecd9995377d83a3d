"""The notifications table: alerts for one user in one tenant."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, ForeignKeyConstraint, Index, String, Text, func, text
from sqlalchemy.orm import Mapped, mapped_column

from alfred_crm_core._db import Base, TenantMixin, uuid_pk

__all__ = ["NIL_UUID", "Notification", "NotificationType"]

NIL_UUID = uuid.UUID(int=0)
"""Stands for a null `entity_id` in the uniqueness of unread alerts (NULLs are distinct)."""


class NotificationType(StrEnum):
    """The notification types core knows; other packages may use their own strings."""

    ONBOARDING = "onboarding"
    TASK_OVERDUE = "task_overdue"
    LEAD_STALLED = "lead_stalled"
    AUTOMATION_DELIVERY_FAILED = "automation_delivery_failed"


class Notification(TenantMixin, Base):
    """An alert for a user about an entity (or the system).

    Repeats of an unread alert for the same (user, type, entity) collapse into one row whose
    `count` grows; once read, the next repeat starts a new row.
    """

    __tablename__ = "notifications"
    __table_args__ = (
        ForeignKeyConstraint(["tenant_id"], ["tenants.id"], ondelete="CASCADE"),
        Index("ix_notifications_feed", "tenant_id", "user_id", "created_at", "id"),
        Index(
            "uq_notifications_unread_key",
            "tenant_id",
            "user_id",
            "type",
            "entity_type",
            func.coalesce(text("entity_id"), text(f"'{NIL_UUID}'::uuid")),
            unique=True,
            postgresql_where=text("read_at IS NULL"),
        ),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    type: Mapped[str] = mapped_column(String(64))
    entity_type: Mapped[str] = mapped_column(String(64))
    entity_id: Mapped[uuid.UUID | None]
    title: Mapped[str] = mapped_column(String(200))
    message: Mapped[str] = mapped_column(Text)
    count: Mapped[int] = mapped_column(default=1, server_default=text("1"))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    read_at: Mapped[datetime | None]
