"""Channel ingestion through `POST /api/v1/webhooks/{channel}`."""

import asyncio
import json
from collections.abc import Awaitable, Callable
from typing import Any

import asyncpg
import httpx
import pytest

from alfred_reference_api.testing import Account

pytestmark = pytest.mark.anyio
SignUp = Callable[..., Awaitable[Account]]

README_EMAIL = {
    "message_id": "123",
    "from": "customer@example.com",
    "from_name": "Customer",
    "body": "Need pricing",
    "sent_at": "2024-05-01T12:00:00Z",
}


async def _counts(database_url: str) -> dict[str, int]:
    conn = await asyncpg.connect(database_url)
    try:
        return {
            t: await conn.fetchval(f"SELECT count(*) FROM {t}")  # fixed names
            for t in ("contacts", "conversations", "messages", "leads")
        }
    finally:
        await conn.close()


async def test_readme_email_payload_creates_everything_once(
    client: httpx.AsyncClient, signup: SignUp, database_url: str
) -> None:
    me = await signup()
    first = await client.post("/api/v1/webhooks/email", headers=me.headers, json=README_EMAIL)
    assert first.status_code == 201, first.text
    body = first.json()
    assert body["duplicate"] is False
    msg = body["message"]
    assert (msg["external_id"], msg["direction"], msg["channel"]) == ("123", "inbound", "email")
    assert msg["triage"]["intent"] == "pricing"
    assert {
        "intent",
        "sentiment",
        "priority",
        "language",
        "lead_score",
        "signals",
        "explanation",
        "provider",
    } <= set(msg["triage"])
    contact = (
        await client.get(f"/api/v1/contacts/{body['contact_id']}", headers=me.headers)
    ).json()
    assert (contact["name"], contact["email"]) == ("Customer", "customer@example.com")
    conv = (
        await client.get(f"/api/v1/conversations/{body['conversation_id']}", headers=me.headers)
    ).json()
    assert conv["latest_intent"] == "pricing" and conv["channel"] == "email"
    assert body["lead_id"] is not None  # pricing interest opens a lead
    assert await _counts(database_url) == {
        "contacts": 1,
        "conversations": 1,
        "messages": 1,
        "leads": 1,
    }

    again = await client.post("/api/v1/webhooks/email", headers=me.headers, json=README_EMAIL)
    assert again.status_code == 200
    assert again.json()["duplicate"] is True
    assert again.json()["message"]["id"] == msg["id"]
    assert await _counts(database_url) == {
        "contacts": 1,
        "conversations": 1,
        "messages": 1,
        "leads": 1,
    }


async def test_sixteen_concurrent_copies_store_one_message(
    client: httpx.AsyncClient, signup: SignUp, database_url: str
) -> None:
    me = await signup()
    payload = {**README_EMAIL, "message_id": "burst-1"}
    answers = await asyncio.gather(
        *(
            client.post("/api/v1/webhooks/email", headers=me.headers, json=payload)
            for _ in range(16)
        )
    )
    statuses = sorted(a.status_code for a in answers)
    assert statuses == [200] * 15 + [201]
    assert len({a.json()["message"]["id"] for a in answers}) == 1
    counts = await _counts(database_url)
    assert (counts["messages"], counts["contacts"], counts["conversations"]) == (1, 1, 1)


async def test_the_same_id_on_another_channel_is_another_message(
    client: httpx.AsyncClient, signup: SignUp
) -> None:
    me = await signup()
    a = await client.post("/api/v1/webhooks/email", headers=me.headers, json=README_EMAIL)
    b = await client.post(
        "/api/v1/webhooks/sms",
        headers=me.headers,
        json={**README_EMAIL, "from": "+55 11 91234-5678"},
    )
    assert (a.status_code, b.status_code) == (201, 201)
    assert a.json()["contact_id"] != b.json()["contact_id"]


@pytest.mark.parametrize(
    ("channel", "sender", "field", "expected"),
    [
        ("whatsapp", "5511987654321", "phone", "+5511987654321"),
        ("sms", "(21) 99876-5432", "phone", "+5521998765432"),
        ("webchat", "sess_8f3a2c", "attributes", {"webchat_session": "sess_8f3a2c"}),
        ("webchat", "Visitor@Example.com", "email", "visitor@example.com"),
    ],
)
async def test_other_channels_take_a_phone_or_session_in_from(
    client: httpx.AsyncClient, signup: SignUp, channel: str, sender: str, field: str, expected: Any
) -> None:
    me = await signup()
    payload = {**README_EMAIL, "from": sender, "body": "Oi, quero agendar uma visita amanhã"}
    first = await client.post(f"/api/v1/webhooks/{channel}", headers=me.headers, json=payload)
    second = await client.post(
        f"/api/v1/webhooks/{channel}", headers=me.headers, json={**payload, "message_id": "124"}
    )
    assert (first.status_code, second.status_code) == (201, 201), first.text
    assert first.json()["contact_id"] == second.json()["contact_id"]
    assert first.json()["conversation_id"] == second.json()["conversation_id"]
    contact = (
        await client.get(f"/api/v1/contacts/{first.json()['contact_id']}", headers=me.headers)
    ).json()
    assert contact[field] == expected


async def test_in_reply_to_threads_into_the_referenced_conversation(
    client: httpx.AsyncClient, signup: SignUp
) -> None:
    me = await signup()
    first = (
        await client.post("/api/v1/webhooks/email", headers=me.headers, json=README_EMAIL)
    ).json()
    reply = await client.post(
        "/api/v1/webhooks/email",
        headers=me.headers,
        json={
            **README_EMAIL,
            "message_id": "125",
            "in_reply_to": "123",
            "subject": "Re: preços",
            "sent_at": "2024-05-01T12:05:00Z",
        },
    )
    assert reply.json()["conversation_id"] == first["conversation_id"]
    msgs = (
        await client.get(
            f"/api/v1/conversations/{first['conversation_id']}/messages", headers=me.headers
        )
    ).json()["items"]
    assert [m["external_id"] for m in msgs] == ["125", "123"]
    assert all(m["triage"] for m in msgs)


async def test_unknown_channel_is_404(client: httpx.AsyncClient, signup: SignUp) -> None:
    me = await signup()
    r = await client.post("/api/v1/webhooks/fax", headers=me.headers, json=README_EMAIL)
    assert r.status_code == 404
    assert r.headers["content-type"] == "application/problem+json"


@pytest.mark.parametrize(
    ("channel", "content", "field"),
    [
        ("email", {k: v for k, v in README_EMAIL.items() if k != "message_id"}, "body.message_id"),
        ("email", {k: v for k, v in README_EMAIL.items() if k != "from"}, "body.from"),
        ("email", {**README_EMAIL, "body": ""}, "body.body"),
        ("email", {**README_EMAIL, "sent_at": "yesterday"}, "body.sent_at"),
        ("email", {**README_EMAIL, "sent_at": "2024-05-01T12:00:00"}, "body.sent_at"),
        ("email", {**README_EMAIL, "message_id": 123}, "body.message_id"),
        ("email", {**README_EMAIL, "from": "not an address"}, "from"),
        ("whatsapp", {**README_EMAIL, "from": "12"}, "from"),
        ("email", [README_EMAIL], "body"),
    ],
)
async def test_bad_input_is_422_and_stores_nothing(
    client: httpx.AsyncClient,
    signup: SignUp,
    database_url: str,
    channel: str,
    content: Any,
    field: str,
) -> None:
    me = await signup()
    r = await client.post(f"/api/v1/webhooks/{channel}", headers=me.headers, json=content)
    assert r.status_code == 422, r.text
    assert field in [e["field"] for e in r.json()["errors"]]
    assert await _counts(database_url) == {
        "contacts": 0,
        "conversations": 0,
        "messages": 0,
        "leads": 0,
    }


async def test_malformed_json_and_oversize_bodies_store_nothing(
    client: httpx.AsyncClient, signup: SignUp, database_url: str
) -> None:
    me = await signup()
    headers = {**me.headers, "content-type": "application/json"}
    broken = await client.post(
        "/api/v1/webhooks/email", headers=headers, content=b'{"message_id": '
    )
    huge = await client.post(
        "/api/v1/webhooks/email",
        headers=headers,
        content=json.dumps({**README_EMAIL, "body": "x" * (2 * 1024 * 1024)}).encode(),
    )
    assert (broken.status_code, huge.status_code) == (422, 413)
    assert await _counts(database_url) == {
        "contacts": 0,
        "conversations": 0,
        "messages": 0,
        "leads": 0,
    }


async def test_payload_tenant_claims_are_ignored(client: httpx.AsyncClient, signup: SignUp) -> None:
    a, b = await signup(), await signup()
    r = await client.post(
        "/api/v1/webhooks/email",
        headers=a.headers,
        json={**README_EMAIL, "tenant_id": str(b.tenant_id)},
    )
    assert r.status_code == 201
    assert (await client.get("/api/v1/conversations", headers=b.headers)).json()["items"] == []
    assert len((await client.get("/api/v1/conversations", headers=a.headers)).json()["items"]) == 1


@pytest.mark.parametrize("auth", [None, "Bearer nope", "Basic Zm9vOmJhcg=="])
async def test_ingestion_needs_a_valid_token(
    client: httpx.AsyncClient, database_url: str, auth: str | None
) -> None:
    headers = {"Authorization": auth} if auth else {}
    r = await client.post("/api/v1/webhooks/email", headers=headers, json=README_EMAIL)
    assert r.status_code == 401
    assert await _counts(database_url) == {
        "contacts": 0,
        "conversations": 0,
        "messages": 0,
        "leads": 0,
    }


async def test_conversations_filter_by_latest_triage(
    client: httpx.AsyncClient, signup: SignUp
) -> None:
    me = await signup()
    await client.post("/api/v1/webhooks/email", headers=me.headers, json=README_EMAIL)
    await client.post(
        "/api/v1/webhooks/whatsapp",
        headers=me.headers,
        json={
            **README_EMAIL,
            "message_id": "w1",
            "from": "+5511900001111",
            "body": "Quero cancelar minha assinatura, péssimo atendimento!",
        },
    )
    pricing = (await client.get("/api/v1/conversations?intent=pricing", headers=me.headers)).json()
    assert [c["channel"] for c in pricing["items"]] == ["email"]
    bad = await client.get("/api/v1/conversations?intent=gossip", headers=me.headers)
    assert bad.status_code == 422


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("body", "hello \u0000 world"),
        ("subject", "a\u0000b"),
        ("from_name", "Ana\u0000"),
        ("message_id", "id\u0000"),
    ],
)
async def test_a_nul_character_is_a_422_problem_and_stores_nothing(
    client: httpx.AsyncClient, signup: SignUp, database_url: str, field: str, value: str
) -> None:
    # PostgreSQL text cannot hold U+0000: the request is refused whole, never a 500.
    me = await signup()
    before = await _counts(database_url)
    r = await client.post(
        "/api/v1/webhooks/email", json={**README_EMAIL, field: value}, headers=me.headers
    )
    assert r.status_code == 422, r.text
    assert r.headers["content-type"] == "application/problem+json"
    assert r.json()["code"] == "unstorable_value"
    assert "NUL" in r.json()["detail"]
    assert await _counts(database_url) == before
