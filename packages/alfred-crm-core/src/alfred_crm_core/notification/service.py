"""Notifications: alerts for users, collapsed when they repeat, read and counted per user."""

from __future__ import annotations

import uuid

from alfred_crm_core.clock import utcnow
from alfred_crm_core.errors import NotFoundError, ValidationError
from alfred_crm_core.notification.repository import NotificationRepository
from alfred_crm_core.notification.schemas import NotificationRead
from alfred_crm_core.pagination import DEFAULT_LIMIT, MAX_LIMIT, Page, page_of, paginate
from alfred_crm_core.uow import UnitOfWork

__all__ = ["NotificationService"]


class NotificationService:
    """Notifications of the unit of work's tenant.

    Every method names the user whose notifications it touches; a notification of another user
    or tenant is "not found".

    Args:
        uow: The open unit of work (the service only flushes).
    """

    def __init__(self, uow: UnitOfWork) -> None:
        self.uow = uow
        self.notifications = NotificationRepository(uow)

    async def notify(
        self,
        *,
        user_id: uuid.UUID,
        type: str,
        entity_type: str,
        title: str,
        message: str,
        entity_id: uuid.UUID | None = None,
    ) -> NotificationRead:
        """Alert `user_id`, or count a repeat of the unread alert with the same key.

        The key is (user, type, entity_type, entity_id): a job that fires every hour for the same
        overdue task leaves one unread notification whose `count` grows, never a pile of them.

        Args:
            user_id: Who is alerted (a member of this tenant).
            type: What kind of alert, e.g. `NotificationType.TASK_OVERDUE`.
            entity_type: What it is about, e.g. `task` (`system` for none).
            title: A short headline.
            message: The text shown to the user.
            entity_id: The entity's id, if any.

        Returns:
            The notification as stored (new, or the existing one with its count raised).
        """
        row = await self.notifications.upsert_unread(
            user_id=user_id,
            type=str(type),
            entity_type=str(entity_type),
            entity_id=entity_id,
            title=title[:200],
            message=message,
            now=utcnow(),
        )
        return NotificationRead.model_validate(row)

    async def list(
        self,
        user_id: uuid.UUID,
        *,
        unread: bool | None = None,
        limit: int = DEFAULT_LIMIT,
        cursor: str | None = None,
    ) -> Page[NotificationRead]:
        """The user's notifications, newest first, one page at a time.

        Args:
            user_id: Whose notifications.
            unread: True for only unread ones, False for only read ones, None for all.
            limit: Page size, 1 to `MAX_LIMIT`.
            cursor: `next_cursor` of the previous page.

        Raises:
            ValidationError: `limit` out of range, or a cursor we did not make.
        """
        if not 1 <= limit <= MAX_LIMIT:
            raise ValidationError("limit", f"limit must be between 1 and {MAX_LIMIT}")
        query = paginate(
            self.notifications.feed(user_id, unread=unread),
            self.notifications.model.created_at,
            self.notifications.model.id,
            limit=limit,
            cursor=cursor,
        )
        rows = (await self.uow.session.execute(query)).scalars().all()
        items, next_cursor = page_of(rows, limit)
        return Page[NotificationRead](
            items=[NotificationRead.model_validate(row) for row in items], next_cursor=next_cursor
        )

    async def mark_read(self, user_id: uuid.UUID, notification_id: uuid.UUID) -> NotificationRead:
        """Mark one notification read (again: a no-op that keeps the first `read_at`).

        Raises:
            NotFoundError: No such notification for this user in this tenant.
        """
        row = await self.notifications.mark_read(notification_id, user_id, utcnow())
        if row is None:
            raise NotFoundError("notification", notification_id)
        return NotificationRead.model_validate(row)

    async def mark_all_read(self, user_id: uuid.UUID) -> int:
        """Mark every unread notification of the user read.

        Returns:
            How many were unread.
        """
        return await self.notifications.mark_all_read(user_id, utcnow())

    async def unread_count(self, user_id: uuid.UUID) -> int:
        """How many unread notifications the user has."""
        return await self.notifications.count_unread(user_id)
