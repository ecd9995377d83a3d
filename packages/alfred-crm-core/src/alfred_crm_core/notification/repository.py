"""Data access for notifications, scoped to the unit of work's tenant."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ColumnClause, Select, func, literal_column, select, update
from sqlalchemy.dialects.postgresql import insert

from alfred_crm_core._db import Repository
from alfred_crm_core.notification.models import NIL_UUID, Notification

__all__ = ["NotificationRepository"]

# A literal, not a bound parameter: ON CONFLICT must match the index expression as written.
_NIL: ColumnClause[uuid.UUID] = literal_column(f"'{NIL_UUID}'::uuid")


class NotificationRepository(Repository[Notification]):
    """Notifications of one tenant; every method also names the user they belong to."""

    model = Notification
    entity = "notification"

    def feed(self, user_id: uuid.UUID, *, unread: bool | None) -> Select[Notification]:
        """The user's notifications, optionally only unread (True) or only read (False)."""
        query = self._scoped().where(Notification.user_id == user_id)
        if unread is True:
            query = query.where(Notification.read_at.is_(None))
        elif unread is False:
            query = query.where(Notification.read_at.is_not(None))
        return query

    async def mark_read(
        self, notification_id: uuid.UUID, user_id: uuid.UUID, now: datetime
    ) -> Notification | None:
        """Mark the user's notification read (keeping an earlier `read_at`); None if not theirs."""
        result = await self.session.execute(
            update(Notification)
            .where(
                self._in_tenant(),
                Notification.id == notification_id,
                Notification.user_id == user_id,
            )
            .values(read_at=func.coalesce(Notification.read_at, now))
            .returning(Notification),
            execution_options={"populate_existing": True},
        )
        row: Notification | None = result.scalar_one_or_none()
        return row

    async def upsert_unread(
        self,
        *,
        user_id: uuid.UUID,
        type: str,
        entity_type: str,
        entity_id: uuid.UUID | None,
        title: str,
        message: str,
        now: datetime,
    ) -> Notification:
        """Insert an alert, or count one more on the unread alert with the same key, atomically."""
        values = insert(Notification).values(
            id=uuid.uuid4(),
            tenant_id=self.tenant_id,
            user_id=user_id,
            type=type,
            entity_type=entity_type,
            entity_id=entity_id,
            title=title,
            message=message,
            count=1,
            created_at=now,
            updated_at=now,
        )
        statement = values.on_conflict_do_update(
            index_elements=[
                Notification.tenant_id,
                Notification.user_id,
                Notification.type,
                Notification.entity_type,
                func.coalesce(Notification.entity_id, _NIL),
            ],
            index_where=Notification.read_at.is_(None),
            set_={
                "count": Notification.count + 1,
                "title": values.excluded.title,
                "message": values.excluded.message,
                "updated_at": values.excluded.updated_at,
            },
            where=self._in_tenant(),
        ).returning(Notification)
        result = await self.session.execute(
            statement, execution_options={"populate_existing": True}
        )
        row: Notification = result.scalar_one()
        return row

    async def mark_all_read(self, user_id: uuid.UUID, now: datetime) -> int:
        """Mark every unread notification of the user read; returns how many."""
        result = await self.session.execute(
            update(Notification)
            .where(
                self._in_tenant(), Notification.user_id == user_id, Notification.read_at.is_(None)
            )
            .values(read_at=now)
            .returning(Notification.id)
        )
        return len(result.all())

    async def count_unread(self, user_id: uuid.UUID) -> int:
        """How many unread notifications the user has."""
        result = await self.session.execute(
            select(func.count())
            .select_from(Notification)
            .where(
                self._in_tenant(), Notification.user_id == user_id, Notification.read_at.is_(None)
            )
        )
        return int(result.scalar_one())
