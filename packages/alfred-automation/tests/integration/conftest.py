import os
import tempfile
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, ClassVar

import asyncpg
import pytest
from pydantic import SecretStr
from sqlalchemy import text

from alfred_automation import (
    DeliveryRead,
    DeliveryService,
    DestinationCreate,
    DestinationService,
    DestinationWithSecret,
    Dispatcher,
    EventRecord,
    HubConfig,
    OutboxSink,
)
from alfred_automation.testing import Receiver
from alfred_automation.urlguard import Resolver
from alfred_crm_core import Database, DomainEvent, UnitOfWork
from alfred_crm_core.clock import frozen_clock


def subprocess_env(**extra: str) -> dict[str, str]:
    """The environment of the processes tests start: this one's, plus a bytecode cache.

    This machine sets PYTHONDONTWRITEBYTECODE, so every new interpreter would compile
    SQLAlchemy, pydantic and httpx again (seconds each); a private cache outside the checkout
    keeps that to the first run.
    """
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPYCACHEPREFIX"] = str(Path(tempfile.gettempdir()) / f"alfred-pycache-{os.getuid()}")
    return {**env, **extra}


@dataclass(frozen=True, kw_only=True)
class TaskCreated(DomainEvent):
    """Stands for core's event of the same name (what the tests' actions emit)."""

    name: ClassVar[str] = "task.created"
    task_id: uuid.UUID
    title: str


KEY_1 = bytes(range(32))
KEY_2 = bytes(range(32, 64))

UowFactory = Callable[..., AbstractAsyncContextManager[UnitOfWork]]
MakeDestination = Callable[..., Awaitable[DestinationWithSecret]]
Publish = Callable[..., Awaitable[EventRecord]]
ReadDeliveries = Callable[..., Awaitable[list[DeliveryRead]]]


@dataclass
class Clock:
    """A clock the test moves by hand (core's `frozen_clock` reads it)."""

    now: datetime

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@pytest.fixture
def clock() -> Iterator[Clock]:
    moving = Clock(datetime.now(UTC))
    with frozen_clock(moving):
        yield moving


@pytest.fixture
def config() -> HubConfig:
    return HubConfig(
        encryption_keys=[KEY_1],
        allow_private_urls=True,
        timeout_seconds=2.0,
        lease_seconds=5.0,
        max_attempts=3,
        poll_interval_seconds=0.05,
    )


async def add_tenant(db: Database) -> uuid.UUID:
    tenant_id = uuid.uuid4()
    async with db.system_transaction() as session:
        await session.execute(
            text("INSERT INTO tenants (id, name) VALUES (:id, 'T')"), {"id": tenant_id}
        )
    return tenant_id


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[Database]:
    """Core's fixture, with a faster clean-up: every hub row hangs off a tenant, and deleting a
    few rows costs far less than truncating every table of the schema."""
    database = Database.from_url(database_url, pool_size=5)
    try:
        yield database
    finally:
        await database.dispose()
        conn = await asyncpg.connect(database_url)
        try:
            await conn.execute("DELETE FROM automation_rate_limits; DELETE FROM tenants")
        finally:
            await conn.close()


@pytest.fixture
async def tenant(db: Database) -> uuid.UUID:
    return await add_tenant(db)


@pytest.fixture
async def other_tenant(db: Database) -> uuid.UUID:
    return await add_tenant(db)


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    async with Receiver() as running:
        yield running


@pytest.fixture
def uow(db: Database, tenant: uuid.UUID) -> UowFactory:
    """One committed transaction in `tenant` (or another), events to an enabled outbox."""

    @asynccontextmanager
    async def make(
        tenant_id: uuid.UUID | None = None,
        *,
        sink: OutboxSink | None = None,
        origin: str | None = None,
    ) -> AsyncIterator[UnitOfWork]:
        tid = tenant_id or tenant
        async with db.transaction(tid) as session:
            yield UnitOfWork(
                session=session, tenant_id=tid, origin=origin, events=sink or OutboxSink()
            )

    return make


@pytest.fixture
def make_destination(uow: UowFactory, config: HubConfig) -> MakeDestination:
    async def make(
        url: str,
        *,
        tenant_id: uuid.UUID | None = None,
        event_types: list[str] | None = None,
        secret: str | None = None,
        hub: HubConfig | None = None,
        resolver: Resolver | None = None,
        name: str = "flow",
    ) -> DestinationWithSecret:
        data = DestinationCreate(
            name=name,
            url=url,
            secret=SecretStr(secret) if secret is not None else None,
            event_types=event_types or ["*"],
        )
        async with uow(tenant_id) as work:
            service = DestinationService(work, hub or config, resolver=resolver)
            return await service.create(data)

    return make


@pytest.fixture
def publish(uow: UowFactory) -> Publish:
    async def publish(
        type: str = "test.event",
        payload: dict[str, object] | None = None,
        *,
        tenant_id: uuid.UUID | None = None,
        source_event_id: str | None = None,
        origin: str | None = None,
        sink: OutboxSink | None = None,
    ) -> EventRecord:
        async with uow(tenant_id) as work:
            record, _ = await (sink or OutboxSink()).publish(
                work.session,
                tenant_id=work.tenant_id,
                type=type,
                payload=payload if payload is not None else {"n": 1},
                source_event_id=source_event_id,
                origin=origin,
            )
        return record

    return publish


@pytest.fixture
def read_deliveries(uow: UowFactory) -> ReadDeliveries:
    async def read(tenant_id: uuid.UUID | None = None) -> list[DeliveryRead]:
        async with uow(tenant_id) as work:
            page = await DeliveryService(work).list(limit=200)
        return page.items

    return read


MakeDispatcher = Callable[..., Dispatcher]


@pytest.fixture
async def make_dispatcher(db: Database, config: HubConfig) -> AsyncIterator[MakeDispatcher]:
    made: list[Dispatcher] = []

    def make(hub: HubConfig | None = None, **kwargs: Any) -> Dispatcher:
        dispatcher = Dispatcher(db, hub or config, **kwargs)
        made.append(dispatcher)
        return dispatcher

    yield make
    for dispatcher in made:
        await dispatcher.aclose()


@dataclass
class Rig:
    """What most dispatcher tests use, in one fixture."""

    db: Database
    config: HubConfig
    receiver: Receiver
    uow: UowFactory
    make_destination: MakeDestination
    make_dispatcher: MakeDispatcher
    publish: Publish
    read_deliveries: ReadDeliveries

    async def delivery(self) -> DeliveryRead:
        """The one delivery of the tenant."""
        (only,) = await self.read_deliveries()
        return only

    async def hook(self, path: str = "/hook", **kwargs: Any) -> DestinationWithSecret:
        """A destination that sends to ``path`` on the receiver."""
        return await self.make_destination(self.receiver.url_for(path), **kwargs)


@pytest.fixture
def rig(
    db: Database,
    config: HubConfig,
    receiver: Receiver,
    uow: UowFactory,
    make_destination: MakeDestination,
    make_dispatcher: MakeDispatcher,
    publish: Publish,
    read_deliveries: ReadDeliveries,
) -> Rig:
    return Rig(
        db, config, receiver, uow, make_destination, make_dispatcher, publish, read_deliveries
    )
