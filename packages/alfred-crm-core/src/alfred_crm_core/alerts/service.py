"""Find what crossed a line since the last run, claim it, notify and emit, in one transaction.

"Once per crossing" is a column, not a log: `tasks.overdue_notified_for` keeps the `due_at` that
was notified and `leads.stalled_notified_for` the `last_activity_at`. A row is due when the line
is crossed and that column differs from the current value, and it is claimed with a single
`UPDATE ... RETURNING`, so two runners at once notify each row once. Moving a due date (or new
lead activity) changes the value and re-arms the alert.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from sqlalchemy import select, update

from alfred_crm_core.alerts.events import LeadStalled, TaskOverdue
from alfred_crm_core.clock import utcnow
from alfred_crm_core.identity.repository import MembershipRepository
from alfred_crm_core.lead.models import CLOSED_STAGES, Lead
from alfred_crm_core.notification.models import NotificationType
from alfred_crm_core.notification.service import NotificationService
from alfred_crm_core.task.models import CLOSED_STATUSES, Task
from alfred_crm_core.uow import UnitOfWork

__all__ = ["AlertService"]


class AlertService:
    """Overdue-task and stalled-lead alerts for the unit of work's tenant."""

    def __init__(self, uow: UnitOfWork) -> None:
        self.uow = uow
        self.notifications = NotificationService(uow)

    async def _owners(self) -> list[uuid.UUID]:
        return await MembershipRepository(self.uow).owners()

    async def overdue_tasks(self, *, batch: int = 500, now: datetime | None = None) -> int:
        """Notify each task that crossed its due time since it was last notified.

        The assignee is notified, or the tenant's owners when nobody is assigned.

        Returns:
            How many tasks were notified.
        """
        now = now or utcnow()
        due = (
            select(Task.id)
            .where(
                Task.tenant_id == self.uow.tenant_id,
                Task.status.not_in(CLOSED_STATUSES),
                Task.due_at < now,
                Task.overdue_notified_for.is_distinct_from(Task.due_at),
            )
            .limit(batch)
            .with_for_update(skip_locked=True)
        ).scalar_subquery()
        claimed = (
            await self.uow.session.execute(
                update(Task)
                .where(Task.tenant_id == self.uow.tenant_id, Task.id.in_(due))
                .values(overdue_notified_for=Task.due_at)
                .returning(Task.id, Task.title, Task.due_at, Task.assignee_id)
                .execution_options(synchronize_session=False)
            )
        ).all()
        owners = await self._owners() if any(r.assignee_id is None for r in claimed) else []
        for task_id, title, due_at, assignee in claimed:
            assert due_at is not None  # selected by `due_at < now`
            for user in [assignee] if assignee else owners:
                await self.notifications.notify(
                    user_id=user,
                    type=NotificationType.TASK_OVERDUE,
                    entity_type="task",
                    entity_id=task_id,
                    title=f"Tarefa atrasada / Task overdue: {title}",
                    message=f"'{title}' was due at {due_at.isoformat()} and is not done yet.",
                )
            await self.uow.emit(
                TaskOverdue(
                    tenant_id=self.uow.tenant_id,
                    source_event_id=f"task.overdue:{task_id}:{due_at.isoformat()}",
                    task_id=task_id,
                    title=title,
                    due_at=due_at,
                    assignee_id=assignee,
                )
            )
        return len(claimed)

    async def stalled_leads(
        self, *, after: timedelta, batch: int = 500, now: datetime | None = None
    ) -> int:
        """Notify each open lead quiet for longer than `after` since its last notification.

        The lead's owner is notified, or the tenant's owners when it has none.

        Returns:
            How many leads were notified.
        """
        now = now or utcnow()
        quiet = (
            select(Lead.id)
            .where(
                Lead.tenant_id == self.uow.tenant_id,
                Lead.stage.not_in(CLOSED_STAGES),
                Lead.last_activity_at <= now - after,
                Lead.stalled_notified_for.is_distinct_from(Lead.last_activity_at),
            )
            .limit(batch)
            .with_for_update(skip_locked=True)
        ).scalar_subquery()
        claimed = (
            await self.uow.session.execute(
                update(Lead)
                .where(Lead.tenant_id == self.uow.tenant_id, Lead.id.in_(quiet))
                .values(stalled_notified_for=Lead.last_activity_at)
                .returning(
                    Lead.id,
                    Lead.contact_id,
                    Lead.title,
                    Lead.stage,
                    Lead.last_activity_at,
                    Lead.owner_id,
                )
                .execution_options(synchronize_session=False)
            )
        ).all()
        owners = await self._owners() if any(r.owner_id is None for r in claimed) else []
        for lead_id, contact_id, title, stage, last_activity, owner in claimed:
            label = title or "lead"
            for user in [owner] if owner else owners:
                await self.notifications.notify(
                    user_id=user,
                    type=NotificationType.LEAD_STALLED,
                    entity_type="lead",
                    entity_id=lead_id,
                    title=f"Lead parado / Lead stalled: {label}",
                    message=(
                        f"'{label}' ({stage}) has had no activity since "
                        f"{last_activity.isoformat()}."
                    ),
                )
            await self.uow.emit(
                LeadStalled(
                    tenant_id=self.uow.tenant_id,
                    source_event_id=f"lead.stalled:{lead_id}:{last_activity.isoformat()}",
                    lead_id=lead_id,
                    contact_id=contact_id,
                    stage=str(stage),
                    last_activity_at=last_activity,
                )
            )
        return len(claimed)
