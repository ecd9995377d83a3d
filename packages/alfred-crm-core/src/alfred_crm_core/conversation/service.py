"""Conversation use cases: list, read, update, reply, comment."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.exc import IntegrityError

from alfred_crm_core.clock import utcnow
from alfred_crm_core.contact.repository import ContactRepository
from alfred_crm_core.conversation.events import (
    CommentCreated,
    ConversationAssigned,
    ConversationCreated,
    ConversationStatusChanged,
    MessageSent,
)
from alfred_crm_core.conversation.models import (
    Channel,
    Comment,
    Conversation,
    ConversationStatus,
    Direction,
    Message,
)
from alfred_crm_core.conversation.repository import (
    CommentRepository,
    ConversationRepository,
    MessageRepository,
)
from alfred_crm_core.conversation.schemas import (
    CommentCreate,
    ConversationFilter,
    ConversationUpdate,
    MessageCreate,
)
from alfred_crm_core.conversation.transport import (
    ChannelTransport,
    OutboundMessage,
    RecordingTransport,
)
from alfred_crm_core.errors import ConflictError, ValidationError
from alfred_crm_core.uow import UnitOfWork

__all__ = ["ConversationService", "ensure_member"]

# `record_inbound`'s statements. $1-$3: tenant, contact (or thread), channel; then $4 sent_at,
# $5 now, $6 intent, $7 priority, $8 sentiment, $9 subject. `status <> 'resolved'` is a
# literal so that the planner uses the partial unique index.
_SET_INBOUND = """
UPDATE conversations
SET last_message_at = GREATEST(last_message_at, $4), last_activity_at = $5, updated_at = $5,
    latest_intent = $6, latest_priority = $7, latest_sentiment = $8,
    subject = COALESCE(subject, $9)
"""
# Constants only, no input: the two statements differ in which conversation they touch.
_TOUCH_THREAD = _SET_INBOUND + (
    "WHERE tenant_id = $1 AND id = $2 AND channel = $3::channel AND status <> 'resolved'"
    " RETURNING id"
)
_TOUCH_ACTIVE = _SET_INBOUND + (
    "WHERE tenant_id = $1 AND contact_id = $2 AND channel = $3::channel"
    " AND status <> 'resolved' RETURNING id"
)
_OPEN = """
INSERT INTO conversations (id, tenant_id, contact_id, channel, status, subject, last_message_at,
                           last_activity_at, latest_intent, latest_priority, latest_sentiment,
                           created_at, updated_at)
VALUES ($1, $2, $3, $4::channel, 'open', $10, $5, $6, $7, $8, $9, $6, $6)
ON CONFLICT (tenant_id, contact_id, channel) WHERE status <> 'resolved' DO NOTHING
RETURNING id
"""


async def ensure_member(uow: UnitOfWork, user_id: uuid.UUID, field: str) -> None:
    """Check that `user_id` is a member of the unit of work's tenant.

    Raises:
        ValidationError: It is not (named after `field`).
    """
    found = await uow.session.execute(
        text("SELECT 1 FROM memberships WHERE tenant_id = :t AND user_id = :u"),
        {"t": uow.tenant_id, "u": user_id},
    )
    if found.scalar() is None:
        raise ValidationError(field, f"{field}: user {user_id} is not a member of this workspace")


class ConversationService:
    """Conversations of the unit of work's tenant."""

    def __init__(self, uow: UnitOfWork, transport: ChannelTransport | None = None) -> None:
        self.uow = uow
        self.conversations = ConversationRepository(uow)
        self.messages = MessageRepository(uow)
        self.comments = CommentRepository(uow)
        self.transport = transport or RecordingTransport()

    async def get(self, conversation_id: uuid.UUID) -> Conversation:
        """Return one conversation.

        Raises:
            NotFoundError: No such conversation in this tenant.
        """
        return await self.conversations.get(conversation_id)

    async def list_page(
        self, filters: ConversationFilter, *, limit: int, cursor: str | None
    ) -> tuple[list[dict[str, Any]], str | None]:
        """A page of conversations (column dicts), most recent activity first, and the cursor."""
        return await self.conversations.list_page(filters, limit=limit, cursor=cursor)

    async def open_for(
        self, contact_id: uuid.UUID, channel: Channel, subject: str | None = None
    ) -> tuple[Conversation, bool]:
        """Return the contact's active conversation on `channel`, opening one if there is none.

        Race-free without locks: the partial unique index on active conversations lets exactly
        one concurrent opener insert; the others find its row.

        Returns:
            The conversation and whether it was created (then `conversation.created` is emitted).

        Raises:
            NotFoundError: The contact is not in this tenant.
        """
        await ContactRepository(self.uow).get(contact_id)
        return await self.open_for_contact(contact_id, channel, subject)

    async def open_for_contact(
        self, contact_id: uuid.UUID, channel: Channel, subject: str | None = None
    ) -> tuple[Conversation, bool]:
        """`open_for`, for a caller that has just read or written the contact in this unit of work.

        Skips `open_for`'s check that the contact is in this tenant (one round trip on the
        ingestion path, see docs/performance.md); the foreign key and row-level security still
        refuse another tenant's contact.
        """
        active = self.conversations._scoped().where(
            Conversation.contact_id == contact_id,
            Conversation.channel == channel,
            Conversation.status != ConversationStatus.RESOLVED,
        )
        found = (await self.uow.session.execute(active)).scalar_one_or_none()
        if found is not None:
            return found, False
        now = utcnow()
        inserted = (
            await self.uow.session.execute(
                insert(Conversation)
                .values(
                    id=uuid.uuid4(),
                    tenant_id=self.uow.tenant_id,
                    contact_id=contact_id,
                    channel=channel,
                    status=ConversationStatus.OPEN,
                    subject=subject,
                    last_activity_at=now,
                    created_at=now,
                    updated_at=now,
                )
                .on_conflict_do_nothing(
                    index_elements=["tenant_id", "contact_id", "channel"],
                    index_where=text("status <> 'resolved'"),
                )
                # The whole row: no second SELECT when this opener wins (the usual case).
                .returning(Conversation),
                execution_options={"populate_existing": True},
            )
        ).scalar_one_or_none()
        if inserted is None:  # a concurrent opener won: use its row
            return (await self.uow.session.execute(active)).scalar_one(), False
        await self.uow.emit(
            ConversationCreated(
                tenant_id=self.uow.tenant_id,
                conversation_id=inserted.id,
                contact_id=contact_id,
                channel=channel.value,
            )
        )
        return inserted, True

    async def record_inbound(
        self,
        contact_id: uuid.UUID,
        channel: Channel,
        *,
        sent_at: datetime,
        subject: str | None,
        triage: Mapping[str, Any],
        thread_id: uuid.UUID | None = None,
    ) -> uuid.UUID:
        """Put an inbound message's activity and triage on its conversation; open one if needed.

        The conversation is `thread_id` when given (still active), else the contact's active
        conversation on `channel`, else a new one (`conversation.created` is emitted). Race-safe
        without locks: UPDATE the active row, else INSERT ... ON CONFLICT DO NOTHING on the
        partial unique index, else UPDATE the winner's row. Hand-written SQL on the unit of
        work's connection: this is ingestion's hot path (docs/performance.md).

        Returns:
            The conversation's id.
        """
        conn = await self.uow.connection()
        sentiment = triage.get("sentiment")
        values = (
            sent_at,
            utcnow(),
            triage.get("intent"),
            triage.get("priority"),
            sentiment.get("label") if isinstance(sentiment, Mapping) else None,
            subject,
        )
        tenant = self.uow.tenant_id
        if thread_id is not None:
            found: uuid.UUID | None = await conn.fetchval(
                _TOUCH_THREAD, tenant, thread_id, channel.value, *values
            )
            if found is not None:
                return found
        args = (tenant, contact_id, channel.value)
        found = await conn.fetchval(_TOUCH_ACTIVE, *args, *values)
        if found is not None:
            return found
        created: uuid.UUID | None = await conn.fetchval(_OPEN, uuid.uuid4(), *args, *values)
        if created is None:  # a concurrent opener won: its row is active and committed
            winner: uuid.UUID = await conn.fetchval(_TOUCH_ACTIVE, *args, *values)
            return winner
        await self.uow.emit(
            ConversationCreated(
                tenant_id=tenant,
                conversation_id=created,
                contact_id=contact_id,
                channel=channel.value,
            )
        )
        return created

    async def update(self, conversation_id: uuid.UUID, data: ConversationUpdate) -> Conversation:
        """Change status, snooze, assignee or subject; emits one event per kind of change.

        Raises:
            NotFoundError: No such conversation in this tenant.
            ValidationError: `snoozed` without a future `snoozed_until`, or an assignee who is
                not a member of the tenant.
            ConflictError: Reopening while the contact has another active conversation on the
                same channel.
        """
        conv = await self.conversations.get(conversation_id, lock="update")
        sent = data.model_fields_set
        previous_status, previous_assignee = conv.status, conv.assignee_id
        if "status" in sent and data.status is None:
            raise ValidationError("status", "status: may not be null")
        status = data.status or conv.status
        snoozed_until = data.snoozed_until if "snoozed_until" in sent else conv.snoozed_until
        if status == ConversationStatus.SNOOZED:
            if snoozed_until is None or snoozed_until <= utcnow():
                raise ValidationError(
                    "snoozed_until", "snoozed_until: a future time is required to snooze"
                )
        elif "snoozed_until" in sent and data.snoozed_until is not None:
            raise ValidationError("snoozed_until", "snoozed_until: only with status snoozed")
        else:
            snoozed_until = None
        if "assignee_id" in sent and data.assignee_id is not None:
            await ensure_member(self.uow, data.assignee_id, "assignee_id")
        conv.status, conv.snoozed_until = status, snoozed_until
        if "assignee_id" in sent:
            conv.assignee_id = data.assignee_id
        if "subject" in sent:
            conv.subject = data.subject or None
        try:
            await self.uow.session.flush()
        except IntegrityError as exc:
            raise ConflictError(
                "conversation",
                "status",
                "the contact already has an active conversation on this channel",
            ) from exc
        if status != previous_status:
            await self.uow.emit(
                ConversationStatusChanged(
                    tenant_id=self.uow.tenant_id,
                    conversation_id=conv.id,
                    previous_status=previous_status.value,
                    status=status.value,
                    snoozed_until=snoozed_until,
                )
            )
        if conv.assignee_id != previous_assignee:
            await self.uow.emit(
                ConversationAssigned(
                    tenant_id=self.uow.tenant_id,
                    conversation_id=conv.id,
                    assignee_id=conv.assignee_id,
                    previous_assignee_id=previous_assignee,
                )
            )
        return conv

    async def list_messages(
        self, conversation_id: uuid.UUID, *, limit: int, cursor: str | None
    ) -> tuple[list[Message], str | None]:
        """A page of the conversation's messages, newest first.

        Raises:
            NotFoundError: No such conversation in this tenant.
        """
        await self.conversations.get(conversation_id)
        return await self.messages.list_for(conversation_id, limit=limit, cursor=cursor)

    async def latest_inbound_of_contact(self, contact_id: uuid.UUID) -> Message | None:
        """The contact's most recent inbound message on any channel, or None."""
        return await self.messages.latest_inbound_of_contact(contact_id)

    async def reply(self, conversation_id: uuid.UUID, data: MessageCreate) -> Message:
        """Record an outbound reply and hand it to the channel transport.

        Raises:
            NotFoundError: No such conversation in this tenant.
        """
        conv = await self.conversations.get(conversation_id)
        contact = await ContactRepository(self.uow).get(conv.contact_id)
        to = contact.email if conv.channel.value == "email" else contact.phone
        external_id = await self.transport.send(
            OutboundMessage(
                tenant_id=self.uow.tenant_id,
                conversation_id=conv.id,
                channel=conv.channel,
                to=to,
                subject=data.subject or conv.subject,
                body=data.body,
            )
        )
        now = utcnow()
        message = self.messages.add(
            Message(
                conversation_id=conv.id,
                direction=Direction.OUTBOUND,
                channel=conv.channel,
                external_id=external_id,
                sender=None,
                subject=data.subject,
                body=data.body,
                author_id=self.uow.actor_id,
                sent_at=now,
            )
        )
        conv.last_message_at = now
        conv.last_activity_at = now
        await self.uow.session.flush()
        await self.uow.emit(
            MessageSent(
                tenant_id=self.uow.tenant_id,
                message_id=message.id,
                conversation_id=conv.id,
                contact_id=conv.contact_id,
                channel=conv.channel.value,
                external_id=external_id,
                body=data.body,
                author_id=self.uow.actor_id,
            )
        )
        return message

    async def list_comments(
        self, conversation_id: uuid.UUID, *, limit: int, cursor: str | None
    ) -> tuple[list[Comment], str | None]:
        """A page of the conversation's internal comments, newest first.

        Raises:
            NotFoundError: No such conversation in this tenant.
        """
        await self.conversations.get(conversation_id)
        return await self.comments.list_for(conversation_id, limit=limit, cursor=cursor)

    async def comment(self, conversation_id: uuid.UUID, data: CommentCreate) -> Comment:
        """Add an internal comment (never sent to the customer).

        Raises:
            NotFoundError: No such conversation in this tenant.
        """
        conv = await self.conversations.get(conversation_id)
        comment = self.comments.add(
            Comment(conversation_id=conv.id, author_id=self.uow.actor_id, body=data.body)
        )
        await self.uow.session.flush()
        await self.uow.emit(
            CommentCreated(
                tenant_id=self.uow.tenant_id,
                comment_id=comment.id,
                conversation_id=conv.id,
                author_id=self.uow.actor_id,
                body=data.body,
            )
        )
        return comment
