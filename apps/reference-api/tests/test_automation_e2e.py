"""The README's "Checklist E2E (Alfred <-> Activepieces)", against a real receiver on 127.0.0.1.

The receiver plays the automation platform: it gets Alfred's signed events, and the test sends
signed callbacks back as a flow's HTTP step would.
"""

import asyncio
import hashlib
import hmac
import json
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping

import httpx
import pytest
from standardwebhooks import Webhook

from alfred_automation import DeliveryStatus
from alfred_automation.testing import Receiver, Reply, callback_headers
from alfred_crm_core import Database
from alfred_reference_api import Settings, bootstrap
from alfred_reference_api.jobs import JobContext
from alfred_reference_api.testing import Account, sign_up
from alfred_reference_api.worker import Worker

pytestmark = pytest.mark.anyio
SignUp = Callable[..., Awaitable[Account]]
EMAIL = {
    "message_id": "e2e-1",
    "from": "cliente@example.com.br",
    "from_name": "Cliente",
    "body": "Olá, qual o preço do plano anual?",
    "sent_at": "2026-11-26T12:00:00Z",
}


@pytest.fixture
def settings(settings: Settings) -> Settings:
    # Retries within a second, so the checklist's retry step runs in test time.
    return settings.model_copy(
        update={"automation_retry_base_seconds": 0.2, "automation_retry_max_seconds": 0.5}
    )


@pytest.fixture
async def running_worker(settings: Settings, db: Database) -> AsyncIterator[Worker]:
    worker = Worker(
        JobContext(db, settings, bootstrap.event_sink(settings)), bootstrap.dispatcher(settings, db)
    )
    await worker.start()
    yield worker
    await worker.stop()


@pytest.fixture
def signup_on() -> Callable[..., Awaitable[Account]]:
    return sign_up


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    async with Receiver() as r:
        yield r


async def _destination(
    client: httpx.AsyncClient, me: Account, url: str, types: list[str]
) -> dict[str, str]:
    r = await client.post(
        "/api/v1/automations/destinations",
        headers=me.headers,
        json={"name": "Activepieces", "url": url, "event_types": types},
    )
    assert r.status_code == 201, r.text
    body: dict[str, str] = r.json()
    assert body["secret"].startswith("whsec_")
    return body


async def _callback(
    client: httpx.AsyncClient,
    dest: dict[str, str],
    me: Account,
    event_id: str,
    body: Mapping[str, object],
) -> httpx.Response:
    raw = json.dumps(body).encode()
    headers = callback_headers(
        dest["secret"],
        destination_id=dest["id"],
        event_id=event_id,
        body=raw,
        timestamp=int(time.time()),
    )
    return await client.post("/api/v1/automations/callbacks", headers=headers, content=raw)


async def test_readme_e2e_checklist(
    client: httpx.AsyncClient, signup: SignUp, receiver: Receiver, running_worker: Worker
) -> None:
    me = await signup()
    # 1. A destination for the relevant event types.
    dest = await _destination(
        client, me, receiver.url_for("/hook"), ["message.ingested", "task.created"]
    )
    # 3. An inbound message reaches the "Activepieces" trigger, signed.
    r = await client.post("/api/v1/webhooks/email", headers=me.headers, json=EMAIL)
    assert r.status_code == 201
    await receiver.wait_for(1, within=10)
    got = receiver.to("/hook")[0]
    envelope = got.json()
    assert set(envelope) == {"event_id", "tenant_id", "occurred_at", "type", "payload"}
    assert envelope["type"] == "message.ingested" and envelope["tenant_id"] == str(me.tenant_id)
    ts = got.headers["x-alfred-timestamp"]
    expected = hmac.new(
        dest["secret"].encode(), f"{ts}.".encode() + got.body, hashlib.sha256
    ).hexdigest()
    assert hmac.compare_digest(got.headers["x-alfred-signature"], expected)
    assert got.headers["x-alfred-event-id"] == envelope["event_id"]
    assert got.headers["x-alfred-tenant-id"] == str(me.tenant_id)
    Webhook(dest["secret"]).verify(got.body, dict(got.headers))  # Standard Webhooks too

    # 4-5. The flow calls back: a task is created in Alfred.
    cb = {
        "tenant_id": str(me.tenant_id),
        "correlation_id": "cbk-evt-001",
        "action": "create_task",
        "payload": {"title": "Retornar cliente", "priority": "high"},
    }
    first = await _callback(client, dest, me, "cbk-evt-001", cb)
    assert first.status_code == 200, first.text
    assert first.json()["correlation_id"] == "cbk-evt-001"
    tasks = (await client.get("/api/v1/tasks", headers=me.headers)).json()["items"]
    assert [t["title"] for t in tasks] == ["Retornar cliente"]

    # 7. The same event id again: the stored answer, no second task.
    again = await _callback(client, dest, me, "cbk-evt-001", cb)
    assert (again.status_code, again.json()) == (first.status_code, first.json())
    assert len((await client.get("/api/v1/tasks", headers=me.headers)).json()["items"]) == 1
    # The task.created it caused is not delivered back to the destination that caused it.
    await asyncio.sleep(0.5)
    assert [r.json()["type"] for r in receiver.to("/hook")] == ["message.ingested"]

    # 6. The destination fails: retries stay visible as pending with next_retry_at.
    receiver.script(Reply(503), Reply(503))
    r2 = await client.post(
        "/api/v1/webhooks/email", headers=me.headers, json={**EMAIL, "message_id": "e2e-2"}
    )
    event = (
        await client.get("/api/v1/automations/events?type=message.ingested", headers=me.headers)
    ).json()["items"][0]
    await receiver.wait_for(2, within=10)
    pending = (
        await client.get(
            "/api/v1/automations/deliveries", headers=me.headers, params={"event_id": event["id"]}
        )
    ).json()["items"][0]
    assert pending["status"] == DeliveryStatus.PENDING
    assert pending["next_retry_at"] is not None and pending["attempts"] >= 1
    await receiver.wait_for(4, within=10)
    for _ in range(50):
        done = (
            await client.get(
                "/api/v1/automations/deliveries",
                headers=me.headers,
                params={"event_id": event["id"]},
            )
        ).json()["items"][0]
        if done["status"] == "succeeded":
            break
        await asyncio.sleep(0.1)
    assert done["status"] == "succeeded" and done["attempts"] == 3
    assert len({r.event_id for r in receiver.to("/hook")[1:]}) == 1  # same event id each time
    assert r2.status_code == 201


async def test_v1_alias_answers_the_same_routes(client: httpx.AsyncClient, signup: SignUp) -> None:
    me = await signup()
    a = await client.get("/api/v1/automations/destinations", headers=me.headers)
    b = await client.get("/v1/automations/destinations", headers=me.headers)
    assert (a.status_code, b.status_code) == (200, 200)
    assert a.json() == b.json()


async def test_hub_disabled_hides_routes_but_records_events(
    settings: Settings, db: Database, signup_on: Callable[..., Awaitable[Account]]
) -> None:
    from alfred_reference_api import create_app

    app = create_app(settings.model_copy(update={"automation_enabled": False}), database=db)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as c:
        me = await signup_on(c)
        assert (
            await c.get("/api/v1/automations/destinations", headers=me.headers)
        ).status_code == 404
        assert (await c.get("/v1/automations/events", headers=me.headers)).status_code == 404
        assert (
            await c.post("/api/v1/webhooks/email", headers=me.headers, json=EMAIL)
        ).status_code == 201
    async with db.system_transaction() as s:
        from sqlalchemy import text

        types = (await s.execute(text("SELECT type FROM automation_events"))).scalars().all()
        deliveries = (await s.execute(text("SELECT count(*) FROM automation_deliveries"))).scalar()
    assert "message.ingested" in types and deliveries == 0


async def test_destination_secrets_never_come_back(
    client: httpx.AsyncClient, signup: SignUp, receiver: Receiver
) -> None:
    me = await signup()
    dest = await _destination(client, me, receiver.url_for("/hook"), ["*"])
    listed = await client.get("/api/v1/automations/destinations", headers=me.headers)
    one = await client.get(f"/api/v1/automations/destinations/{dest['id']}", headers=me.headers)
    for r in (listed, one):
        assert dest["secret"] not in r.text
        assert "whsec_****" in r.text
    rotated = await client.post(
        f"/api/v1/automations/destinations/{dest['id']}/rotate-secret", headers=me.headers
    )
    assert rotated.status_code == 200 and rotated.json()["secret"] != dest["secret"]


@pytest.mark.parametrize(
    "url",
    ["http://169.254.169.254/latest", "ftp://example.com/x", "https://user:pw@example.com/h"],
)
async def test_unsafe_destination_urls_are_422(
    client: httpx.AsyncClient, signup: SignUp, url: str
) -> None:
    me = await signup()
    r = await client.post(
        "/api/v1/automations/destinations",
        headers=me.headers,
        json={"name": "x", "url": url, "event_types": ["*"]},
    )
    assert r.status_code == 422
    assert (await client.get("/api/v1/automations/destinations", headers=me.headers)).json()[
        "items"
    ] == []


async def test_publish_event_is_idempotent(client: httpx.AsyncClient, signup: SignUp) -> None:
    me = await signup()
    body = {"type": "custom.ping", "payload": {"n": 1}, "source_event_id": "src-1"}
    a = await client.post("/api/v1/automations/events", headers=me.headers, json=body)
    b = await client.post("/api/v1/automations/events", headers=me.headers, json=body)
    assert (a.status_code, b.status_code) == (201, 200)
    assert a.json()["id"] == b.json()["id"]


async def test_callbacks_reject_bad_signatures_and_foreign_tenants(
    client: httpx.AsyncClient, signup: SignUp, receiver: Receiver
) -> None:
    me, other = await signup(), await signup()
    dest = await _destination(client, me, receiver.url_for("/hook"), ["*"])
    ok_body = {"tenant_id": str(me.tenant_id), "action": "create_task", "params": {"title": "x"}}
    raw = json.dumps(ok_body).encode()
    headers = callback_headers(
        dest["secret"],
        destination_id=dest["id"],
        event_id="e1",
        body=raw,
        timestamp=int(time.time()),
    )
    tampered = await client.post(
        "/api/v1/automations/callbacks", headers=headers, content=raw.replace(b'"x"', b'"y"')
    )
    assert tampered.status_code == 401
    stale = callback_headers(
        dest["secret"],
        destination_id=dest["id"],
        event_id="e2",
        body=raw,
        timestamp=int(time.time()) - 301,
    )
    assert (
        await client.post("/api/v1/automations/callbacks", headers=stale, content=raw)
    ).status_code == 401
    foreign = await _callback(
        client, dest, me, "e3", {**ok_body, "tenant_id": str(other.tenant_id)}
    )
    assert foreign.status_code == 403
    unknown = await _callback(client, dest, me, "e4", {**ok_body, "action": "drop_tables"})
    assert unknown.status_code == 422
    missing = await client.post("/api/v1/automations/callbacks", content=raw)
    assert missing.status_code == 401
    assert (await client.get("/api/v1/tasks", headers=me.headers)).json()["items"] == []
    assert uuid.UUID(dest["id"])
