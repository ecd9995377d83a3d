import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager

import asyncpg
import pytest

from alfred_crm_core import (
    Database,
    NotFoundError,
    NotificationService,
    NotificationType,
    UnitOfWork,
    ValidationError,
)

pytestmark = pytest.mark.anyio

Scope = Callable[[uuid.UUID], AbstractAsyncContextManager[NotificationService]]


@pytest.fixture
async def people(database_url: str) -> dict[str, tuple[uuid.UUID, uuid.UUID]]:
    """Two users in tenant A and one in tenant B: name -> (tenant, user)."""
    a, b = uuid.uuid4(), uuid.uuid4()
    out = {"ana": (a, uuid.uuid4()), "alan": (a, uuid.uuid4()), "bea": (b, uuid.uuid4())}
    conn = await asyncpg.connect(database_url)
    try:
        for tenant in (a, b):
            await conn.execute("INSERT INTO tenants (id, name) VALUES ($1, 'T')", tenant)
        for name, (tenant, user) in out.items():
            await conn.execute(
                "INSERT INTO users (id, email, name, password_hash, default_tenant_id)"
                " VALUES ($1, $2, $3, 'x', $4)",
                user,
                f"{name}@example.com",
                name,
                tenant,
            )
    finally:
        await conn.close()
    return out


@pytest.fixture
def service(db: Database) -> Scope:
    @asynccontextmanager
    async def open_(tenant: uuid.UUID) -> AsyncIterator[NotificationService]:
        async with db.transaction(tenant) as session:
            yield NotificationService(UnitOfWork(session=session, tenant_id=tenant))

    return open_


async def _notify(
    service: Scope, who: tuple[uuid.UUID, uuid.UUID], entity: uuid.UUID | None = None
) -> uuid.UUID:
    async with service(who[0]) as s:
        n = await s.notify(
            user_id=who[1],
            type=NotificationType.TASK_OVERDUE,
            entity_type="task",
            entity_id=entity,
            title="Task overdue",
            message="A task is overdue",
        )
    return n.id


async def test_repeats_of_an_unread_alert_collapse_into_one_with_a_count(
    service: Scope, people: dict[str, tuple[uuid.UUID, uuid.UUID]]
) -> None:
    task = uuid.uuid4()
    ids = {await _notify(service, people["ana"], task) for _ in range(3)}
    assert len(ids) == 1
    async with service(people["ana"][0]) as s:
        page = await s.list(people["ana"][1])
    assert [(n.count, n.entity_id) for n in page.items] == [(3, task)]


async def test_a_read_alert_that_fires_again_starts_a_new_one(
    service: Scope, people: dict[str, tuple[uuid.UUID, uuid.UUID]]
) -> None:
    tenant, user = people["ana"]
    first = await _notify(service, people["ana"])
    async with service(tenant) as s:
        await s.mark_read(user, first)
    second = await _notify(service, people["ana"])
    assert second != first
    async with service(tenant) as s:
        assert await s.unread_count(user) == 1
        assert [n.id for n in (await s.list(user, unread=True)).items] == [second]
        assert [n.id for n in (await s.list(user, unread=False)).items] == [first]


async def test_alerts_for_different_entities_or_users_stay_apart(
    service: Scope, people: dict[str, tuple[uuid.UUID, uuid.UUID]]
) -> None:
    await _notify(service, people["ana"], uuid.uuid4())
    await _notify(service, people["ana"], uuid.uuid4())
    await _notify(service, people["alan"])
    tenant = people["ana"][0]
    async with service(tenant) as s:
        assert await s.unread_count(people["ana"][1]) == 2
        assert await s.unread_count(people["alan"][1]) == 1


async def test_pages_walk_newest_first_without_gaps(
    service: Scope, people: dict[str, tuple[uuid.UUID, uuid.UUID]]
) -> None:
    created = [await _notify(service, people["ana"], uuid.uuid4()) for _ in range(5)]
    tenant, user = people["ana"]
    seen: list[uuid.UUID] = []
    cursor = None
    async with service(tenant) as s:
        while True:
            page = await s.list(user, limit=2, cursor=cursor)
            seen += [n.id for n in page.items]
            if page.next_cursor is None:
                break
            cursor = page.next_cursor
    assert seen == list(reversed(created))


async def test_bad_limit_and_cursor_are_validation_errors(
    service: Scope, people: dict[str, tuple[uuid.UUID, uuid.UUID]]
) -> None:
    tenant, user = people["ana"]
    async with service(tenant) as s:
        for kwargs in ({"limit": 0}, {"limit": 201}, {"cursor": "garbage"}):
            with pytest.raises(ValidationError):
                await s.list(user, **kwargs)


async def test_mark_read_is_idempotent_and_read_all_counts(
    service: Scope, people: dict[str, tuple[uuid.UUID, uuid.UUID]]
) -> None:
    tenant, user = people["ana"]
    one = await _notify(service, people["ana"], uuid.uuid4())
    await _notify(service, people["ana"], uuid.uuid4())
    await _notify(service, people["ana"], uuid.uuid4())
    async with service(tenant) as s:
        first = await s.mark_read(user, one)
        again = await s.mark_read(user, one)
        assert first.read_at is not None and again.read_at == first.read_at
        assert await s.mark_all_read(user) == 2
        assert await s.mark_all_read(user) == 0
        assert await s.unread_count(user) == 0


async def test_another_users_or_tenants_notification_is_not_found(
    service: Scope, people: dict[str, tuple[uuid.UUID, uuid.UUID]]
) -> None:
    anas = await _notify(service, people["ana"])
    async with service(people["ana"][0]) as s:
        with pytest.raises(NotFoundError):
            await s.mark_read(people["alan"][1], anas)
    async with service(people["bea"][0]) as s:
        with pytest.raises(NotFoundError):
            await s.mark_read(people["ana"][1], anas)  # even naming Ana: RLS and the filter hide it
        assert await s.mark_all_read(people["ana"][1]) == 0
        assert (await s.list(people["ana"][1])).items == []
