"""Events the conversation domain emits."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any, ClassVar

from alfred_crm_core.events import DomainEvent

__all__ = [
    "CommentCreated",
    "ConversationAssigned",
    "ConversationCreated",
    "ConversationStatusChanged",
    "MessageIngested",
    "MessageSent",
]


@dataclass(frozen=True, kw_only=True)
class ConversationCreated(DomainEvent):
    """A conversation was opened (by ingestion or an outbound start)."""

    name: ClassVar[str] = "conversation.created"
    conversation_id: uuid.UUID
    contact_id: uuid.UUID
    channel: str


@dataclass(frozen=True, kw_only=True)
class ConversationStatusChanged(DomainEvent):
    """A conversation moved between open, pending, resolved and snoozed."""

    name: ClassVar[str] = "conversation.status_changed"
    conversation_id: uuid.UUID
    previous_status: str
    status: str
    snoozed_until: datetime | None = None


@dataclass(frozen=True, kw_only=True)
class ConversationAssigned(DomainEvent):
    """A conversation got a new assignee (null: unassigned)."""

    name: ClassVar[str] = "conversation.assigned"
    conversation_id: uuid.UUID
    assignee_id: uuid.UUID | None
    previous_assignee_id: uuid.UUID | None


@dataclass(frozen=True, kw_only=True)
class MessageIngested(DomainEvent):
    """An inbound message arrived through a channel webhook."""

    name: ClassVar[str] = "message.ingested"
    message_id: uuid.UUID
    conversation_id: uuid.UUID
    contact_id: uuid.UUID
    channel: str
    external_id: str
    body: str
    sent_at: datetime
    triage: dict[str, Any] | None = None


@dataclass(frozen=True, kw_only=True)
class MessageSent(DomainEvent):
    """An outbound reply was recorded and handed to the channel transport."""

    name: ClassVar[str] = "message.sent"
    message_id: uuid.UUID
    conversation_id: uuid.UUID
    contact_id: uuid.UUID
    channel: str
    external_id: str
    body: str
    author_id: uuid.UUID | None


@dataclass(frozen=True, kw_only=True)
class CommentCreated(DomainEvent):
    """An internal comment was added to a conversation."""

    name: ClassVar[str] = "comment.created"
    comment_id: uuid.UUID
    conversation_id: uuid.UUID
    author_id: uuid.UUID | None
    body: str
