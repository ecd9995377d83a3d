"""Tenant B never reaches tenant A's CRM rows: 404 on A's ids, none of A's rows in B's lists."""

import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest

from alfred_crm_core import Database, UnitOfWork
from alfred_crm_core.conversation.models import Channel
from alfred_crm_core.conversation.service import ConversationService
from alfred_reference_api.testing import Account

pytestmark = pytest.mark.anyio
SignUp = Callable[..., Awaitable[Account]]

# (method, path template, json body); {contact} {conversation} {task} {lead} are A's ids.
BY_ID: list[tuple[str, str, dict[str, Any] | None]] = [
    ("GET", "/api/v1/contacts/{contact}", None),
    ("PATCH", "/api/v1/contacts/{contact}", {"name": "hijacked"}),
    ("DELETE", "/api/v1/contacts/{contact}", None),
    ("GET", "/api/v1/conversations/{conversation}", None),
    ("PATCH", "/api/v1/conversations/{conversation}", {"status": "resolved"}),
    ("GET", "/api/v1/conversations/{conversation}/messages", None),
    ("POST", "/api/v1/conversations/{conversation}/messages", {"body": "spam"}),
    ("GET", "/api/v1/conversations/{conversation}/comments", None),
    ("POST", "/api/v1/conversations/{conversation}/comments", {"body": "spy"}),
    ("GET", "/api/v1/tasks/{task}", None),
    ("PATCH", "/api/v1/tasks/{task}", {"title": "hijacked"}),
    ("DELETE", "/api/v1/tasks/{task}", None),
    ("GET", "/api/v1/leads/{lead}", None),
    ("PATCH", "/api/v1/leads/{lead}", {"stage": "lost"}),
    ("DELETE", "/api/v1/leads/{lead}", None),
]
LISTS = [
    "/api/v1/contacts",
    "/api/v1/contacts?q=a",
    "/api/v1/conversations",
    "/api/v1/tasks",
    "/api/v1/leads",
]


async def _seed(client: httpx.AsyncClient, db: Database, a: Account) -> dict[str, str]:
    contact = (
        await client.post(
            "/api/v1/contacts", headers=a.headers, json={"name": "Alice A", "email": "a@a.com"}
        )
    ).json()["id"]
    async with db.transaction(a.tenant_id) as s:
        conv, _ = await ConversationService(UnitOfWork(session=s, tenant_id=a.tenant_id)).open_for(
            uuid.UUID(contact), Channel.EMAIL
        )
    task = (
        await client.post(
            "/api/v1/tasks", headers=a.headers, json={"title": "A's task", "contact_id": contact}
        )
    ).json()["id"]
    lead = (
        await client.post("/api/v1/leads", headers=a.headers, json={"contact_id": contact})
    ).json()["id"]
    return {"contact": contact, "conversation": str(conv.id), "task": task, "lead": lead}


@pytest.fixture
async def world(
    client: httpx.AsyncClient, signup: SignUp, db: Database
) -> tuple[Account, Account, dict[str, str]]:
    a, b = await signup(), await signup()
    return a, b, await _seed(client, db, a)


@pytest.mark.parametrize(("method", "path", "body"), BY_ID)
async def test_other_tenants_ids_are_404_and_unchanged(
    client: httpx.AsyncClient,
    world: tuple[Account, Account, dict[str, str]],
    method: str,
    path: str,
    body: dict[str, Any] | None,
) -> None:
    a, b, ids = world
    url = path.format(**ids)
    before = await client.get(url.split("/messages")[0].split("/comments")[0], headers=a.headers)
    r = await client.request(method, url, headers=b.headers, json=body)
    assert r.status_code == 404, r.text
    assert "Alice" not in r.text and "a@a.com" not in r.text
    after = await client.get(url.split("/messages")[0].split("/comments")[0], headers=a.headers)
    assert after.status_code == 200
    assert after.json() == before.json()


@pytest.mark.parametrize("path", LISTS)
async def test_lists_show_only_own_rows(
    client: httpx.AsyncClient, world: tuple[Account, Account, dict[str, str]], path: str
) -> None:
    a, b, _ = world
    own = await client.get(path, headers=a.headers)
    theirs = await client.get(path, headers=b.headers)
    assert own.status_code == theirs.status_code == 200
    assert len(own.json()["items"]) == 1
    assert theirs.json()["items"] == []


async def test_links_to_other_tenants_rows_are_refused(
    client: httpx.AsyncClient, world: tuple[Account, Account, dict[str, str]]
) -> None:
    _, b, ids = world
    for payload in (
        {"title": "t", "contact_id": ids["contact"]},
        {"title": "t", "conversation_id": ids["conversation"]},
        {"title": "t", "lead_id": ids["lead"]},
    ):
        r = await client.post("/api/v1/tasks", headers=b.headers, json=payload)
        assert r.status_code == 422
    r = await client.post("/api/v1/leads", headers=b.headers, json={"contact_id": ids["contact"]})
    assert r.status_code == 422
    assert (await client.get("/api/v1/tasks", headers=b.headers)).json()["items"] == []


async def test_body_tenant_id_is_ignored(client: httpx.AsyncClient, signup: SignUp) -> None:
    a, b = await signup(), await signup()
    r = await client.post(
        "/api/v1/contacts", headers=a.headers, json={"name": "Mine", "tenant_id": str(b.tenant_id)}
    )
    assert r.status_code == 201
    assert (await client.get("/api/v1/contacts", headers=b.headers)).json()["items"] == []
    assert len((await client.get("/api/v1/contacts", headers=a.headers)).json()["items"]) == 1
