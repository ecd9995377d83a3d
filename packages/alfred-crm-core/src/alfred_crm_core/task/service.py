"""Task use cases."""

from __future__ import annotations

import uuid

from alfred_crm_core._db.links import ensure_in_tenant
from alfred_crm_core.clock import utcnow
from alfred_crm_core.contact.models import Contact
from alfred_crm_core.conversation.models import Conversation
from alfred_crm_core.conversation.service import ensure_member
from alfred_crm_core.errors import ValidationError
from alfred_crm_core.lead.models import Lead
from alfred_crm_core.task.events import TaskCompleted, TaskCreated, TaskDeleted, TaskUpdated
from alfred_crm_core.task.models import CLOSED_STATUSES, Task, TaskStatus
from alfred_crm_core.task.repository import TaskRepository
from alfred_crm_core.task.schemas import TaskCreate, TaskFilter, TaskUpdate
from alfred_crm_core.uow import UnitOfWork

__all__ = ["TaskService", "is_overdue"]

_LINKS = (("contact_id", Contact), ("conversation_id", Conversation), ("lead_id", Lead))


def is_overdue(task: Task) -> bool:
    """True when the task is still open and its due time has passed."""
    return task.status not in CLOSED_STATUSES and task.due_at is not None and task.due_at < utcnow()


class TaskService:
    """Tasks of the unit of work's tenant."""

    def __init__(self, uow: UnitOfWork) -> None:
        self.uow = uow
        self.tasks = TaskRepository(uow)

    async def get(self, task_id: uuid.UUID) -> Task:
        """Return one task.

        Raises:
            NotFoundError: No such task in this tenant.
        """
        return await self.tasks.get(task_id)

    async def list_page(
        self, filters: TaskFilter, *, limit: int, cursor: str | None
    ) -> tuple[list[Task], str | None]:
        """A page of tasks and the next cursor."""
        return await self.tasks.list_page(filters, limit=limit, cursor=cursor)

    async def create(self, data: TaskCreate) -> Task:
        """Create a task.

        Raises:
            ValidationError: A link points at no row of this tenant, or the assignee is not a
                member.
        """
        for field, model in _LINKS:
            await ensure_in_tenant(self.uow, model, getattr(data, field), field)
        if data.assignee_id is not None:
            await ensure_member(self.uow, data.assignee_id, "assignee_id")
        task = self.tasks.add(
            Task(
                **data.model_dump(),
                created_by=self.uow.actor_id,
                closed_at=utcnow() if data.status in CLOSED_STATUSES else None,
            )
        )
        await self.uow.session.flush()
        await self.uow.emit(
            TaskCreated(
                tenant_id=self.uow.tenant_id,
                task_id=task.id,
                title=task.title,
                status=task.status.value,
                priority=task.priority.value,
                due_at=task.due_at,
                assignee_id=task.assignee_id,
                contact_id=task.contact_id,
                conversation_id=task.conversation_id,
                lead_id=task.lead_id,
            )
        )
        return task

    async def update(self, task_id: uuid.UUID, data: TaskUpdate) -> Task:
        """Change the fields present in `data`; `done` also emits `task.completed`.

        Raises:
            NotFoundError: No such task in this tenant.
            ValidationError: A required field set to null, a link to no row of this tenant, or
                an assignee who is not a member.
        """
        task = await self.tasks.get(task_id, lock="update")
        sent = data.model_fields_set
        for required in ("title", "priority", "status"):
            if required in sent and getattr(data, required) is None:
                raise ValidationError(required, f"{required}: may not be null")
        for field, model in _LINKS:
            if field in sent:
                await ensure_in_tenant(self.uow, model, getattr(data, field), field)
        if "assignee_id" in sent and data.assignee_id is not None:
            await ensure_member(self.uow, data.assignee_id, "assignee_id")
        changes = {k: v for k, v in data.model_dump(include=sent).items() if getattr(task, k) != v}
        if not changes:
            return task
        was_closed = task.status in CLOSED_STATUSES
        for key, value in changes.items():
            setattr(task, key, value)
        if "status" in changes:
            closing = task.status in CLOSED_STATUSES
            if closing and not was_closed:
                task.closed_at = utcnow()
            elif not closing:
                task.closed_at = None
        await self.uow.session.flush()
        await self.uow.emit(
            TaskUpdated(tenant_id=self.uow.tenant_id, task_id=task.id, changes=changes)
        )
        if changes.get("status") == TaskStatus.DONE and task.closed_at is not None:
            await self.uow.emit(
                TaskCompleted(
                    tenant_id=self.uow.tenant_id, task_id=task.id, closed_at=task.closed_at
                )
            )
        return task

    async def delete(self, task_id: uuid.UUID) -> None:
        """Delete a task.

        Raises:
            NotFoundError: No such task in this tenant.
        """
        task = await self.tasks.get(task_id, lock="update")  # one of concurrent deletes wins
        await self.tasks.delete(task)
        await self.uow.session.flush()
        await self.uow.emit(TaskDeleted(tenant_id=self.uow.tenant_id, task_id=task_id))
