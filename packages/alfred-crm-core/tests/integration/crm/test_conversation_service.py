import asyncio
import uuid
from collections.abc import Awaitable, Callable
from datetime import timedelta

import pytest

from alfred_crm_core import ConflictError, Database, UnitOfWork, ValidationError
from alfred_crm_core.clock import utcnow
from alfred_crm_core.contact.schemas import ContactCreate
from alfred_crm_core.contact.service import ContactService
from alfred_crm_core.conversation.models import Channel, ConversationStatus, Direction
from alfred_crm_core.conversation.schemas import (
    CommentCreate,
    ConversationFilter,
    ConversationUpdate,
    MessageCreate,
)
from alfred_crm_core.conversation.service import ConversationService
from alfred_crm_core.conversation.transport import RecordingTransport
from alfred_crm_core.db import driver_connection
from alfred_crm_core.testing import RecordingEventSink

from .conftest import UowFactory

pytestmark = pytest.mark.anyio


async def _contact(uow: UowFactory, email: str = "c@x.com") -> uuid.UUID:
    async with uow() as u:
        return (await ContactService(u).create(ContactCreate(name="C", email=email))).id


async def test_open_for_creates_once_then_finds_it(
    uow: UowFactory, sink: RecordingEventSink
) -> None:
    contact = await _contact(uow)
    async with uow() as u:
        first, created = await ConversationService(u).open_for(contact, Channel.EMAIL, "Hi")
    async with uow() as u:
        again, created_again = await ConversationService(u).open_for(contact, Channel.EMAIL)
        other, other_created = await ConversationService(u).open_for(contact, Channel.WHATSAPP)
    assert (created, created_again, other_created) == (True, False, True)
    assert again.id == first.id and other.id != first.id
    assert sink.names().count("conversation.created") == 2


async def test_concurrent_open_for_yields_one_conversation(
    db: Database, uow: UowFactory, tenant: uuid.UUID
) -> None:
    contact = await _contact(uow)

    async def open_one() -> uuid.UUID:
        async with db.transaction(tenant) as s:
            conv, _ = await ConversationService(UnitOfWork(session=s, tenant_id=tenant)).open_for(
                contact, Channel.SMS
            )
            return conv.id

    ids = await asyncio.gather(*(open_one() for _ in range(8)))
    assert len(set(ids)) == 1


async def test_status_changes_emit_and_snooze_needs_a_future_time(
    uow: UowFactory, sink: RecordingEventSink
) -> None:
    contact = await _contact(uow)
    async with uow() as u:
        conv, _ = await ConversationService(u).open_for(contact, Channel.EMAIL)
    with pytest.raises(ValidationError) as err:
        async with uow() as u:
            await ConversationService(u).update(
                conv.id, ConversationUpdate(status=ConversationStatus.SNOOZED)
            )
    assert err.value.field == "snoozed_until"
    later = utcnow() + timedelta(hours=2)
    async with uow() as u:
        snoozed = await ConversationService(u).update(
            conv.id, ConversationUpdate(status=ConversationStatus.SNOOZED, snoozed_until=later)
        )
    async with uow() as u:
        resolved = await ConversationService(u).update(
            conv.id, ConversationUpdate(status=ConversationStatus.RESOLVED)
        )
    assert snoozed.snoozed_until == later
    assert resolved.snoozed_until is None
    assert sink.names().count("conversation.status_changed") == 2


async def test_reopening_while_another_is_active_is_a_conflict(uow: UowFactory) -> None:
    contact = await _contact(uow)
    async with uow() as u:
        old, _ = await ConversationService(u).open_for(contact, Channel.EMAIL)
        await ConversationService(u).update(
            old.id, ConversationUpdate(status=ConversationStatus.RESOLVED)
        )
    async with uow() as u:
        await ConversationService(u).open_for(contact, Channel.EMAIL)
    with pytest.raises(ConflictError):
        async with uow() as u:
            await ConversationService(u).update(
                old.id, ConversationUpdate(status=ConversationStatus.OPEN)
            )


async def test_assignee_must_be_a_member(
    uow: UowFactory,
    tenant: uuid.UUID,
    sink: RecordingEventSink,
    add_member: Callable[[uuid.UUID], Awaitable[uuid.UUID]],
) -> None:
    contact = await _contact(uow)
    member = await add_member(tenant)
    outsider = await add_member(uuid.uuid4())
    async with uow() as u:
        conv, _ = await ConversationService(u).open_for(contact, Channel.EMAIL)
    with pytest.raises(ValidationError) as err:
        async with uow() as u:
            await ConversationService(u).update(conv.id, ConversationUpdate(assignee_id=outsider))
    assert err.value.field == "assignee_id"
    async with uow() as u:
        assigned = await ConversationService(u).update(
            conv.id, ConversationUpdate(assignee_id=member)
        )
    assert assigned.assignee_id == member
    assert sink.names()[-1] == "conversation.assigned"


async def test_reply_records_an_outbound_message_through_the_transport(
    uow: UowFactory, sink: RecordingEventSink
) -> None:
    contact = await _contact(uow, "reply@x.com")
    transport = RecordingTransport()
    async with uow() as u:
        conv, _ = await ConversationService(u).open_for(contact, Channel.EMAIL)
    async with uow() as u:
        msg = await ConversationService(u, transport).reply(conv.id, MessageCreate(body="Olá!"))
    async with uow() as u:
        items, _ = await ConversationService(u).list_messages(conv.id, limit=10, cursor=None)
        refreshed = await ConversationService(u).get(conv.id)
    assert msg.direction == Direction.OUTBOUND
    assert [m.id for m in items] == [msg.id]
    assert transport.sent[0].to == "reply@x.com" and transport.sent[0].body == "Olá!"
    assert refreshed.last_message_at == msg.sent_at
    assert sink.names()[-1] == "message.sent"


async def test_comments_are_listed_newest_first(uow: UowFactory, sink: RecordingEventSink) -> None:
    contact = await _contact(uow)
    async with uow() as u:
        conv, _ = await ConversationService(u).open_for(contact, Channel.WEBCHAT)
    for text in ("first", "second", "third"):
        async with uow() as u:
            await ConversationService(u).comment(conv.id, CommentCreate(body=text))
    async with uow() as u:
        page1, cursor = await ConversationService(u).list_comments(conv.id, limit=2, cursor=None)
        page2, end = await ConversationService(u).list_comments(conv.id, limit=2, cursor=cursor)
    assert [c.body for c in page1 + page2] == ["third", "second", "first"]
    assert end is None
    assert sink.names().count("comment.created") == 3


async def test_list_filters(uow: UowFactory) -> None:
    a = await _contact(uow, "a@x.com")
    b = await _contact(uow, "b@x.com")
    async with uow() as u:
        svc = ConversationService(u)
        ca, _ = await svc.open_for(a, Channel.EMAIL)
        await svc.open_for(b, Channel.SMS)
        await svc.update(ca.id, ConversationUpdate(status=ConversationStatus.PENDING))
    async with uow() as u:
        svc = ConversationService(u)
        pending, _ = await svc.list_page(
            ConversationFilter(status=ConversationStatus.PENDING), limit=10, cursor=None
        )
        sms, _ = await svc.list_page(ConversationFilter(channel=Channel.SMS), limit=10, cursor=None)
        of_a, _ = await svc.list_page(ConversationFilter(contact_id=a), limit=10, cursor=None)
    assert [c["id"] for c in pending] == [ca.id]
    assert [c["contact_id"] for c in sms] == [b]
    assert [c["id"] for c in of_a] == [ca.id]


async def test_list_pages_through_ties_once_each_and_refuses_a_forged_cursor(
    uow: UowFactory, db: Database
) -> None:
    contacts = [await _contact(uow, f"p{i}@x.com") for i in range(5)]
    async with uow() as u:
        opened = [(await ConversationService(u).open_for(c, Channel.EMAIL))[0].id for c in contacts]
    async with db.system_transaction() as s:  # two pairs share an activity time: ties by id
        conn = await driver_connection(s)
        await conn.execute(
            "UPDATE conversations SET last_activity_at = now() - interval '1 day',"
            " latest_intent = 'pricing' WHERE id = ANY($1::uuid[])",
            opened[:2],
        )
    seen: list[uuid.UUID] = []
    cursor = None
    async with uow() as u:
        for _ in range(5):
            page, cursor = await ConversationService(u).list_page(
                ConversationFilter(), limit=2, cursor=cursor
            )
            seen += [c["id"] for c in page]
            if cursor is None:
                break
        pricing, _ = await ConversationService(u).list_page(
            ConversationFilter(intent="pricing"), limit=10, cursor=None
        )
        with pytest.raises(ValidationError):
            await ConversationService(u).list_page(ConversationFilter(), limit=2, cursor="x!")
    assert sorted(seen) == sorted(opened) and len(seen) == 5
    assert seen[-2:] == sorted(opened[:2], reverse=True)  # oldest last, ties newest id first
    assert sorted(c["id"] for c in pricing) == sorted(opened[:2])
