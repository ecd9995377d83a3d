"""The outbox: events and deliveries in the caller's transaction, idempotency, loop guard."""

import uuid

import asyncpg
import pytest
from sqlalchemy import text

from alfred_automation import (
    DeliveryStatus,
    EventFilter,
    EventPublish,
    EventService,
    OutboxSink,
)
from alfred_automation.outbox import NOTIFY_CHANNEL, serialize_payload
from alfred_crm_core import Database, NotFoundError, ValidationError

from .conftest import MakeDestination, Publish, ReadDeliveries, TaskCreated, UowFactory

pytestmark = pytest.mark.anyio

URL = "http://127.0.0.1:9/hook"


async def count(db: Database, table: str) -> int:
    async with db.system_transaction() as session:
        return int((await session.execute(text(f"SELECT count(*) FROM {table}"))).scalar_one())


async def test_an_event_and_its_deliveries_commit_with_the_change(
    db: Database,
    tenant: uuid.UUID,
    uow: UowFactory,
    make_destination: MakeDestination,
    read_deliveries: ReadDeliveries,
) -> None:
    destination = await make_destination(URL)
    async with uow() as work:
        await work.emit(TaskCreated(tenant_id=tenant, task_id=uuid.uuid4(), title="Call back"))
    deliveries = await read_deliveries()
    assert [(d.destination_id, d.status, d.attempts) for d in deliveries] == [
        (destination.id, DeliveryStatus.PENDING, 0)
    ]
    async with uow() as work:
        page = await EventService(work, OutboxSink()).list()
    (event,) = page.items
    assert event.type == "task.created"
    assert event.payload["title"] == "Call back"
    assert event.tenant_id == tenant
    assert deliveries[0].event_id == event.id


async def test_a_rollback_leaves_no_event_and_no_delivery(
    db: Database, tenant: uuid.UUID, uow: UowFactory, make_destination: MakeDestination
) -> None:
    await make_destination(URL)

    class Boom(Exception):
        pass

    with pytest.raises(Boom):
        async with uow() as work:
            await work.emit(TaskCreated(tenant_id=tenant, task_id=uuid.uuid4(), title="x"))
            raise Boom
    assert await count(db, "automation_events") == 0
    assert await count(db, "automation_deliveries") == 0


async def test_publishing_the_same_source_event_id_again_returns_the_original(
    db: Database, uow: UowFactory, make_destination: MakeDestination
) -> None:
    await make_destination(URL)
    data = EventPublish(type="lead.qualified", payload={"score": 9}, source_event_id="src-1")
    async with uow() as work:
        first, created = await EventService(work, OutboxSink()).publish(data)
    assert created
    again = EventPublish(type="lead.qualified", payload={"score": 1}, source_event_id="src-1")
    async with uow() as work:
        second, created_again = await EventService(work, OutboxSink()).publish(again)
    assert not created_again
    assert second.id == first.id
    assert second.payload == {"score": 9}
    assert await count(db, "automation_events") == 1
    assert await count(db, "automation_deliveries") == 1


async def test_the_same_source_id_is_distinct_per_type_and_per_tenant(
    db: Database, other_tenant: uuid.UUID, publish: Publish
) -> None:
    await publish("a.b", source_event_id="s")
    await publish("a.c", source_event_id="s")
    await publish("a.b", source_event_id="s", tenant_id=other_tenant)
    await publish("a.b", source_event_id="s")
    await publish("a.b")
    await publish("a.b")  # no source id: never deduplicated
    assert await count(db, "automation_events") == 5


async def test_domain_events_with_a_source_event_id_are_recorded_once(
    db: Database, tenant: uuid.UUID, uow: UowFactory
) -> None:
    task = uuid.uuid4()
    for _ in range(2):
        async with uow() as work:
            await work.emit(
                TaskCreated(tenant_id=tenant, task_id=task, title="x", source_event_id="m-1")
            )
    assert await count(db, "automation_events") == 1


async def test_destinations_get_only_the_event_types_they_subscribe_to(
    make_destination: MakeDestination, publish: Publish, read_deliveries: ReadDeliveries
) -> None:
    every = await make_destination(URL, event_types=["*"])
    tasks = await make_destination(URL, event_types=["task.created", "task.updated"])
    messages = await make_destination(URL, event_types=["message.ingested"])
    created = await publish("task.created")
    ingested = await publish("message.ingested")
    other = await publish("lead.created")
    got = {(d.event_id, d.destination_id) for d in await read_deliveries()}
    assert got == {
        (created.id, every.id),
        (created.id, tasks.id),
        (ingested.id, every.id),
        (ingested.id, messages.id),
        (other.id, every.id),
    }


async def test_disabled_destinations_and_other_tenants_destinations_get_nothing(
    uow: UowFactory,
    other_tenant: uuid.UUID,
    make_destination: MakeDestination,
    publish: Publish,
    read_deliveries: ReadDeliveries,
) -> None:
    from alfred_automation import DestinationService, DestinationUpdate, HubConfig

    from .conftest import KEY_1

    off = await make_destination(URL)
    await make_destination(URL, tenant_id=other_tenant)
    async with uow() as work:
        config = HubConfig(encryption_keys=[KEY_1], allow_private_urls=True)
        await DestinationService(work, config).update(off.id, DestinationUpdate(enabled=False))
    await publish()
    assert await read_deliveries() == []
    assert await read_deliveries(other_tenant) == []


async def test_the_loop_guard_keeps_an_event_from_the_destination_that_caused_it(
    tenant: uuid.UUID,
    uow: UowFactory,
    make_destination: MakeDestination,
    read_deliveries: ReadDeliveries,
) -> None:
    caller = await make_destination(URL)
    bystander = await make_destination(URL)
    async with uow(origin=f"destination:{caller.id}") as work:
        await work.emit(TaskCreated(tenant_id=tenant, task_id=uuid.uuid4(), title="from a flow"))
    assert [d.destination_id for d in await read_deliveries()] == [bystander.id]
    async with uow() as work:
        (event,) = (await EventService(work, OutboxSink()).list()).items
    assert event.origin == f"destination:{caller.id}"


async def test_a_disabled_hub_records_events_but_creates_no_delivery(
    db: Database,
    make_destination: MakeDestination,
    publish: Publish,
    read_deliveries: ReadDeliveries,
) -> None:
    await make_destination(URL)
    event = await publish(sink=OutboxSink(enabled=False), source_event_id="s-1")
    assert await read_deliveries() == []
    assert await count(db, "automation_events") == 1
    assert event.type == "test.event"


async def test_creating_a_delivery_notifies_listeners_on_commit_only(
    database_url: str, make_destination: MakeDestination, publish: Publish, uow: UowFactory
) -> None:
    await make_destination(URL)
    listener = await asyncpg.connect(database_url)
    heard: list[str] = []
    await listener.add_listener(NOTIFY_CHANNEL, lambda *args: heard.append(args[2]))
    try:
        with pytest.raises(RuntimeError):
            async with uow() as work:
                await OutboxSink().publish(
                    work.session, tenant_id=work.tenant_id, type="a.b", payload={}
                )
                raise RuntimeError
        await listener.execute("SELECT 1")
        assert heard == []
        await publish()
        await listener.execute("SELECT 1")  # notifications arrive with the next round trip
        assert heard == [NOTIFY_CHANNEL]
    finally:
        await listener.close()


async def test_events_list_filters_by_type_and_pages(
    uow: UowFactory, publish: Publish, other_tenant: uuid.UUID
) -> None:
    for n in range(5):
        await publish("a.one" if n % 2 else "a.two", {"n": n})
    await publish("a.one", tenant_id=other_tenant)
    async with uow() as work:
        service = EventService(work, OutboxSink())
        ones = await service.list(EventFilter(type="a.one"))
        first = await service.list(limit=3)
        rest = await service.list(limit=3, cursor=first.next_cursor)
        with pytest.raises(NotFoundError):
            await service.get(uuid.uuid4())
        assert (await service.get(ones.items[0].id)).id == ones.items[0].id
    assert [e.payload["n"] for e in ones.items] == [3, 1]
    assert len(first.items) == 3 and first.next_cursor is not None
    assert len(rest.items) == 2 and rest.next_cursor is None


async def test_an_event_of_another_tenant_is_not_found(
    uow: UowFactory, publish: Publish, other_tenant: uuid.UUID
) -> None:
    theirs = await publish(tenant_id=other_tenant)
    async with uow() as work:
        with pytest.raises(NotFoundError):
            await EventService(work, OutboxSink()).get(theirs.id)


async def test_the_envelope_is_exactly_the_readme_fields(publish: Publish) -> None:
    event = await publish("message.ingested", {"text": "hi"})
    envelope = event.envelope()
    assert list(envelope) == ["event_id", "tenant_id", "occurred_at", "type", "payload"]
    assert envelope["occurred_at"].endswith("Z")
    assert envelope["payload"] == {"text": "hi"}


async def test_a_nul_character_in_a_payload_does_not_break_the_transaction(
    publish: Publish,
) -> None:
    event = await publish("a.b", {"text": "a\x00b", "raw": "\\u0000"})
    assert event.payload == {"text": "a\ufffdb", "raw": "\\u0000"}


async def test_publish_refuses_what_it_cannot_store(uow: UowFactory) -> None:
    async with uow() as work:
        sink = OutboxSink()
        for kwargs, field in (
            ({"type": ""}, "type"),
            ({"type": "x" * 101}, "type"),
            ({"source_event_id": "s" * 256}, "source_event_id"),
            ({"origin": "o" * 101}, "origin"),
            ({"payload": [1]}, "payload"),
            ({"payload": {"x": object()}}, "payload"),
        ):
            args: dict[str, object] = {"type": "a.b", "payload": {}, **kwargs}
            with pytest.raises(ValidationError) as caught:
                await sink.publish(work.session, tenant_id=work.tenant_id, **args)  # type: ignore[arg-type]  # deliberately wrong types
            assert caught.value.field == field


def test_serialize_payload_keeps_escaped_backslashes() -> None:
    assert serialize_payload({"a": "\\\x00"}) == '{"a":"\\\\\\ufffd"}'
