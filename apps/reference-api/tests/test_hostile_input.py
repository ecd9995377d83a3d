"""Hostile input found by a black-box probe: each answers 4xx problem+json and writes nothing."""

import asyncio
import json
import time
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest

from alfred_automation.testing import Receiver, callback_headers
from alfred_reference_api.testing import Account

pytestmark = pytest.mark.anyio
SignUp = Callable[..., Awaitable[Account]]


def nested(depth: int) -> object:
    value: object = 1
    for _ in range(depth):
        value = {"a": value}
    return value


async def _contact(client: httpx.AsyncClient, me: Account) -> str:
    r = await client.post(
        "/api/v1/contacts", json={"name": "Ana", "email": "ana@x.io"}, headers=me.headers
    )
    assert r.status_code == 201, r.text
    contact_id: str = r.json()["id"]
    return contact_id


async def test_json_nested_too_deep_is_a_422_and_the_tenant_keeps_working(
    client: httpx.AsyncClient, signup: SignUp
) -> None:
    # Stored, it would no longer serialise on the way out (pydantic stops near 255 levels).
    me = await signup()
    contact = await _contact(client, me)
    for depth in (40, 300):
        r = await client.patch(
            f"/api/v1/contacts/{contact}", json={"attributes": nested(depth)}, headers=me.headers
        )
        assert r.status_code == 422, r.text
        assert r.json()["errors"][0]["field"] == "body.attributes"
        r = await client.post(
            "/api/v1/automations/events",
            json={"type": "x.y", "payload": nested(depth)},
            headers=me.headers,
        )
        assert r.status_code == 422, r.text
    ok = await client.patch(
        f"/api/v1/contacts/{contact}", json={"attributes": nested(30)}, headers=me.headers
    )
    assert ok.status_code == 200, ok.text
    for path in ("/api/v1/contacts", f"/api/v1/contacts/{contact}", "/api/v1/automations/events"):
        assert (await client.get(path, headers=me.headers)).status_code == 200


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("POST", "/api/v1/tasks", {"title": "t", "due_at": "2026-12-01T10:00:00"}),
        (
            "PATCH",
            "/api/v1/conversations/{conv}",
            {"status": "snoozed", "snoozed_until": "2027-06-01T00:00:00"},
        ),
    ],
)
async def test_a_time_without_a_zone_is_a_422(
    client: httpx.AsyncClient, signup: SignUp, method: str, path: str, body: dict[str, Any]
) -> None:
    me = await signup()
    ingested = await client.post(
        "/api/v1/webhooks/email",
        json={
            "message_id": "m1",
            "from": "c@x.io",
            "body": "oi",
            "sent_at": "2026-11-26T12:00:00Z",
        },
        headers=me.headers,
    )
    conv = ingested.json()["conversation_id"]
    r = await client.request(method, path.format(conv=conv), json=body, headers=me.headers)
    assert r.status_code == 422, r.text
    assert r.headers["content-type"] == "application/problem+json"
    assert (await client.get("/api/v1/tasks", headers=me.headers)).json()["items"] == []
    after = await client.get(f"/api/v1/conversations/{conv}", headers=me.headers)
    assert after.json()["status"] == "open"


@pytest.mark.parametrize(("username", "password"), [("u" * 321, "secret"), ("a@x.io", "p" * 1025)])
async def test_the_login_form_refuses_oversized_fields_with_a_422(
    client: httpx.AsyncClient, username: str, password: str
) -> None:
    r = await client.post("/api/v1/auth/token", data={"username": username, "password": password})
    assert r.status_code == 422, r.text
    assert r.headers["content-type"] == "application/problem+json"


@pytest.mark.parametrize("kind", ["contacts", "tasks", "leads"])
async def test_concurrent_deletes_succeed_once_and_emit_one_event(
    client: httpx.AsyncClient, signup: SignUp, kind: str
) -> None:
    me = await signup()
    contact = await _contact(client, me)
    bodies = {"contacts": None, "tasks": {"title": "T"}, "leads": {"contact_id": contact}}
    row = contact
    if bodies[kind] is not None:
        created = await client.post(f"/api/v1/{kind}", json=bodies[kind], headers=me.headers)
        assert created.status_code == 201, created.text
        row = created.json()["id"]
    answers = await asyncio.gather(
        *(client.delete(f"/api/v1/{kind}/{row}", headers=me.headers) for _ in range(8))
    )
    assert sorted(a.status_code for a in answers) == [204] + [404] * 7
    events = await client.get(
        "/api/v1/automations/events", params={"type": f"{kind[:-1]}.deleted"}, headers=me.headers
    )
    assert len(events.json()["items"]) == 1


async def test_concurrent_lead_updates_never_leave_won_at_on_an_open_stage(
    client: httpx.AsyncClient, signup: SignUp
) -> None:
    me = await signup()
    contact = await _contact(client, me)
    lead = (
        await client.post("/api/v1/leads", json={"contact_id": contact}, headers=me.headers)
    ).json()["id"]
    stages = ["won", "qualified", "proposal", "won", "qualified", "won", "proposal", "qualified"]
    await asyncio.gather(
        *(
            client.patch(f"/api/v1/leads/{lead}", json={"stage": s}, headers=me.headers)
            for s in stages
        )
    )
    final = (await client.get(f"/api/v1/leads/{lead}", headers=me.headers)).json()
    assert (final["stage"] == "won") == (final["won_at"] is not None)


async def test_a_callback_nested_beyond_reason_is_a_422(
    client: httpx.AsyncClient, signup: SignUp
) -> None:
    me = await signup()
    async with Receiver() as receiver:
        dest = (
            await client.post(
                "/api/v1/automations/destinations",
                json={"name": "n8n", "url": receiver.url, "event_types": ["*"]},
                headers=me.headers,
            )
        ).json()
    raw = ("[" * 10_000 + "]" * 10_000).encode()
    headers = callback_headers(
        dest["secret"],
        destination_id=dest["id"],
        event_id=str(uuid.uuid4()),
        body=raw,
        timestamp=int(time.time()),
    )
    r = await client.post("/api/v1/automations/callbacks", headers=headers, content=raw)
    assert r.status_code == 422, r.text
    assert json.loads(r.text)["code"] == "invalid_json"
