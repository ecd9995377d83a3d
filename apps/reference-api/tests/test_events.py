"""Domain events reach the outbox once per change, in the change's own transaction."""

from collections.abc import Awaitable, Callable

import asyncpg
import httpx
import pytest

from alfred_reference_api.testing import Account

pytestmark = pytest.mark.anyio
SignUp = Callable[..., Awaitable[Account]]


async def _types(database_url: str) -> list[str]:
    conn = await asyncpg.connect(database_url)
    try:
        rows = await conn.fetch("SELECT type FROM automation_events ORDER BY created_at, type")
        return [r["type"] for r in rows]
    finally:
        await conn.close()


async def test_each_change_records_one_event(
    client: httpx.AsyncClient, signup: SignUp, database_url: str
) -> None:
    me = await signup()
    c = (await client.post("/api/v1/contacts", headers=me.headers, json={"name": "A"})).json()
    await client.patch(f"/api/v1/contacts/{c['id']}", headers=me.headers, json={"name": "B"})
    t = (await client.post("/api/v1/tasks", headers=me.headers, json={"title": "T"})).json()
    await client.patch(f"/api/v1/tasks/{t['id']}", headers=me.headers, json={"status": "done"})
    lead = (
        await client.post("/api/v1/leads", headers=me.headers, json={"contact_id": c["id"]})
    ).json()
    await client.patch(f"/api/v1/leads/{lead['id']}", headers=me.headers, json={"stage": "won"})
    # Exactly one event per change (same-transaction rows share a timestamp: compare sorted).
    assert sorted(await _types(database_url)) == sorted(
        [
            "contact.created",
            "contact.updated",
            "task.created",
            "task.updated",
            "task.completed",
            "lead.created",
            "lead.stage_changed",
        ]
    )


async def test_a_refused_change_records_no_event(
    client: httpx.AsyncClient, signup: SignUp, database_url: str
) -> None:
    me = await signup()
    await client.post(
        "/api/v1/contacts", headers=me.headers, json={"name": "A", "email": "a@x.com"}
    )
    before = await _types(database_url)
    clash = await client.post(
        "/api/v1/contacts", headers=me.headers, json={"name": "B", "email": "a@x.com"}
    )
    bad_link = await client.post(
        "/api/v1/tasks",
        headers=me.headers,
        json={"title": "t", "contact_id": "00000000-0000-0000-0000-000000000000"},
    )
    assert (clash.status_code, bad_link.status_code) == (409, 422)
    assert await _types(database_url) == before == ["contact.created"]


async def test_the_event_envelope_matches_the_readme(
    client: httpx.AsyncClient, signup: SignUp
) -> None:
    me = await signup()
    await client.post("/api/v1/contacts", headers=me.headers, json={"name": "A"})
    events = (await client.get("/api/v1/automations/events", headers=me.headers)).json()["items"]
    assert [e["type"] for e in events] == ["contact.created"]
    assert events[0]["tenant_id"] == str(me.tenant_id)
    assert events[0]["payload"]["display_name"] == "A"
