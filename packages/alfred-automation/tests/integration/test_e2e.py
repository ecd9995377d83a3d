"""The README's "Checklist E2E" against a receiver on 127.0.0.1 playing the automation platform,
and the write-only secret: never in responses, logs or plain-text columns."""

import asyncio
import hashlib
import hmac
import json
import logging
import uuid
from dataclasses import dataclass
from typing import ClassVar

import pytest
from sqlalchemy import text

from alfred_automation import (
    CallbackProcessor,
    DeliveryStatus,
    DestinationService,
)
from alfred_automation.testing import Reply, callback_headers
from alfred_crm_core import DomainEvent, UnitOfWork
from alfred_crm_core.clock import utcnow
from alfred_crm_core.types import JSONObject

from .conftest import Rig, TaskCreated

pytestmark = pytest.mark.anyio


@dataclass(frozen=True, kw_only=True)
class MessageIngested(DomainEvent):
    name: ClassVar[str] = "message.ingested"
    message_id: uuid.UUID
    text: str


class CreateTask:
    """The app's runner, reduced to create_task: a new task emits task.created."""

    def __init__(self) -> None:
        self.runs = 0

    async def run(self, uow: UnitOfWork, action: str, params: JSONObject) -> JSONObject:
        self.runs += 1
        task_id = uuid.uuid4()
        await uow.emit(TaskCreated(tenant_id=uow.tenant_id, task_id=task_id, title=params["title"]))
        return {"task_id": str(task_id)}


async def test_the_readme_checklist_end_to_end(
    rig: Rig, tenant: uuid.UUID, database_url: str
) -> None:
    # 1. A destination subscribed to the relevant event types.
    flow = await rig.hook("/flow", event_types=["message.ingested", "task.created"])
    assert flow.secret is not None
    dispatcher = rig.make_dispatcher(listen_url=database_url)
    running = asyncio.create_task(dispatcher.run())
    try:
        await asyncio.wait_for(dispatcher.ready.wait(), 5)
        # 3. An inbound message reaches the platform's webhook trigger, signed.
        async with rig.uow() as work:
            await work.emit(
                MessageIngested(
                    tenant_id=tenant, message_id=uuid.uuid4(), text="Olá, preciso de ajuda"
                )
            )
        await rig.receiver.wait_for(1, within=5)
        (arrived,) = rig.receiver.requests
        ts = arrived.headers["x-alfred-timestamp"]
        expected = hmac.new(flow.secret.encode(), f"{ts}.".encode() + arrived.body, hashlib.sha256)
        assert arrived.headers["x-alfred-signature"] == expected.hexdigest()
        event = arrived.json()
        assert event["type"] == "message.ingested" and event["tenant_id"] == str(tenant)

        # 4-5. The flow calls back with a signed action; the task is created in the tenant.
        runner = CreateTask()
        processor = CallbackProcessor(rig.db, rig.config, runner)
        body = json.dumps(
            {
                "tenant_id": str(tenant),
                "correlation_id": event["event_id"],
                "action": "create_task",
                "payload": {"title": "Retornar cliente", "priority": "high"},
            }
        ).encode()
        headers = callback_headers(
            flow.secret,
            destination_id=flow.id,
            event_id="cbk-evt-001",
            body=body,
            timestamp=int(utcnow().timestamp()),
        )
        answer = await processor.process_callback(headers, body)
        assert answer.status_code == 200
        assert answer.body["correlation_id"] == event["event_id"]
        # The task.created it caused is not sent back to the flow that caused it.
        await asyncio.sleep(0.3)
        assert len(rig.receiver.requests) == 1

        # 6. The platform fails: the delivery waits, pending with next_retry_at.
        rig.receiver.default = Reply(503)
        async with rig.uow() as work:
            await work.emit(MessageIngested(tenant_id=tenant, message_id=uuid.uuid4(), text="?"))
        await rig.receiver.wait_for(2, within=5)
        for _ in range(50):
            pending = [d for d in await rig.read_deliveries() if d.status is DeliveryStatus.PENDING]
            if pending and pending[0].last_status_code == 503:
                break
            await asyncio.sleep(0.05)
        (waiting,) = pending
        assert waiting.next_retry_at is not None and waiting.next_retry_at > utcnow()

        # 7. The same callback again: the stored answer, the action not run again.
        again = await processor.process_callback(headers, body)
        assert (again.status_code, again.body, again.replayed) == (200, answer.body, True)
        assert runner.runs == 1
    finally:
        dispatcher.stop()
        await asyncio.wait_for(running, 10)


async def test_secrets_never_reach_responses_logs_or_plain_columns(
    rig: Rig, tenant: uuid.UUID, caplog: pytest.LogCaptureFixture
) -> None:
    given = "a-user-supplied-secret-0123456789"
    with caplog.at_level(logging.DEBUG):
        generated = await rig.hook("/ok")
        supplied = await rig.hook("/down", secret=given)
        async with rig.uow() as work:
            rotated = await DestinationService(work, rig.config).rotate_secret(generated.id)
        rig.receiver.script(Reply(500), path="/down")
        await rig.publish()
        await rig.make_dispatcher().run_once()
        processor = CallbackProcessor(rig.db, rig.config, CreateTask())
        body = json.dumps(
            {"tenant_id": str(tenant), "action": "create_task", "params": {"title": "t"}}
        ).encode()
        for secret, destination in ((given, supplied.id), ("wrong-secret-0123456789", supplied.id)):
            headers = callback_headers(
                secret,
                destination_id=destination,
                event_id=uuid.uuid4().hex,
                body=body,
                timestamp=int(utcnow().timestamp()),
            )
            await processor.process_callback(headers, body)
        async with rig.uow() as work:
            listed = await DestinationService(work, rig.config).list()
    assert generated.secret is not None and rotated.secret is not None
    secrets = [generated.secret, rotated.secret, given]
    shown = listed.model_dump_json() + supplied.model_dump_json()
    logged = caplog.text + "".join(str(vars(record)) for record in caplog.records)
    stored = ""
    async with rig.db.system_transaction() as session:
        for table in (
            "automation_destinations",
            "automation_events",
            "automation_deliveries",
            "automation_delivery_attempts",
            "automation_callback_receipts",
        ):
            rows = await session.execute(text(f"SELECT t::text FROM {table} t"))
            stored += "".join(rows.scalars().all())
    assert caplog.records  # the flow did log
    for secret in secrets:
        assert secret not in shown
        assert secret not in logged
        assert secret not in stored
        assert secret.removeprefix("whsec_") not in stored
