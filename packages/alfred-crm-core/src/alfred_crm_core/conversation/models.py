"""The `conversations`, `messages` and `conversation_comments` tables."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from alfred_crm_core._db.base import Base, TenantMixin, TimestampMixin, pg_enum
from alfred_crm_core.clock import utcnow

__all__ = [
    "ACTIVE_STATUSES",
    "Channel",
    "Comment",
    "Conversation",
    "ConversationStatus",
    "Direction",
    "Message",
]


class Channel(StrEnum):
    """Where a conversation happens."""

    EMAIL = "email"
    WHATSAPP = "whatsapp"
    SMS = "sms"
    WEBCHAT = "webchat"


class ConversationStatus(StrEnum):
    """Where a conversation stands; `snoozed` comes with `snoozed_until`."""

    OPEN = "open"
    PENDING = "pending"
    RESOLVED = "resolved"
    SNOOZED = "snoozed"


ACTIVE_STATUSES = (ConversationStatus.OPEN, ConversationStatus.PENDING, ConversationStatus.SNOOZED)
"""A contact has at most one active (not resolved) conversation per channel."""


class Direction(StrEnum):
    """Who sent a message."""

    INBOUND = "inbound"
    OUTBOUND = "outbound"


class Conversation(TenantMixin, TimestampMixin, Base):
    """A thread with one contact on one channel."""

    __tablename__ = "conversations"
    __table_args__ = (
        # One active conversation per contact and channel: race-free find-or-create for ingestion.
        Index(
            "uq_conversations_active",
            "tenant_id",
            "contact_id",
            "channel",
            unique=True,
            postgresql_where=text("status <> 'resolved'"),
        ),
        Index(
            "ix_conversations_tenant_activity",
            "tenant_id",
            text("last_activity_at DESC"),
            text("id DESC"),
        ),
        Index("ix_conversations_tenant_contact", "tenant_id", "contact_id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    contact_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("contacts.id", ondelete="CASCADE"))
    channel: Mapped[Channel] = mapped_column(pg_enum(Channel, "channel"))
    status: Mapped[ConversationStatus] = mapped_column(
        pg_enum(ConversationStatus, "conversation_status"), default=ConversationStatus.OPEN
    )
    snoozed_until: Mapped[datetime | None]
    assignee_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    subject: Mapped[str | None] = mapped_column(String(300))
    last_message_at: Mapped[datetime | None]
    # Sort key of the list: the last message, or the creation time before any message.
    last_activity_at: Mapped[datetime] = mapped_column(default=utcnow, server_default=text("now()"))
    latest_intent: Mapped[str | None] = mapped_column(String(32))
    latest_priority: Mapped[str | None] = mapped_column(String(16))
    latest_sentiment: Mapped[str | None] = mapped_column(String(16))


class Message(TenantMixin, Base):
    """One message in a conversation; `external_id` is the channel's own message id."""

    __tablename__ = "messages"
    __table_args__ = (
        UniqueConstraint("tenant_id", "channel", "external_id"),
        Index(
            "ix_messages_conversation",
            "tenant_id",
            "conversation_id",
            text("sent_at DESC"),
            text("id DESC"),
        ),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    conversation_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("conversations.id", ondelete="CASCADE")
    )
    direction: Mapped[Direction] = mapped_column(pg_enum(Direction, "message_direction"))
    channel: Mapped[Channel] = mapped_column(pg_enum(Channel, "channel"))
    external_id: Mapped[str] = mapped_column(String(255))
    sender: Mapped[str | None] = mapped_column(String(320))
    subject: Mapped[str | None] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    in_reply_to: Mapped[str | None] = mapped_column(String(255))
    author_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    sent_at: Mapped[datetime]
    triage: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, server_default=text("now()"))


class Comment(TenantMixin, Base):
    """An internal note on a conversation: never sent to the customer."""

    __tablename__ = "conversation_comments"
    __table_args__ = (
        Index(
            "ix_comments_conversation",
            "tenant_id",
            "conversation_id",
            text("created_at DESC"),
            text("id DESC"),
        ),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    conversation_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("conversations.id", ondelete="CASCADE")
    )
    author_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, server_default=text("now()"))
