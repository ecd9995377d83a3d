"""Conversations, messages, comments, tasks and leads through the API."""

import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from alfred_crm_core import Database, UnitOfWork
from alfred_crm_core.conversation.models import Channel
from alfred_crm_core.conversation.service import ConversationService
from alfred_reference_api.testing import Account

pytestmark = pytest.mark.anyio
SignUp = Callable[..., Awaitable[Account]]


async def _contact(client: httpx.AsyncClient, me: Account, email: str = "c@x.com") -> str:
    r = await client.post(
        "/api/v1/contacts", headers=me.headers, json={"name": "C", "email": email}
    )
    assert r.status_code == 201, r.text
    cid: str = r.json()["id"]
    return cid


async def _conversation(db: Database, me: Account, contact_id: str, channel: Channel) -> str:
    # Ingestion (the channel webhooks) opens conversations; here the core service does it.
    async with db.transaction(me.tenant_id) as s:
        conv, _ = await ConversationService(UnitOfWork(session=s, tenant_id=me.tenant_id)).open_for(
            uuid.UUID(contact_id), channel
        )
    return str(conv.id)


async def test_conversation_patch_reply_and_comment(
    client: httpx.AsyncClient, signup: SignUp, db: Database
) -> None:
    me = await signup()
    contact = await _contact(client, me)
    conv = await _conversation(db, me, contact, Channel.WHATSAPP)
    listed = (await client.get("/api/v1/conversations", headers=me.headers)).json()
    assert [c["id"] for c in listed["items"]] == [conv]

    bad = await client.patch(
        f"/api/v1/conversations/{conv}", headers=me.headers, json={"status": "closed"}
    )
    assert bad.status_code == 422
    no_time = await client.patch(
        f"/api/v1/conversations/{conv}", headers=me.headers, json={"status": "snoozed"}
    )
    assert no_time.status_code == 422
    assert no_time.json()["errors"][0]["field"] == "snoozed_until"
    until = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
    snoozed = await client.patch(
        f"/api/v1/conversations/{conv}",
        headers=me.headers,
        json={"status": "snoozed", "snoozed_until": until, "assignee_id": str(me.user_id)},
    )
    assert snoozed.status_code == 200, snoozed.text
    assert snoozed.json()["assignee_id"] == str(me.user_id)
    stranger = await client.patch(
        f"/api/v1/conversations/{conv}", headers=me.headers, json={"assignee_id": str(uuid.uuid4())}
    )
    assert stranger.status_code == 422

    sent = await client.post(
        f"/api/v1/conversations/{conv}/messages", headers=me.headers, json={"body": "Oi, tudo bem?"}
    )
    assert sent.status_code == 201
    assert sent.json()["direction"] == "outbound"
    msgs = (await client.get(f"/api/v1/conversations/{conv}/messages", headers=me.headers)).json()
    assert [m["body"] for m in msgs["items"]] == ["Oi, tudo bem?"]
    empty = await client.post(
        f"/api/v1/conversations/{conv}/messages", headers=me.headers, json={"body": "  "}
    )
    assert empty.status_code == 422

    note = await client.post(
        f"/api/v1/conversations/{conv}/comments", headers=me.headers, json={"body": "VIP, cuidado"}
    )
    assert note.status_code == 201 and note.json()["author_id"] == str(me.user_id)
    notes = (await client.get(f"/api/v1/conversations/{conv}/comments", headers=me.headers)).json()
    assert [n["body"] for n in notes["items"]] == ["VIP, cuidado"]
    # A comment is internal: it never shows up among the messages.
    msgs_after = (
        await client.get(f"/api/v1/conversations/{conv}/messages", headers=me.headers)
    ).json()
    assert len(msgs_after["items"]) == 1


async def test_conversation_filters(
    client: httpx.AsyncClient, signup: SignUp, db: Database
) -> None:
    me = await signup()
    a = await _contact(client, me, "a@x.com")
    b = await _contact(client, me, "b@x.com")
    ca = await _conversation(db, me, a, Channel.EMAIL)
    cb = await _conversation(db, me, b, Channel.SMS)
    await client.patch(
        f"/api/v1/conversations/{cb}", headers=me.headers, json={"status": "pending"}
    )

    async def ids(query: str) -> list[str]:
        r = await client.get(f"/api/v1/conversations?{query}", headers=me.headers)
        assert r.status_code == 200, r.text
        return [c["id"] for c in r.json()["items"]]

    assert await ids("status=pending") == [cb]
    assert await ids("channel=email") == [ca]
    assert await ids(f"contact_id={a}") == [ca]
    assert await ids("status=open&channel=sms") == []
    assert (
        await client.get("/api/v1/conversations?channel=fax", headers=me.headers)
    ).status_code == 422


async def test_task_routes(client: httpx.AsyncClient, signup: SignUp) -> None:
    me = await signup()
    contact = await _contact(client, me)
    past = (datetime.now(UTC) - timedelta(hours=1)).isoformat()
    late = await client.post(
        "/api/v1/tasks",
        headers=me.headers,
        json={
            "title": "Retornar cliente",
            "priority": "high",
            "due_at": past,
            "contact_id": contact,
        },
    )
    assert late.status_code == 201, late.text
    assert late.json()["overdue"] is True
    await client.post("/api/v1/tasks", headers=me.headers, json={"title": "Sem prazo"})
    overdue = (await client.get("/api/v1/tasks?overdue=true", headers=me.headers)).json()["items"]
    assert [t["title"] for t in overdue] == ["Retornar cliente"]
    by_contact = (
        await client.get(f"/api/v1/tasks?contact_id={contact}", headers=me.headers)
    ).json()
    assert len(by_contact["items"]) == 1
    tid = late.json()["id"]
    done = await client.patch(f"/api/v1/tasks/{tid}", headers=me.headers, json={"status": "done"})
    assert done.json()["closed_at"] is not None and done.json()["overdue"] is False
    assert (await client.get("/api/v1/tasks?status=done", headers=me.headers)).json()["items"][0][
        "id"
    ] == tid
    for payload, field in (
        ({"title": ""}, "body.title"),
        ({"title": "x", "status": "later"}, "body.status"),
        ({"title": "x", "contact_id": str(uuid.uuid4())}, "contact_id"),
    ):
        r = await client.post("/api/v1/tasks", headers=me.headers, json=payload)
        assert r.status_code == 422, payload
        assert field in [e["field"] for e in r.json()["errors"]]
    assert (await client.delete(f"/api/v1/tasks/{tid}", headers=me.headers)).status_code == 204
    assert (await client.get(f"/api/v1/tasks/{tid}", headers=me.headers)).status_code == 404


async def test_lead_routes(client: httpx.AsyncClient, signup: SignUp) -> None:
    me = await signup()
    contact = await _contact(client, me)
    lead = await client.post(
        "/api/v1/leads",
        headers=me.headers,
        json={"contact_id": contact, "value": "2500.5", "currency": "brl", "title": "Plano anual"},
    )
    assert lead.status_code == 201, lead.text
    assert (lead.json()["value"], lead.json()["currency"], lead.json()["stage"]) == (
        "2500.50",
        "BRL",
        "new",
    )
    lid = lead.json()["id"]
    moved = await client.patch(f"/api/v1/leads/{lid}", headers=me.headers, json={"stage": "won"})
    assert moved.json()["won_at"] is not None
    assert moved.json()["last_activity_at"] > lead.json()["last_activity_at"]
    won = (await client.get("/api/v1/leads?stage=won", headers=me.headers)).json()["items"]
    assert [x["id"] for x in won] == [lid]
    for payload, field in (
        ({"contact_id": contact, "value": "10"}, "currency"),
        ({"contact_id": contact, "value": "-1", "currency": "BRL"}, "body.value"),
        ({"contact_id": contact, "currency": "REAL"}, "body.currency"),
        ({"contact_id": str(uuid.uuid4())}, "contact_id"),
        ({"contact_id": contact, "stage": "maybe"}, "body.stage"),
    ):
        r = await client.post("/api/v1/leads", headers=me.headers, json=payload)
        assert r.status_code == 422, (payload, r.text)
        assert field in [e["field"] for e in r.json()["errors"]]
    assert (await client.delete(f"/api/v1/leads/{lid}", headers=me.headers)).status_code == 204
