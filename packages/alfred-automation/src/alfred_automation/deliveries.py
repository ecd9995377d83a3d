"""Deliveries as a tenant sees them: list, read, the attempts log, and redelivery.

The dispatcher (`alfred_automation.worker`) moves deliveries along; this module only reads them
and puts one back in the queue (`DeliveryService.redeliver`).
"""

from __future__ import annotations

import builtins
import uuid

from sqlalchemy import select, text

from alfred_automation._models import Delivery, DeliveryAttempt, Destination
from alfred_automation._paging import read_page
from alfred_automation.schemas import DeliveryAttemptRead, DeliveryFilter, DeliveryRead
from alfred_crm_core.clock import utcnow
from alfred_crm_core.errors import NotFoundError, ValidationError
from alfred_crm_core.pagination import DEFAULT_LIMIT, Page
from alfred_crm_core.uow import UnitOfWork

__all__ = ["DeliveryService"]

# Reset a delivery to a fresh schedule, unless a dispatcher holds it right now (its lease has not
# ended): then the attempt in flight decides, and nothing is sent twice at once.
_REDELIVER = text(
    """
    WITH reset AS (
        UPDATE automation_deliveries
        SET status = 'pending', attempts = 0, next_retry_at = :now, claimed_until = NULL,
            updated_at = :now
        WHERE tenant_id = :tenant_id AND id = :id
          AND NOT (status = 'pending' AND claimed_until IS NOT NULL AND claimed_until > :now)
        RETURNING id
    ), wake AS (
        SELECT pg_notify('alfred_automation', '') FROM reset
    )
    SELECT (SELECT count(*) FROM reset) AS reset, (SELECT count(*) FROM wake) AS woken
    """
)


class DeliveryService:
    """Deliveries of the unit of work's tenant.

    Args:
        uow: The open unit of work, scoped to the tenant (the service only flushes).
    """

    def __init__(self, uow: UnitOfWork) -> None:
        self.uow = uow

    async def list(
        self,
        filters: DeliveryFilter | None = None,
        *,
        limit: int = DEFAULT_LIMIT,
        cursor: str | None = None,
    ) -> Page[DeliveryRead]:
        """The tenant's deliveries, newest first, filtered by status, destination or event.

        Raises:
            ValidationError: The cursor is not one this API made.
        """
        query = select(Delivery).where(Delivery.tenant_id == self.uow.tenant_id)
        if filters is not None:
            if filters.status is not None:
                query = query.where(Delivery.status == filters.status.value)
            if filters.destination_id is not None:
                query = query.where(Delivery.destination_id == filters.destination_id)
            if filters.event_id is not None:
                query = query.where(Delivery.event_id == filters.event_id)
        columns = (Delivery.created_at, Delivery.id)
        return await read_page(
            self.uow.session, query, columns, DeliveryRead, limit=limit, cursor=cursor
        )

    async def get(self, delivery_id: uuid.UUID) -> DeliveryRead:
        """Return one delivery.

        Raises:
            NotFoundError: No such delivery in this tenant.
        """
        return DeliveryRead.model_validate(await self._row(delivery_id))

    async def attempts(self, delivery_id: uuid.UUID) -> builtins.list[DeliveryAttemptRead]:
        """The delivery's attempts log, oldest first.

        Raises:
            NotFoundError: No such delivery in this tenant.
        """
        await self._row(delivery_id)
        rows = (
            (
                await self.uow.session.execute(
                    select(DeliveryAttempt)
                    .where(
                        DeliveryAttempt.tenant_id == self.uow.tenant_id,
                        DeliveryAttempt.delivery_id == delivery_id,
                    )
                    .order_by(DeliveryAttempt.started_at, DeliveryAttempt.attempt)
                )
            )
            .scalars()
            .all()
        )
        return [DeliveryAttemptRead.model_validate(r) for r in rows]

    async def redeliver(self, delivery_id: uuid.UUID) -> DeliveryRead:
        """Queue a delivery again, due now, with a fresh attempt budget.

        Works on failed, succeeded and waiting deliveries; a delivery being attempted right now
        is left to that attempt. Dispatchers are woken when the transaction commits.

        Raises:
            NotFoundError: No such delivery in this tenant.
            ValidationError: Its destination is disabled (enable it first).
        """
        row = await self._row(delivery_id)
        enabled = (
            await self.uow.session.execute(
                select(Destination.enabled).where(
                    Destination.tenant_id == self.uow.tenant_id,
                    Destination.id == row.destination_id,
                )
            )
        ).scalar_one()
        if not enabled:
            raise ValidationError(
                "destination_id", "the destination is disabled; enable it before redelivering"
            )
        await self.uow.session.execute(
            _REDELIVER, {"tenant_id": self.uow.tenant_id, "id": delivery_id, "now": utcnow()}
        )
        return DeliveryRead.model_validate(await self._row(delivery_id, refresh=True))

    async def _row(self, delivery_id: uuid.UUID, *, refresh: bool = False) -> Delivery:
        query = select(Delivery).where(
            Delivery.tenant_id == self.uow.tenant_id, Delivery.id == delivery_id
        )
        if refresh:
            query = query.execution_options(populate_existing=True)
        row = (await self.uow.session.execute(query)).scalar_one_or_none()
        if row is None:
            raise NotFoundError("automation delivery", delivery_id)
        return row
