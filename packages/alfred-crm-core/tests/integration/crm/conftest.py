import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager

import asyncpg
import pytest

from alfred_crm_core import Database, UnitOfWork
from alfred_crm_core.testing import RecordingEventSink

UowFactory = Callable[..., AbstractAsyncContextManager[UnitOfWork]]


@pytest.fixture
def sink() -> RecordingEventSink:
    return RecordingEventSink()


@pytest.fixture
def tenant() -> uuid.UUID:
    return uuid.uuid4()


@pytest.fixture
def uow(db: Database, sink: RecordingEventSink, tenant: uuid.UUID) -> UowFactory:
    """Open a unit of work (one committed transaction) in `tenant`, or in another one."""

    @asynccontextmanager
    async def make(
        tenant_id: uuid.UUID | None = None, actor_id: uuid.UUID | None = None
    ) -> AsyncIterator[UnitOfWork]:
        tid = tenant_id or tenant
        async with db.transaction(tid) as session:
            yield UnitOfWork(session=session, tenant_id=tid, actor_id=actor_id, events=sink)

    return make


@pytest.fixture
def add_member(database_url: str) -> Callable[[uuid.UUID], Awaitable[uuid.UUID]]:
    """Create a user who is an agent of the given tenant; returns the user id."""

    async def add(tenant_id: uuid.UUID) -> uuid.UUID:
        user_id = uuid.uuid4()
        conn = await asyncpg.connect(database_url)
        try:
            await conn.execute(
                "INSERT INTO tenants (id, name) VALUES ($1, 'T') ON CONFLICT DO NOTHING", tenant_id
            )
            await conn.execute(
                "INSERT INTO users (id, email, name, password_hash, default_tenant_id)"
                " VALUES ($1, $2, 'U', 'x', $3)",
                user_id,
                f"{user_id}@example.com",
                tenant_id,
            )
            await conn.execute(
                "INSERT INTO memberships (id, tenant_id, user_id, role)"
                " VALUES ($1, $2, $3, 'agent')",
                uuid.uuid4(),
                tenant_id,
                user_id,
            )
        finally:
            await conn.close()
        return user_id

    return add
