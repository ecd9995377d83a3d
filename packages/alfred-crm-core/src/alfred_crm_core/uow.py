"""The unit of work: one tenant-scoped transaction, who acts in it, and where its events go.

The caller (an app dependency or a worker job) opens the transaction and owns it; services only
`flush()`. See `Database.transaction` for how the tenant reaches PostgreSQL's row-level security.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from uuid import UUID

import asyncpg
from sqlalchemy.ext.asyncio import AsyncSession

from alfred_crm_core.db import driver_connection
from alfred_crm_core.events import DomainEvent, EventSink, NullEventSink
from alfred_crm_core.types import TenantId

__all__ = ["UnitOfWork"]


@dataclass
class UnitOfWork:
    """What a service call needs: the open session, the tenant, the actor and the event sink.

    Attributes:
        session: A session inside an open transaction scoped to `tenant_id`.
        tenant_id: The tenant every query is filtered by.
        actor_id: The user acting, when a user is (None for callbacks and jobs).
        origin: What caused the work (`destination:<id>` for automation callbacks).
        events: Where emitted events go.
    """

    session: AsyncSession
    tenant_id: TenantId
    actor_id: UUID | None = None
    origin: str | None = None
    events: EventSink = field(default_factory=NullEventSink)
    _connection: asyncpg.Connection | None = field(default=None, init=False, repr=False)

    async def connection(self) -> asyncpg.Connection:
        """The asyncpg connection under this unit of work's open transaction.

        For hot paths that run hand-written SQL (see `driver_connection`); every such statement
        still filters on `tenant_id`. Looked up once per unit of work (one transaction, one
        connection).
        """
        if self._connection is None:
            self._connection = await driver_connection(self.session)
        return self._connection

    async def emit(self, event: DomainEvent) -> None:
        """Send `event` to the sink inside this transaction, stamping the origin."""
        if self.origin and event.origin is None:
            object.__setattr__(event, "origin", self.origin)
        await self.events.emit(self.session, event)
