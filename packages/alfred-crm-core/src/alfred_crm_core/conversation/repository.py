"""Data access for conversations, messages and comments."""

from __future__ import annotations

import uuid
from enum import StrEnum
from typing import Any

from alfred_crm_core._db.repository import Repository
from alfred_crm_core.conversation.models import Comment, Conversation, Direction, Message
from alfred_crm_core.conversation.schemas import ConversationFilter
from alfred_crm_core.db import driver_connection
from alfred_crm_core.pagination import decode_cursor, page_of, paginate

__all__ = ["CommentRepository", "ConversationRepository", "MessageRepository"]

_CONVERSATION_COLUMNS = ", ".join(c.name for c in Conversation.__table__.columns)


class ConversationRepository(Repository[Conversation]):
    """Conversations of one tenant."""

    model = Conversation
    entity = "conversation"

    async def list_page(
        self, filters: ConversationFilter, *, limit: int, cursor: str | None
    ) -> tuple[list[dict[str, Any]], str | None]:
        """A page of conversations (as column dicts), most recent activity first.

        Hand-written SQL on the session's connection: the inbox list is the busiest read
        (docs/performance.md). Column names are fixed here; every value is a parameter.
        """
        args: list[Any] = [self.tenant_id]
        where = ["tenant_id = $1"]
        for column, value in (
            ("status", filters.status),
            ("channel", filters.channel),
            ("contact_id", filters.contact_id),
            ("assignee_id", filters.assignee_id),
            ("latest_intent", filters.intent),
            ("latest_priority", filters.priority),
        ):
            if value is not None:
                args.append(value.value if isinstance(value, StrEnum) else value)
                where.append(f"{column} = ${len(args)}")
        if cursor:
            args.extend(decode_cursor(cursor))
            where.append(f"(last_activity_at, id) < (${len(args) - 1}, ${len(args)})")
        args.append(limit + 1)
        sql = (
            f"SELECT {_CONVERSATION_COLUMNS} FROM conversations WHERE {' AND '.join(where)}"  # noqa: S608
            f" ORDER BY last_activity_at DESC, id DESC LIMIT ${len(args)}"
        )
        conn = await driver_connection(self.session)
        rows = [dict(r) for r in await conn.fetch(sql, *args)]
        return page_of(rows, limit, key=("last_activity_at", "id"))


class MessageRepository(Repository[Message]):
    """Messages of one tenant."""

    model = Message
    entity = "message"

    async def list_for(
        self, conversation_id: uuid.UUID, *, limit: int, cursor: str | None
    ) -> tuple[list[Message], str | None]:
        """A page of a conversation's messages, newest first."""
        query = self._scoped().where(Message.conversation_id == conversation_id)
        query = paginate(query, Message.sent_at, Message.id, limit=limit, cursor=cursor)
        rows = (await self.session.execute(query)).scalars().all()
        return page_of(rows, limit, key=("sent_at", "id"))

    async def latest_inbound_of_contact(self, contact_id: uuid.UUID) -> Message | None:
        """The contact's most recent inbound message on any channel, or None."""
        query = (
            self._scoped()
            .join(Conversation, Conversation.id == Message.conversation_id)
            .where(
                Conversation.tenant_id == self.tenant_id,
                Conversation.contact_id == contact_id,
                Message.direction == Direction.INBOUND,
            )
            .order_by(Message.sent_at.desc(), Message.id.desc())
            .limit(1)
        )
        return (await self.session.execute(query)).scalar_one_or_none()


class CommentRepository(Repository[Comment]):
    """Internal comments of one tenant."""

    model = Comment
    entity = "comment"

    async def list_for(
        self, conversation_id: uuid.UUID, *, limit: int, cursor: str | None
    ) -> tuple[list[Comment], str | None]:
        """A page of a conversation's comments, newest first."""
        query = self._scoped().where(Comment.conversation_id == conversation_id)
        query = paginate(query, Comment.created_at, Comment.id, limit=limit, cursor=cursor)
        rows = (await self.session.execute(query)).scalars().all()
        return page_of(rows, limit)
