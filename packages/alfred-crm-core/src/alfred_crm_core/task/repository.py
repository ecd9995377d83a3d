"""Data access for tasks."""

from __future__ import annotations

from sqlalchemy import or_

from alfred_crm_core._db.repository import Repository
from alfred_crm_core.clock import utcnow
from alfred_crm_core.pagination import page_of, paginate
from alfred_crm_core.task.models import CLOSED_STATUSES, Task
from alfred_crm_core.task.schemas import TaskFilter

__all__ = ["TaskRepository"]


class TaskRepository(Repository[Task]):
    """Tasks of one tenant."""

    model = Task
    entity = "task"

    async def list_page(
        self, filters: TaskFilter, *, limit: int, cursor: str | None
    ) -> tuple[list[Task], str | None]:
        """A page of tasks, newest first."""
        query = self._scoped()
        for field in ("status", "assignee_id", "contact_id"):
            value = getattr(filters, field)
            if value is not None:
                query = query.where(getattr(Task, field) == value)
        if filters.due_before is not None:
            query = query.where(Task.due_at < filters.due_before)
        if filters.overdue is True:
            query = query.where(Task.status.not_in(CLOSED_STATUSES), Task.due_at < utcnow())
        elif filters.overdue is False:
            query = query.where(
                or_(
                    Task.status.in_(CLOSED_STATUSES), Task.due_at.is_(None), Task.due_at >= utcnow()
                )
            )
        query = paginate(query, Task.created_at, Task.id, limit=limit, cursor=cursor)
        rows = (await self.session.execute(query)).scalars().all()
        return page_of(rows, limit)
