import uuid
from datetime import timedelta
from decimal import Decimal

import pytest

from alfred_crm_core import NotFoundError, ValidationError
from alfred_crm_core.clock import frozen_clock, utcnow
from alfred_crm_core.contact.schemas import ContactCreate
from alfred_crm_core.contact.service import ContactService
from alfred_crm_core.lead.models import LeadStage
from alfred_crm_core.lead.schemas import LeadCreate, LeadFilter, LeadUpdate
from alfred_crm_core.lead.service import LeadService
from alfred_crm_core.task.models import TaskStatus
from alfred_crm_core.task.schemas import TaskCreate, TaskFilter, TaskUpdate
from alfred_crm_core.task.service import TaskService, is_overdue
from alfred_crm_core.testing import RecordingEventSink

from .conftest import UowFactory

pytestmark = pytest.mark.anyio


async def test_task_lifecycle_emits_created_updated_completed(
    uow: UowFactory, sink: RecordingEventSink
) -> None:
    async with uow() as u:
        task = await TaskService(u).create(TaskCreate(title="Ligar para Ana"))
    async with uow() as u:
        done = await TaskService(u).update(task.id, TaskUpdate(status=TaskStatus.DONE))
    assert done.closed_at is not None
    assert sink.names() == ["task.created", "task.updated", "task.completed"]
    async with uow() as u:
        reopened = await TaskService(u).update(task.id, TaskUpdate(status=TaskStatus.TODO))
    assert reopened.closed_at is None


async def test_task_links_must_be_in_the_tenant(uow: UowFactory) -> None:
    async with uow(uuid.uuid4()) as u:
        foreign = (await ContactService(u).create(ContactCreate(name="F"))).id
    for field in ("contact_id", "conversation_id", "lead_id"):
        with pytest.raises(ValidationError) as err:
            async with uow() as u:
                await TaskService(u).create(TaskCreate(title="t", **{field: foreign}))
        assert err.value.field == field


async def test_title_cannot_be_cleared(uow: UowFactory) -> None:
    async with uow() as u:
        task = await TaskService(u).create(TaskCreate(title="t"))
    with pytest.raises(ValidationError):
        async with uow() as u:
            await TaskService(u).update(task.id, TaskUpdate(title=None))


async def test_overdue_filter_follows_the_clock(uow: UowFactory) -> None:
    now = utcnow()
    async with uow() as u:
        svc = TaskService(u)
        late = await svc.create(TaskCreate(title="late", due_at=now - timedelta(hours=1)))
        await svc.create(TaskCreate(title="future", due_at=now + timedelta(days=1)))
        await svc.create(
            TaskCreate(title="closed", due_at=now - timedelta(days=1), status=TaskStatus.DONE)
        )
        await svc.create(TaskCreate(title="undated"))
    async with uow() as u:
        overdue, _ = await TaskService(u).list_page(TaskFilter(overdue=True), limit=50, cursor=None)
        due_soon, _ = await TaskService(u).list_page(
            TaskFilter(due_before=now + timedelta(days=2)), limit=50, cursor=None
        )
    assert [t.id for t in overdue] == [late.id]
    assert is_overdue(late)
    assert {t.title for t in due_soon} == {"late", "future", "closed"}
    with frozen_clock(now + timedelta(days=3)):
        async with uow() as u:
            later, _ = await TaskService(u).list_page(
                TaskFilter(overdue=True), limit=50, cursor=None
            )
    assert {t.title for t in later} == {"late", "future"}


async def test_task_pagination_walks_every_row_once(uow: UowFactory) -> None:
    async with uow() as u:
        for i in range(11):
            await TaskService(u).create(TaskCreate(title=f"t{i}"))
    seen, cursor = [], None
    async with uow() as u:
        while True:
            items, cursor = await TaskService(u).list_page(TaskFilter(), limit=4, cursor=cursor)
            seen += [t.title for t in items]
            if cursor is None:
                break
    assert sorted(seen) == sorted(f"t{i}" for i in range(11))


async def test_bad_cursor_is_a_validation_error(uow: UowFactory) -> None:
    with pytest.raises(ValidationError) as err:
        async with uow() as u:
            await TaskService(u).list_page(TaskFilter(), limit=4, cursor="garbage!")
    assert err.value.field == "cursor"


async def test_lead_stage_changes_touch_activity_and_emit(
    uow: UowFactory, sink: RecordingEventSink
) -> None:
    async with uow() as u:
        contact = (await ContactService(u).create(ContactCreate(name="L"))).id
    start = utcnow() - timedelta(days=10)
    with frozen_clock(start):
        async with uow() as u:
            lead = await LeadService(u).create(
                LeadCreate(contact_id=contact, value=Decimal("1500.5"), currency="brl")
            )
    assert (lead.currency, lead.value, lead.last_activity_at) == ("BRL", Decimal("1500.5"), start)
    async with uow() as u:
        won = await LeadService(u).update(lead.id, LeadUpdate(stage=LeadStage.WON, title="Deal"))
    assert won.won_at is not None and won.last_activity_at > start
    assert sink.names() == ["contact.created", "lead.created", "lead.stage_changed", "lead.updated"]
    async with uow() as u:
        by_stage, _ = await LeadService(u).list_page(
            LeadFilter(stage=LeadStage.WON), limit=5, cursor=None
        )
    assert [x.id for x in by_stage] == [lead.id]


async def test_lead_value_needs_a_currency_and_a_tenant_contact(uow: UowFactory) -> None:
    async with uow() as u:
        contact = (await ContactService(u).create(ContactCreate(name="L"))).id
    with pytest.raises(ValidationError) as err:
        async with uow() as u:
            await LeadService(u).create(LeadCreate(contact_id=contact, value=Decimal(10)))
    assert err.value.field == "currency"
    with pytest.raises(ValidationError) as err:
        async with uow() as u:
            await LeadService(u).create(LeadCreate(contact_id=uuid.uuid4()))
    assert err.value.field == "contact_id"


async def test_touch_moves_the_open_lead_only(uow: UowFactory) -> None:
    async with uow() as u:
        contact = (await ContactService(u).create(ContactCreate(name="L"))).id
        lost = await LeadService(u).create(LeadCreate(contact_id=contact, stage=LeadStage.LOST))
    async with uow() as u:
        assert await LeadService(u).touch(contact) is None
    async with uow() as u:
        await LeadService(u).delete(lost.id)
        with pytest.raises(NotFoundError):
            await LeadService(u).get(lost.id)
