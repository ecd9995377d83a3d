"""Tenant B never reaches tenant A's rows through the API (checklist rows 23 to 25).

One table drives every check: `RESOURCES` lists each tenant-scoped resource with how to make one
of A's rows, how A reads it back, the routes that address a row by id, and the routes that list
or search rows. Every later issue appends its resources (contacts, conversations, tasks, leads,
automation destinations, ...); the tests below then cover them without further code. Two more
tests cover what a table row cannot: links to the other tenant's rows, and a body `tenant_id`.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

from alfred_crm_core import Database, NotificationService, UnitOfWork
from alfred_crm_core.conversation.models import Channel
from alfred_crm_core.conversation.service import ConversationService
from alfred_reference_api.testing import Account

pytestmark = pytest.mark.anyio

Signup = Callable[..., Awaitable[Account]]


@dataclass(frozen=True)
class World:
    """What a resource's callbacks may use: the API, the database, tenant A and tenant B."""

    client: httpx.AsyncClient
    db: Database
    a: Account
    b: Account


@dataclass(frozen=True)
class Call:
    """One request that addresses a row by id: `{id}` in the path is replaced by it."""

    method: str
    path: str
    json: dict[str, Any] | None = None


Create = Callable[[World, Account, Account], Awaitable[str]]
Read = Callable[[World, Account, str], Awaitable[dict[str, Any]]]


@dataclass(frozen=True)
class ScopedResource:
    """A tenant-scoped resource.

    Attributes:
        name: For test ids.
        create: Makes a row in `owner`'s tenant and returns its id. `intruder` is the other
            tenant: send its id wherever a body could smuggle one in (`tenant_id`), to prove the
            row still lands in the owner's tenant (row 25).
        read: The owner's view of the row, and of the rows it holds or links to (compared
            before and after B's attempts; none of its text may come back to B).
        by_id: Requests that address one row (GET, PUT, PATCH, DELETE, actions): B gets 404.
        lists: List and search paths (with query strings) answering `{"items": [...]}`.
        bulk: Requests that act on "all my rows" (e.g. read-all): B's must not touch A's rows.
    """

    name: str
    create: Create
    read: Read
    by_id: tuple[Call, ...] = ()
    lists: tuple[str, ...] = ()
    bulk: tuple[Call, ...] = field(default_factory=tuple)


async def _get(world: World, owner: Account, path: str) -> dict[str, Any]:
    r = await world.client.get(path, headers=owner.headers)
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


async def _post(world: World, owner: Account, path: str, body: dict[str, Any]) -> str:
    """POST `body` to `path` as `owner`; answers the new row's id."""
    r = await world.client.post(path, headers=owner.headers, json=body)
    assert r.status_code == 201, r.text
    row_id: str = r.json()["id"]
    return row_id


async def _create_notification(world: World, owner: Account, intruder: Account) -> str:
    async with world.db.transaction(owner.tenant_id) as session:
        uow = UnitOfWork(session=session, tenant_id=owner.tenant_id)
        row = await NotificationService(uow).notify(
            user_id=owner.user_id,
            type="task_overdue",
            entity_type="task",
            entity_id=uuid.uuid4(),
            title=f"secret-of-{owner.tenant_id}",
            message="A's private alert",
        )
    return str(row.id)


async def _read_notification(world: World, owner: Account, row_id: str) -> dict[str, Any]:
    r = await world.client.get("/api/v1/notifications", headers=owner.headers)
    (row,) = [n for n in r.json()["items"] if n["id"] == row_id]
    return dict(row)


async def _create_api_key(world: World, owner: Account, intruder: Account) -> str:
    return await _post(
        world,
        owner,
        "/api/v1/api-keys",
        {"name": f"key-of-{owner.tenant_id}", "tenant_id": str(intruder.tenant_id)},
    )


async def _read_api_key(world: World, owner: Account, row_id: str) -> dict[str, Any]:
    r = await world.client.get("/api/v1/api-keys", headers=owner.headers)
    (row,) = [k for k in r.json()["items"] if k["id"] == row_id]
    return dict(row)


async def _create_consented_contact(world: World, owner: Account, intruder: Account) -> str:
    """A contact with a consent for financial inference and one stored income inference."""
    r = await world.client.post(
        "/api/v1/contacts",
        headers=owner.headers,
        json={
            "name": f"consenting-{owner.tenant_id}",
            "attributes": {"company_size": 600},
            "tenant_id": str(intruder.tenant_id),
        },
    )
    contact_id: str = r.json()["id"]
    consent = f"/api/v1/contacts/{contact_id}/consents/financial_inference"
    grant = {"purpose_text_version": "2026-11", "source": "whatsapp"}
    assert (await world.client.put(consent, headers=owner.headers, json=grant)).status_code == 201
    inference = await world.client.post(
        f"/api/v1/contacts/{contact_id}/inferences/income",
        headers=owner.headers,
        json={"body": "Qual o preço?"},
    )
    assert inference.status_code == 200, inference.text
    return contact_id


async def _read_consents(world: World, owner: Account, contact_id: str) -> dict[str, Any]:
    history = await world.client.get(
        f"/api/v1/contacts/{contact_id}/consents", headers=owner.headers
    )
    inferences = await world.client.get(
        f"/api/v1/contacts/{contact_id}/inferences", headers=owner.headers
    )
    return {"consents": history.json(), "inferences": inferences.json()}


async def _create_contact(world: World, owner: Account, intruder: Account) -> str:
    return await _post(
        world,
        owner,
        "/api/v1/contacts",
        {
            "name": f"Alice of {owner.tenant_id}",  # "a" in it: `?q=a` finds it
            "email": f"alice-{uuid.uuid4().hex[:12]}@example.com",
            "tenant_id": str(intruder.tenant_id),
        },
    )


async def _read_contact(world: World, owner: Account, row_id: str) -> dict[str, Any]:
    return await _get(world, owner, f"/api/v1/contacts/{row_id}")


async def _create_conversation(world: World, owner: Account, intruder: Account) -> str:
    contact_id = await _create_contact(world, owner, intruder)
    async with world.db.transaction(owner.tenant_id) as session:
        uow = UnitOfWork(session=session, tenant_id=owner.tenant_id)
        conversation, _ = await ConversationService(uow).open_for(
            uuid.UUID(contact_id), Channel.EMAIL
        )
    return str(conversation.id)


async def _read_conversation(world: World, owner: Account, row_id: str) -> dict[str, Any]:
    """The conversation, its messages and comments, and its contact."""
    path = f"/api/v1/conversations/{row_id}"
    conversation = await _get(world, owner, path)
    return {
        "conversation": conversation,
        "messages": await _get(world, owner, f"{path}/messages"),
        "comments": await _get(world, owner, f"{path}/comments"),
        "contact": await _read_contact(world, owner, conversation["contact_id"]),
    }


def _linked_to_a_contact(path: str, title: str) -> tuple[Create, Read]:
    """How to make and read a row at `path` (tasks, leads) that links to a contact of its own."""

    async def create(world: World, owner: Account, intruder: Account) -> str:
        contact_id = await _create_contact(world, owner, intruder)
        body = {"title": title, "contact_id": contact_id, "tenant_id": str(intruder.tenant_id)}
        return await _post(world, owner, path, body)

    async def read(world: World, owner: Account, row_id: str) -> dict[str, Any]:
        row = await _get(world, owner, f"{path}/{row_id}")
        return {"row": row, "contact": await _read_contact(world, owner, row["contact_id"])}

    return create, read


_create_task, _read_task = _linked_to_a_contact("/api/v1/tasks", "A's private task")
_create_lead, _read_lead = _linked_to_a_contact("/api/v1/leads", "A's private lead")


async def _create_destination(world: World, owner: Account, intruder: Account) -> str:
    return await _post(
        world,
        owner,
        "/api/v1/automations/destinations",
        {
            "name": f"hook-of-{owner.tenant_id}",
            "url": "http://127.0.0.1:9/hook",  # never delivered to: no event matches
            "event_types": ["never.happens"],
            "tenant_id": str(intruder.tenant_id),
        },
    )


async def _read_destination(world: World, owner: Account, row_id: str) -> dict[str, Any]:
    return await _get(world, owner, f"/api/v1/automations/destinations/{row_id}")


async def _create_delivery(world: World, owner: Account, intruder: Account) -> str:
    await world.client.post(
        "/api/v1/automations/destinations",
        headers=owner.headers,
        json={"name": "d", "url": "http://127.0.0.1:9/hook", "event_types": ["probe.sent"]},
    )
    r = await world.client.post(
        "/api/v1/automations/events",
        headers=owner.headers,
        json={"type": "probe.sent", "payload": {"secret": f"of-{owner.tenant_id}"}},
    )
    deliveries = await world.client.get(
        "/api/v1/automations/deliveries",
        headers=owner.headers,
        params={"event_id": r.json()["id"]},
    )
    delivery_id: str = deliveries.json()["items"][0]["id"]
    return delivery_id


async def _read_delivery(world: World, owner: Account, row_id: str) -> dict[str, Any]:
    return await _get(world, owner, f"/api/v1/automations/deliveries/{row_id}")


def _get_patch_delete(path: str, patch: dict[str, Any]) -> tuple[Call, ...]:
    """GET, PATCH (with body `patch`) and DELETE on one row's `path`."""
    return (Call("GET", path), Call("PATCH", path, patch), Call("DELETE", path))


RESOURCES: list[ScopedResource] = [
    ScopedResource(
        name="notification",
        create=_create_notification,
        read=_read_notification,
        by_id=(Call("POST", "/api/v1/notifications/{id}/read"),),
        lists=(
            "/api/v1/notifications",
            "/api/v1/notifications?unread=true",
            "/api/v1/notifications?limit=1",
        ),
        bulk=(Call("POST", "/api/v1/notifications/read-all"),),
    ),
    ScopedResource(
        name="api-key",
        create=_create_api_key,
        read=_read_api_key,
        by_id=(Call("DELETE", "/api/v1/api-keys/{id}"),),
        lists=("/api/v1/api-keys", "/api/v1/api-keys?limit=1"),
    ),
    ScopedResource(
        name="contact-consent",
        create=_create_consented_contact,
        read=_read_consents,
        by_id=(
            Call("GET", "/api/v1/contacts/{id}/consents"),
            Call(
                "PUT",
                "/api/v1/contacts/{id}/consents/financial_inference",
                {"purpose_text_version": "2026-11", "source": "email"},
            ),
            Call("DELETE", "/api/v1/contacts/{id}/consents/financial_inference"),
            Call("POST", "/api/v1/contacts/{id}/inferences/income", {"body": "Qual o preço?"}),
            Call("POST", "/api/v1/contacts/{id}/inferences/income", {}),
            Call("GET", "/api/v1/contacts/{id}/inferences"),
        ),
    ),
    # Issue 4: contacts, conversations (with their messages and comments), tasks and leads.
    ScopedResource(
        name="contact",
        create=_create_contact,
        read=_read_contact,
        by_id=_get_patch_delete("/api/v1/contacts/{id}", {"name": "hijacked"}),
        lists=("/api/v1/contacts", "/api/v1/contacts?q=a"),
    ),
    ScopedResource(
        name="conversation",
        create=_create_conversation,
        read=_read_conversation,
        by_id=(
            Call("GET", "/api/v1/conversations/{id}"),
            Call("PATCH", "/api/v1/conversations/{id}", {"status": "resolved"}),
            Call("GET", "/api/v1/conversations/{id}/messages"),
            Call("POST", "/api/v1/conversations/{id}/messages", {"body": "spam"}),
            Call("GET", "/api/v1/conversations/{id}/comments"),
            Call("POST", "/api/v1/conversations/{id}/comments", {"body": "spy"}),
        ),
        lists=("/api/v1/conversations",),
    ),
    ScopedResource(
        name="task",
        create=_create_task,
        read=_read_task,
        by_id=_get_patch_delete("/api/v1/tasks/{id}", {"title": "hijacked"}),
        lists=("/api/v1/tasks",),
    ),
    ScopedResource(
        name="lead",
        create=_create_lead,
        read=_read_lead,
        by_id=_get_patch_delete("/api/v1/leads/{id}", {"stage": "lost"}),
        lists=("/api/v1/leads",),
    ),
    # Issue 6: automation destinations and their deliveries.
    ScopedResource(
        name="automation destination",
        create=_create_destination,
        read=_read_destination,
        by_id=(
            Call("GET", "/api/v1/automations/destinations/{id}"),
            Call("PATCH", "/api/v1/automations/destinations/{id}", {"name": "hijacked"}),
            Call("DELETE", "/api/v1/automations/destinations/{id}"),
            Call("POST", "/api/v1/automations/destinations/{id}/rotate-secret"),
            Call("GET", "/v1/automations/destinations/{id}"),
        ),
        lists=("/api/v1/automations/destinations", "/v1/automations/destinations"),
    ),
    ScopedResource(
        name="automation delivery",
        create=_create_delivery,
        read=_read_delivery,
        by_id=(
            Call("GET", "/api/v1/automations/deliveries/{id}"),
            Call("GET", "/api/v1/automations/deliveries/{id}/attempts"),
            Call("POST", "/api/v1/automations/deliveries/{id}/redeliver"),
        ),
        lists=("/api/v1/automations/deliveries",),
    ),
]


def _cases(kind: str) -> list[Any]:
    return [
        pytest.param(resource, call, id=f"{resource.name}-{call.method}-{call.path}")
        for resource in RESOURCES
        for call in getattr(resource, kind)
    ]


@pytest.fixture
async def world(client: httpx.AsyncClient, db: Database, signup: Signup) -> World:
    return World(client=client, db=db, a=await signup(), b=await signup())


@pytest.mark.parametrize(("resource", "call"), _cases("by_id"))
async def test_b_gets_404_on_as_row_and_the_row_is_unchanged(  # row 23
    world: World, resource: ScopedResource, call: Call
) -> None:
    row_id = await resource.create(world, world.a, world.b)
    before = await resource.read(world, world.a, row_id)
    path = call.path.format(id=row_id)
    r = await world.client.request(call.method, path, headers=world.b.headers, json=call.json)
    assert r.status_code == 404, r.text
    assert r.json()["code"] == "not_found"
    sent = path + json.dumps(call.json)  # B may see again what it sent (the id in the path)
    for value in _strings(before):  # but nothing else of A's rows, not even echoed
        if len(value) > 8 and value not in sent:
            assert value not in r.text
    assert await resource.read(world, world.a, row_id) == before


def _strings(value: object) -> Iterator[str]:
    """Every string in a JSON value, at any depth."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


@pytest.mark.parametrize(
    ("resource", "path"),
    [
        pytest.param(resource, path, id=f"{resource.name}-{path}")
        for resource in RESOURCES
        for path in resource.lists
    ],
)
async def test_lists_show_each_tenant_only_its_own_rows(  # rows 24 and 25
    world: World, resource: ScopedResource, path: str
) -> None:
    a_row = await resource.create(world, world.a, world.b)
    b_row = await resource.create(world, world.b, world.a)
    seen_by_b = {item["id"] for item in (await _list(world, world.b, path))}
    seen_by_a = {item["id"] for item in (await _list(world, world.a, path))}
    assert a_row not in seen_by_b and b_row not in seen_by_a
    assert not seen_by_a & seen_by_b
    if "limit=1" not in path:
        assert a_row in seen_by_a and b_row in seen_by_b


async def _list(world: World, who: Account, path: str) -> list[dict[str, Any]]:
    r = await world.client.get(path, headers=who.headers)
    assert r.status_code == 200, r.text
    items: list[dict[str, Any]] = r.json()["items"]
    return items


@pytest.mark.parametrize(("resource", "call"), _cases("bulk"))
async def test_bs_bulk_actions_leave_as_rows_alone(
    world: World, resource: ScopedResource, call: Call
) -> None:
    row_id = await resource.create(world, world.a, world.b)
    before = await resource.read(world, world.a, row_id)
    r = await world.client.request(call.method, call.path, headers=world.b.headers, json=call.json)
    assert r.status_code < 300, r.text
    assert await resource.read(world, world.a, row_id) == before


async def test_links_to_the_other_tenants_rows_are_refused(world: World) -> None:
    contact = await _create_contact(world, world.a, world.b)
    conversation = await _create_conversation(world, world.a, world.b)
    lead = await _create_lead(world, world.a, world.b)
    for path, payload in (
        ("/api/v1/tasks", {"title": "t", "contact_id": contact}),
        ("/api/v1/tasks", {"title": "t", "conversation_id": conversation}),
        ("/api/v1/tasks", {"title": "t", "lead_id": lead}),
        ("/api/v1/leads", {"contact_id": contact}),
    ):
        r = await world.client.post(path, headers=world.b.headers, json=payload)
        assert r.status_code == 422, r.text
    assert await _list(world, world.b, "/api/v1/tasks") == []
    assert await _list(world, world.b, "/api/v1/leads") == []


async def test_a_tenant_id_in_the_body_is_ignored(world: World) -> None:  # row 25
    r = await world.client.post(
        "/api/v1/contacts",
        headers=world.a.headers,
        json={"name": "Mine", "tenant_id": str(world.b.tenant_id)},
    )
    assert r.status_code == 201, r.text
    assert await _list(world, world.b, "/api/v1/contacts") == []
    assert [c["id"] for c in await _list(world, world.a, "/api/v1/contacts")] == [r.json()["id"]]
