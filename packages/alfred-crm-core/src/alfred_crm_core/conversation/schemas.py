"""Conversation, message and comment schemas."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any

from pydantic import AwareDatetime, BaseModel, ConfigDict, StringConstraints

from alfred_crm_core.conversation.models import Channel, ConversationStatus, Direction

__all__ = [
    "CommentCreate",
    "CommentRead",
    "ConversationFilter",
    "ConversationRead",
    "ConversationUpdate",
    "MessageCreate",
    "MessageRead",
]

Body = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=65536)]


class ConversationRead(BaseModel):
    """A conversation as the API shows it, with the latest triage."""

    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    contact_id: uuid.UUID
    channel: Channel
    status: ConversationStatus
    snoozed_until: datetime | None
    assignee_id: uuid.UUID | None
    subject: str | None
    last_message_at: datetime | None
    latest_intent: str | None
    latest_priority: str | None
    latest_sentiment: str | None
    created_at: datetime
    updated_at: datetime


class ConversationUpdate(BaseModel):
    """Fields to change. `snoozed` needs `snoozed_until` in the future."""

    model_config = ConfigDict(extra="ignore")

    status: ConversationStatus | None = None
    snoozed_until: AwareDatetime | None = None  # with a zone: naive times are ambiguous
    assignee_id: uuid.UUID | None = None
    subject: Annotated[str, StringConstraints(strip_whitespace=True, max_length=300)] | None = None


class ConversationFilter(BaseModel):
    """List filters."""

    status: ConversationStatus | None = None
    channel: Channel | None = None
    contact_id: uuid.UUID | None = None
    assignee_id: uuid.UUID | None = None
    intent: str | None = None
    priority: str | None = None


class MessageRead(BaseModel):
    """A message with its triage (inbound messages)."""

    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    conversation_id: uuid.UUID
    direction: Direction
    channel: Channel
    external_id: str
    sender: str | None
    subject: str | None
    body: str
    in_reply_to: str | None
    author_id: uuid.UUID | None
    sent_at: datetime
    triage: dict[str, Any] | None
    created_at: datetime


class MessageCreate(BaseModel):
    """An outbound reply."""

    model_config = ConfigDict(extra="ignore")

    body: Body
    subject: Annotated[str, StringConstraints(strip_whitespace=True, max_length=300)] | None = None


class CommentCreate(BaseModel):
    """An internal note (never sent to the customer)."""

    model_config = ConfigDict(extra="ignore")

    body: Body


class CommentRead(BaseModel):
    """An internal note as the API shows it."""

    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    conversation_id: uuid.UUID
    author_id: uuid.UUID | None
    body: str
    created_at: datetime
