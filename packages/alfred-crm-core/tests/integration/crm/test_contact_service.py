import uuid

import pytest

from alfred_crm_core import ConflictError, NotFoundError, ValidationError
from alfred_crm_core.contact.schemas import ContactCreate, ContactUpdate
from alfred_crm_core.contact.service import ContactService
from alfred_crm_core.testing import RecordingEventSink

from .conftest import UowFactory

pytestmark = pytest.mark.anyio


async def test_create_normalises_email_and_phone_and_emits_once(
    uow: UowFactory, sink: RecordingEventSink
) -> None:
    async with uow() as u:
        c = await ContactService(u).create(
            ContactCreate(
                name=" Ana ",
                email=" Ana@Example.COM ",
                phone="(11) 98765-4321",
                tags=["vip", "vip"],
            )
        )
    assert (c.name, c.email, c.phone, c.tags) == (
        "Ana",
        "ana@example.com",
        "+5511987654321",
        ["vip"],
    )
    assert sink.names() == ["contact.created"]
    assert sink.events[0].payload()["contact_id"] == str(c.id)


@pytest.mark.parametrize(("field", "value"), [("email", "not-an-email"), ("phone", "12")])
async def test_create_rejects_bad_email_or_phone_naming_the_field(
    uow: UowFactory, sink: RecordingEventSink, field: str, value: str
) -> None:
    with pytest.raises(ValidationError) as err:
        async with uow() as u:
            await ContactService(u).create(ContactCreate(name="X", **{field: value}))
    assert err.value.field == field
    assert sink.events == []


async def test_email_and_phone_are_unique_per_tenant_only(uow: UowFactory) -> None:
    other = uuid.uuid4()
    async with uow() as u:
        await ContactService(u).create(
            ContactCreate(name="A", email="a@x.com", phone="+5511900000001")
        )
    for data in (
        ContactCreate(name="B", email="A@X.com"),
        ContactCreate(name="C", phone="11 90000-0001"),
    ):
        with pytest.raises(ConflictError):
            async with uow() as u:
                await ContactService(u).create(data)
    async with uow(other) as u:  # another tenant may use the same address
        await ContactService(u).create(ContactCreate(name="A", email="a@x.com"))


async def test_update_changes_only_sent_fields_and_reports_them(
    uow: UowFactory, sink: RecordingEventSink
) -> None:
    async with uow() as u:
        c = await ContactService(u).create(
            ContactCreate(name="A", email="a@x.com", attributes={"plan": "pro", "seats": 3})
        )
    async with uow() as u:
        updated = await ContactService(u).update(
            c.id, ContactUpdate(phone="+1 415 555 0100", attributes={"seats": None, "city": "SP"})
        )
    assert updated.email == "a@x.com"
    assert updated.phone == "+14155550100"
    assert updated.attributes == {"plan": "pro", "city": "SP"}
    assert sink.names() == ["contact.created", "contact.updated"]
    assert set(sink.events[1].payload()["changes"]) == {"phone", "attributes"}


async def test_update_without_changes_emits_nothing(
    uow: UowFactory, sink: RecordingEventSink
) -> None:
    async with uow() as u:
        c = await ContactService(u).create(ContactCreate(name="A"))
    async with uow() as u:
        await ContactService(u).update(c.id, ContactUpdate(name="A"))
    assert sink.names() == ["contact.created"]


async def test_other_tenants_contact_is_not_found(uow: UowFactory) -> None:
    async with uow() as u:
        c = await ContactService(u).create(ContactCreate(name="A"))
    with pytest.raises(NotFoundError):
        async with uow(uuid.uuid4()) as u:
            await ContactService(u).get(c.id)


async def test_search_and_tag_filters_and_pagination_walk(uow: UowFactory) -> None:
    async with uow() as u:
        svc = ContactService(u)
        for i in range(7):
            await svc.create(
                ContactCreate(
                    name=f"Person {i}", email=f"p{i}@acme.com", tags=["even"] if i % 2 == 0 else []
                )
            )
        await svc.create(ContactCreate(name="100%_real", email="other@x.com"))
    seen: list[str] = []
    cursor = None
    async with uow() as u:
        while True:
            items, cursor = await ContactService(u).list_page(q="acme", limit=3, cursor=cursor)
            seen += [c.name for c in items]
            if cursor is None:
                break
        evens, _ = await ContactService(u).list_page(tag="even", limit=50, cursor=None)
        literal, _ = await ContactService(u).list_page(q="%_", limit=50, cursor=None)
    assert sorted(seen) == [f"Person {i}" for i in range(7)]
    assert len(seen) == 7
    assert sorted(c.name for c in evens) == ["Person 0", "Person 2", "Person 4", "Person 6"]
    assert [c.name for c in literal] == ["100%_real"]


async def test_events_roll_back_with_the_change(
    db: object, uow: UowFactory, sink: RecordingEventSink
) -> None:
    with pytest.raises(RuntimeError):
        async with uow() as u:
            await ContactService(u).create(ContactCreate(name="Ghost", email="g@x.com"))
            raise RuntimeError("abort")
    async with uow() as u:
        items, _ = await ContactService(u).list_page(limit=10, cursor=None)
    assert items == []


async def test_delete_removes_the_contact(uow: UowFactory, sink: RecordingEventSink) -> None:
    async with uow() as u:
        c = await ContactService(u).create(ContactCreate(name="A"))
    async with uow() as u:
        await ContactService(u).delete(c.id)
    with pytest.raises(NotFoundError):
        async with uow() as u:
            await ContactService(u).get(c.id)
    assert sink.names()[-1] == "contact.deleted"
