"""Background jobs: once per crossing, re-arming, exclusions, concurrency, failure isolation."""

import asyncio
import subprocess
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from alfred_crm_core import Database, UnitOfWork
from alfred_crm_core.clock import frozen_clock
from alfred_crm_core.lead.models import LeadStage
from alfred_crm_core.lead.schemas import LeadUpdate
from alfred_crm_core.lead.service import LeadService
from alfred_crm_core.testing import RecordingEventSink
from alfred_reference_api import Settings
from alfred_reference_api.jobs import JOBS, Job, JobContext, run_job
from alfred_reference_api.testing import Account

pytestmark = pytest.mark.anyio
SignUp = Callable[..., Awaitable[Account]]
Cli = Callable[..., subprocess.CompletedProcess[str]]
T0 = datetime(2030, 1, 1, 12, 0, tzinfo=UTC)


async def _notifications(
    client: httpx.AsyncClient, who: Account, kind: str
) -> list[dict[str, object]]:
    items = (await client.get("/api/v1/notifications", headers=who.headers)).json()["items"]
    return [n for n in items if n["type"] == kind]


async def _run(
    name: str, db: Database, settings: Settings, sink: RecordingEventSink, at: datetime
) -> str:
    with frozen_clock(at):
        return str(await run_job(JOBS[name], JobContext(db, settings, sink)))


async def test_overdue_task_notifies_once_per_crossing_and_rearms(
    client: httpx.AsyncClient, signup: SignUp, db: Database, settings: Settings
) -> None:
    me = await signup()
    sink = RecordingEventSink()
    task = (
        await client.post(
            "/api/v1/tasks",
            headers=me.headers,
            json={"title": "Ligar", "due_at": (T0 + timedelta(hours=1)).isoformat()},
        )
    ).json()
    await client.post(
        "/api/v1/tasks",
        headers=me.headers,
        json={"title": "Feita", "status": "done", "due_at": T0.isoformat()},
    )
    await client.post(
        "/api/v1/tasks",
        headers=me.headers,
        json={"title": "Cancelada", "status": "canceled", "due_at": T0.isoformat()},
    )

    await _run("overdue-tasks", db, settings, sink, T0)  # not due yet
    assert await _notifications(client, me, "task_overdue") == []
    await _run("overdue-tasks", db, settings, sink, T0 + timedelta(hours=2))
    await _run("overdue-tasks", db, settings, sink, T0 + timedelta(hours=3))  # silent
    first = await _notifications(client, me, "task_overdue")
    assert len(first) == 1 and first[0]["entity_id"] == task["id"] and first[0]["count"] == 1
    assert first[0]["entity_type"] == "task"
    assert sink.names() == ["task.overdue"]

    # Moved into the future, then passed again: a second crossing.
    await client.patch(
        f"/api/v1/tasks/{task['id']}",
        headers=me.headers,
        json={"due_at": (T0 + timedelta(days=1)).isoformat()},
    )
    await _run("overdue-tasks", db, settings, sink, T0 + timedelta(hours=4))
    assert sink.names() == ["task.overdue"]
    await _run("overdue-tasks", db, settings, sink, T0 + timedelta(days=2))
    again = await _notifications(client, me, "task_overdue")
    assert len(again) == 1 and again[0]["count"] == 2  # collapsed into the same notification
    assert sink.names() == ["task.overdue", "task.overdue"]
    assert len({e.source_event_id for e in sink.events}) == 2


async def test_unassigned_task_notifies_the_owners_assigned_one_the_assignee(
    client: httpx.AsyncClient, signup: SignUp, db: Database, settings: Settings
) -> None:
    me = await signup()
    await client.post(
        "/api/v1/tasks",
        headers=me.headers,
        json={"title": "Mine", "due_at": T0.isoformat(), "assignee_id": str(me.user_id)},
    )
    await client.post(
        "/api/v1/tasks", headers=me.headers, json={"title": "Nobody's", "due_at": T0.isoformat()}
    )
    report = await _run(
        "overdue-tasks", db, settings, RecordingEventSink(), T0 + timedelta(minutes=1)
    )
    assert "2 item(s)" in report
    assert len(await _notifications(client, me, "task_overdue")) == 2


async def test_stalled_lead_once_rearmed_by_activity_closed_stages_excluded(
    client: httpx.AsyncClient, signup: SignUp, db: Database, settings: Settings
) -> None:
    me = await signup()
    sink = RecordingEventSink()
    contact = await _contact(client, me)
    t0 = datetime.now(UTC)
    lead = await _lead(client, me, contact)
    await _lead(client, me, contact, stage="won")
    await _lead(client, me, contact, stage="lost")
    await _run("stalled-leads", db, settings, sink, t0 + timedelta(days=6))
    assert sink.names() == []
    await _run("stalled-leads", db, settings, sink, t0 + timedelta(days=8))
    await _run("stalled-leads", db, settings, sink, t0 + timedelta(days=9))
    stalled = await _notifications(client, me, "lead_stalled")
    assert [n["entity_id"] for n in stalled] == [lead]
    assert sink.names() == ["lead.stalled"]
    with frozen_clock(t0 + timedelta(days=10)):  # new activity re-arms it
        async with db.transaction(me.tenant_id) as s:
            await LeadService(UnitOfWork(session=s, tenant_id=me.tenant_id)).update(
                uuid.UUID(lead), LeadUpdate(stage=LeadStage.QUALIFIED)
            )
    await _run("stalled-leads", db, settings, sink, t0 + timedelta(days=12))
    assert sink.names() == ["lead.stalled"]
    await _run("stalled-leads", db, settings, sink, t0 + timedelta(days=18))
    assert sink.names() == ["lead.stalled", "lead.stalled"]


async def test_fractional_and_zero_stall_thresholds(
    client: httpx.AsyncClient, signup: SignUp, db: Database, settings: Settings
) -> None:
    me = await signup()
    contact = await _contact(client, me)
    t0 = datetime.now(UTC)
    await _lead(client, me, contact)
    half_day = settings.model_copy(update={"lead_stalled_after_days": 0.5})
    sink = RecordingEventSink()
    await _run("stalled-leads", db, half_day, sink, t0 + timedelta(hours=11))
    assert sink.names() == []
    await _run("stalled-leads", db, half_day, sink, t0 + timedelta(hours=13))
    assert sink.names() == ["lead.stalled"]
    zero = settings.model_copy(update={"lead_stalled_after_days": 0})
    await _lead(client, me, contact)
    await _run("stalled-leads", db, zero, sink, datetime.now(UTC))
    assert sink.names() == ["lead.stalled", "lead.stalled"]


async def _contact(client: httpx.AsyncClient, me: Account) -> str:
    r = await client.post("/api/v1/contacts", headers=me.headers, json={"name": "L"})
    cid: str = r.json()["id"]
    return cid


async def _lead(client: httpx.AsyncClient, me: Account, contact: str, stage: str = "new") -> str:
    r = await client.post(
        "/api/v1/leads", headers=me.headers, json={"contact_id": contact, "stage": stage}
    )
    assert r.status_code == 201, r.text
    lid: str = r.json()["id"]
    return lid


async def test_two_concurrent_runners_notify_once(
    client: httpx.AsyncClient, signup: SignUp, settings: Settings, database_url: str
) -> None:
    me = await signup()
    for i in range(20):
        await client.post(
            "/api/v1/tasks", headers=me.headers, json={"title": f"t{i}", "due_at": T0.isoformat()}
        )
    sink = RecordingEventSink()
    dbs = [Database.from_url(database_url, pool_size=3) for _ in range(2)]
    try:
        with frozen_clock(T0 + timedelta(hours=1)):
            reports = await asyncio.gather(
                *(run_job(JOBS["overdue-tasks"], JobContext(d, settings, sink)) for d in dbs)
            )
    finally:
        for d in dbs:
            await d.dispose()
    assert sum(r.items for r in reports) == 20
    assert len(sink.events) == 20 and len({e.source_event_id for e in sink.events}) == 20
    notes = await _notifications(client, me, "task_overdue")
    assert len(notes) == 20 and all(n["count"] == 1 for n in notes)


async def test_a_failing_tenant_does_not_stop_the_others(
    signup: SignUp, db: Database, settings: Settings
) -> None:
    accounts = [await signup() for _ in range(3)]
    bad = accounts[1].tenant_id
    seen: list[uuid.UUID] = []

    async def work(uow: UnitOfWork, ctx: JobContext) -> int:
        if uow.tenant_id == bad:
            raise RuntimeError("boom")
        seen.append(uow.tenant_id)
        return 1

    report = await run_job(Job("probe", lambda s: 60, "test", work=work), JobContext(db, settings))
    assert report.failed_tenants == [str(bad)]
    assert set(seen) == {a.tenant_id for a in accounts} - {bad}
    assert report.items == 2


def test_jobs_run_cli_runs_a_job_against_database_url(
    database_url: str, tmp_path: Path, run_cli: Cli
) -> None:
    env = {"DATABASE_URL": database_url, "ALFRED_DATA_DIR": str(tmp_path)}
    result = run_cli("jobs", "run", "overdue-tasks", env=env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("overdue-tasks: ")
    bad = run_cli("jobs", "run", "nope", env=env)
    assert bad.returncode == 2
    assert "overdue-tasks" in bad.stderr and "stalled-leads" in bad.stderr


async def test_rotate_secrets_job_moves_every_secret_to_the_new_key(
    client: httpx.AsyncClient, signup: SignUp, db: Database, settings: Settings
) -> None:
    import base64
    import json
    import time

    from pydantic import SecretStr

    from alfred_automation.testing import callback_headers
    from alfred_reference_api import create_app

    me = await signup()
    dest = (
        await client.post(
            "/api/v1/automations/destinations",
            headers=me.headers,
            json={"name": "d", "url": "http://127.0.0.1:9/h", "event_types": ["none.ever"]},
        )
    ).json()
    old = settings.automation_secret_encryption_key
    assert old is not None
    new_key = base64.urlsafe_b64encode(b"k" * 32).decode()
    both = settings.model_copy(
        update={
            "automation_secret_encryption_key": SecretStr(f"{new_key},{old.get_secret_value()}")
        }
    )
    report = await run_job(JOBS["rotate-secrets"], JobContext(db, both))
    assert report.items == 1
    only_new = settings.model_copy(update={"automation_secret_encryption_key": SecretStr(new_key)})
    app = create_app(only_new, database=db)
    body = json.dumps(
        {"tenant_id": str(me.tenant_id), "action": "create_task", "params": {"title": "rotated"}}
    ).encode()
    headers = callback_headers(
        dest["secret"],
        destination_id=dest["id"],
        event_id="rot-1",
        body=body,
        timestamp=int(time.time()),
    )
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as c:
        r = await c.post("/api/v1/automations/callbacks", headers=headers, content=body)
    assert r.status_code == 200, r.text
