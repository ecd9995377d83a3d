"""Tenant B never reaches tenant A's rows through the API (checklist rows 23 to 25).

One table drives every check: `RESOURCES` lists each tenant-scoped resource with how to make one
of A's rows, how A reads it back, the routes that address a row by id, and the routes that list
or search rows. Every later issue appends its resources (contacts, conversations, tasks, leads,
automation destinations, ...); the tests below then cover them without further code.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

from alfred_crm_core import Database, NotificationService, UnitOfWork
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


@dataclass(frozen=True)
class ScopedResource:
    """A tenant-scoped resource.

    Attributes:
        name: For test ids.
        create: Makes a row in `owner`'s tenant and returns its id. `intruder` is the other
            tenant: send its id wherever a body could smuggle one in (`tenant_id`), to prove the
            row still lands in the owner's tenant (row 25).
        read: The owner's view of the row (compared before and after B's attempts).
        by_id: Requests that address one row (GET, PUT, PATCH, DELETE, actions): B gets 404.
        lists: List and search paths (with query strings) answering `{"items": [...]}`.
        bulk: Requests that act on "all my rows" (e.g. read-all): B's must not touch A's rows.
    """

    name: str
    create: Callable[[World, Account, Account], Awaitable[str]]
    read: Callable[[World, Account, str], Awaitable[dict[str, Any]]]
    by_id: tuple[Call, ...] = ()
    lists: tuple[str, ...] = ()
    bulk: tuple[Call, ...] = field(default_factory=tuple)


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
    r = await world.client.post(
        "/api/v1/api-keys",
        headers=owner.headers,
        json={"name": f"key-of-{owner.tenant_id}", "tenant_id": str(intruder.tenant_id)},
    )
    assert r.status_code == 201, r.text
    key_id: str = r.json()["id"]
    return key_id


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


async def _create_destination(world: World, owner: Account, intruder: Account) -> str:
    r = await world.client.post(
        "/api/v1/automations/destinations",
        headers=owner.headers,
        json={
            "name": f"hook-of-{owner.tenant_id}",
            "url": "http://127.0.0.1:9/hook",  # never delivered to: no event matches
            "event_types": ["never.happens"],
            "tenant_id": str(intruder.tenant_id),
        },
    )
    assert r.status_code == 201, r.text
    dest_id: str = r.json()["id"]
    return dest_id


async def _read_destination(world: World, owner: Account, row_id: str) -> dict[str, Any]:
    r = await world.client.get(f"/api/v1/automations/destinations/{row_id}", headers=owner.headers)
    return dict(r.json())


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
    r = await world.client.get(f"/api/v1/automations/deliveries/{row_id}", headers=owner.headers)
    return dict(r.json())


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
    # Issue 4's contacts, conversations (+ messages, comments), tasks and leads are in
    # test_crm_cross_tenant.py; issue 6 appends the automation destinations.
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
    r = await world.client.request(
        call.method,
        call.path.format(id=row_id),
        headers=world.b.headers,
        json=call.json,
    )
    assert r.status_code == 404, r.text
    assert r.json()["code"] == "not_found"
    for value in before.values():  # nothing of A's row comes back, not even echoed
        if isinstance(value, str) and len(value) > 8 and value != row_id:
            assert value not in r.text
    assert await resource.read(world, world.a, row_id) == before


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
