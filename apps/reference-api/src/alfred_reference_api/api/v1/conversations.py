"""Conversations of the caller's tenant, their messages and internal comments."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query

from alfred_crm_core import Page
from alfred_crm_core.conversation.models import Channel, ConversationStatus
from alfred_crm_core.conversation.schemas import (
    CommentCreate,
    CommentRead,
    ConversationFilter,
    ConversationRead,
    ConversationUpdate,
    MessageCreate,
    MessageRead,
)
from alfred_crm_core.conversation.service import ConversationService
from alfred_crm_core.task.models import Priority
from alfred_reference_api.api.v1._params import Cursor, Limit
from alfred_reference_api.deps import UowDep
from alfred_reference_api.errors import problems

router = APIRouter(prefix="/conversations", tags=["conversations"])

Intent = Annotated[
    str | None,
    Query(
        pattern="^(pricing|purchase|support|complaint|cancellation|scheduling|other)$",
        description="Latest triage intent.",
    ),
]


@router.get("", summary="List conversations", responses=problems(401, 422))
async def list_conversations(
    uow: UowDep,
    status: ConversationStatus | None = None,
    channel: Channel | None = None,
    contact_id: uuid.UUID | None = None,
    assignee_id: uuid.UUID | None = None,
    intent: Intent = None,
    priority: Annotated[Priority | None, Query(description="Latest triage priority.")] = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> Page[ConversationRead]:
    """Conversations, most recent activity first."""
    filters = ConversationFilter(
        status=status,
        channel=channel,
        contact_id=contact_id,
        assignee_id=assignee_id,
        intent=intent,
        priority=priority.value if priority else None,
    )
    items, next_cursor = await ConversationService(uow).list_page(
        filters, limit=limit, cursor=cursor
    )
    return Page[ConversationRead](
        items=[ConversationRead.model_validate(c) for c in items], next_cursor=next_cursor
    )


@router.get("/{conversation_id}", summary="Get a conversation", responses=problems(401, 404, 422))
async def get_conversation(conversation_id: uuid.UUID, uow: UowDep) -> ConversationRead:
    """One conversation with its latest triage."""
    return ConversationRead.model_validate(await ConversationService(uow).get(conversation_id))


@router.patch(
    "/{conversation_id}",
    summary="Update a conversation",
    responses=problems(401, 404, 409, 422),
)
async def update_conversation(
    conversation_id: uuid.UUID, data: ConversationUpdate, uow: UowDep
) -> ConversationRead:
    """Change status (`snoozed` needs a future `snoozed_until`), assignee or subject.

    Reopening a resolved conversation while the contact has another active one on the same
    channel is a 409.
    """
    conv = await ConversationService(uow).update(conversation_id, data)
    return ConversationRead.model_validate(conv)


@router.get(
    "/{conversation_id}/messages",
    summary="List a conversation's messages",
    responses=problems(401, 404, 422),
)
async def list_messages(
    conversation_id: uuid.UUID, uow: UowDep, limit: Limit = 50, cursor: Cursor = None
) -> Page[MessageRead]:
    """Messages, newest first, each with its triage."""
    items, next_cursor = await ConversationService(uow).list_messages(
        conversation_id, limit=limit, cursor=cursor
    )
    return Page[MessageRead](
        items=[MessageRead.model_validate(m) for m in items], next_cursor=next_cursor
    )


@router.post(
    "/{conversation_id}/messages",
    status_code=201,
    summary="Reply on the conversation's channel",
    responses=problems(401, 404, 422),
)
async def send_message(conversation_id: uuid.UUID, data: MessageCreate, uow: UowDep) -> MessageRead:
    """Record an outbound reply and hand it to the channel transport (`message.sent`)."""
    message = await ConversationService(uow).reply(conversation_id, data)
    return MessageRead.model_validate(message)


@router.get(
    "/{conversation_id}/comments",
    summary="List internal comments",
    responses=problems(401, 404, 422),
)
async def list_comments(
    conversation_id: uuid.UUID, uow: UowDep, limit: Limit = 50, cursor: Cursor = None
) -> Page[CommentRead]:
    """Internal comments, newest first."""
    items, next_cursor = await ConversationService(uow).list_comments(
        conversation_id, limit=limit, cursor=cursor
    )
    return Page[CommentRead](
        items=[CommentRead.model_validate(c) for c in items], next_cursor=next_cursor
    )


@router.post(
    "/{conversation_id}/comments",
    status_code=201,
    summary="Add an internal comment",
    responses=problems(401, 404, 422),
)
async def add_comment(conversation_id: uuid.UUID, data: CommentCreate, uow: UowDep) -> CommentRead:
    """Add an internal note; it is never sent to the customer."""
    return CommentRead.model_validate(await ConversationService(uow).comment(conversation_id, data))
