"""Callbacks: every rejection, idempotency (also concurrent), the rate limit across processes."""

import asyncio
import dataclasses
import json
import sys
import uuid
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel
from sqlalchemy import text

from alfred_automation import (
    CallbackProcessor,
    CallbackResult,
    DestinationService,
    DestinationUpdate,
    DestinationWithSecret,
    HubConfig,
    prune,
)
from alfred_automation.testing import callback_headers
from alfred_crm_core import (
    ConflictError,
    Database,
    NotFoundError,
    UnitOfWork,
    ValidationError,
)
from alfred_crm_core.types import JSONObject

from .conftest import (
    KEY_1,
    Clock,
    MakeDestination,
    ReadDeliveries,
    TaskCreated,
    UowFactory,
    subprocess_env,
)

pytestmark = pytest.mark.anyio

URL = "http://127.0.0.1:9/hook"
BURST = Path(__file__).with_name("callback_burst.py")


class Message(BaseModel):
    text: str


class Actions:
    """An `ActionRunner` doing real work in the unit of work: it emits events to the outbox."""

    def __init__(self, *, delay: float = 0.0) -> None:
        self.calls: list[tuple[str, JSONObject, str | None]] = []
        self.delay = delay

    async def run(self, uow: UnitOfWork, action: str, params: JSONObject) -> JSONObject:
        self.calls.append((action, params, uow.origin))
        if self.delay:
            await asyncio.sleep(self.delay)
        if action == "create_task":
            if not params.get("title"):
                raise ValidationError("title", "title is required")
            task_id = uuid.uuid4()
            await uow.emit(
                TaskCreated(tenant_id=uow.tenant_id, task_id=task_id, title=str(params["title"]))
            )
            return {"task_id": task_id}
        if action == "send_message":
            return {"sent": Message.model_validate(params).text}
        if action == "update_contact":
            await uow.emit(TaskCreated(tenant_id=uow.tenant_id, task_id=uuid.uuid4(), title="x"))
            raise NotFoundError("contact", params.get("contact_id"))
        if action == "add_internal_comment":
            raise ConflictError("comment", "id")
        raise RuntimeError("the runner broke")


@dataclass
class Caller:
    """Signs and sends callbacks for one destination."""

    processor: CallbackProcessor
    destination: DestinationWithSecret
    tenant: uuid.UUID
    clock: Clock

    @property
    def secret(self) -> str:
        assert self.destination.secret is not None
        return self.destination.secret

    def body(self, **fields: Any) -> bytes:
        values: dict[str, Any] = {
            "tenant_id": str(self.tenant),
            "correlation_id": "cbk-evt-001",
            "action": "create_task",
            "params": {"title": "Follow up"},
        }
        values.update(fields)
        return json.dumps({k: v for k, v in values.items() if v is not None}).encode()

    def headers(
        self, body: bytes, *, event_id: str = "cbk-evt-001", skew: int = 0, secret: str = ""
    ) -> dict[str, str]:
        return callback_headers(
            secret or self.secret,
            destination_id=self.destination.id,
            event_id=event_id,
            body=body,
            timestamp=int(self.clock.now.timestamp()) + skew,
        )

    async def send(
        self, body: bytes | None = None, *, event_id: str = "cbk-evt-001", **kwargs: Any
    ) -> CallbackResult:
        raw = body if body is not None else self.body()
        headers = self.headers(raw, event_id=event_id, **kwargs)
        return await self.processor.process_callback(headers, raw)


@pytest.fixture
def actions() -> Actions:
    return Actions()


@pytest.fixture
def hub(config: HubConfig) -> HubConfig:
    return dataclasses.replace(config, rate_limit_per_minute=1000)


@pytest.fixture
async def caller(
    db: Database,
    hub: HubConfig,
    actions: Actions,
    tenant: uuid.UUID,
    clock: Clock,
    make_destination: MakeDestination,
) -> Caller:
    destination = await make_destination(URL, event_types=["task.created"])
    return Caller(CallbackProcessor(db, hub, actions), destination, tenant, clock)


async def test_a_signed_callback_runs_its_action_once_in_the_tenant(
    db: Database,
    caller: Caller,
    actions: Actions,
    make_destination: MakeDestination,
    read_deliveries: ReadDeliveries,
) -> None:
    bystander = await make_destination(URL, event_types=["task.created"])
    result = await caller.send()
    assert result.status_code == 200
    assert result.media_type == "application/json"
    assert result.body["correlation_id"] == "cbk-evt-001"
    assert result.body["event_id"] == "cbk-evt-001"
    assert result.body["action"] == "create_task"
    assert uuid.UUID(result.body["result"]["task_id"])
    assert actions.calls == [
        ("create_task", {"title": "Follow up"}, f"destination:{caller.destination.id}")
    ]
    # The loop guard: the task.created it caused goes to the other destination only.
    assert [d.destination_id for d in await read_deliveries()] == [bystander.id]


async def test_payload_is_accepted_as_an_alias_of_params(caller: Caller, actions: Actions) -> None:
    body = caller.body(params=None, payload={"title": "Retornar cliente", "priority": "high"})
    result = await caller.send(body)
    assert result.status_code == 200
    assert actions.calls[0][1] == {"title": "Retornar cliente", "priority": "high"}


class TestRejections:
    @pytest.mark.parametrize(
        "missing",
        [
            "X-Automation-Signature",
            "X-Automation-Event-Id",
            "X-Automation-Destination-Id",
            "X-Automation-Timestamp",
        ],
    )
    async def test_a_missing_header_is_401(
        self, caller: Caller, actions: Actions, missing: str
    ) -> None:
        body = caller.body()
        headers = caller.headers(body)
        del headers[missing]
        result = await caller.processor.process_callback(headers, body)
        assert result.status_code == 401
        assert result.body["code"] == "invalid_signature"
        assert actions.calls == []

    async def test_one_changed_byte_of_the_body_is_401(
        self, caller: Caller, actions: Actions
    ) -> None:
        body = caller.body()
        headers = caller.headers(body)
        tampered = body.replace(b"Follow", b"Fallow")
        assert (await caller.processor.process_callback(headers, tampered)).status_code == 401
        assert actions.calls == []

    async def test_the_wrong_secret_is_401(self, caller: Caller, actions: Actions) -> None:
        result = await caller.send(secret="whsec_" + "A" * 43 + "=")
        assert result.status_code == 401
        assert actions.calls == []

    @pytest.mark.parametrize(("skew", "status"), [(-301, 401), (301, 401), (-300, 200), (300, 200)])
    async def test_the_timestamp_must_be_inside_the_replay_window(
        self, caller: Caller, skew: int, status: int
    ) -> None:
        assert (await caller.send(skew=skew)).status_code == status

    @pytest.mark.parametrize("event_id", ["a.b", "", "x" * 256, "sp ace"])
    async def test_a_malformed_event_id_is_401(
        self, caller: Caller, actions: Actions, event_id: str
    ) -> None:
        assert (await caller.send(event_id=event_id)).status_code == 401
        assert actions.calls == []

    async def test_an_unknown_or_disabled_destination_is_401(
        self, caller: Caller, uow: UowFactory, hub: HubConfig, actions: Actions
    ) -> None:
        body = caller.body()
        headers = caller.headers(body)
        for destination_id in (str(uuid.uuid4()), "not-a-uuid"):
            forged = {**headers, "X-Automation-Destination-Id": destination_id}
            assert (await caller.processor.process_callback(forged, body)).status_code == 401
        async with uow() as work:
            await DestinationService(work, hub).update(
                caller.destination.id, DestinationUpdate(enabled=False)
            )
        assert (await caller.send()).status_code == 401
        assert actions.calls == []

    async def test_a_signature_replayed_under_another_event_id_is_401(
        self, caller: Caller, actions: Actions
    ) -> None:
        body = caller.body()
        headers = caller.headers(body, event_id="first")
        assert (await caller.processor.process_callback(headers, body)).status_code == 200
        renamed = {**headers, "X-Automation-Event-Id": "second"}
        result = await caller.processor.process_callback(renamed, body)
        assert result.status_code == 401
        assert len(actions.calls) == 1

    async def test_a_secret_that_does_not_decrypt_is_401(
        self, db: Database, caller: Caller, actions: Actions
    ) -> None:
        async with db.system_transaction() as session:
            await session.execute(
                text(
                    "UPDATE automation_destinations SET secret_encrypted ="
                    " replace(secret_encrypted, 'v1:', 'v2:')"
                )
            )
        assert (await caller.send()).status_code == 401
        assert actions.calls == []

    async def test_a_body_for_another_tenant_is_403(
        self, caller: Caller, actions: Actions, other_tenant: uuid.UUID
    ) -> None:
        result = await caller.send(caller.body(tenant_id=str(other_tenant)))
        assert result.status_code == 403
        assert result.body["correlation_id"] == "cbk-evt-001"
        assert actions.calls == []
        # Not stored: the same event id with the right tenant is processed.
        assert (await caller.send()).status_code == 200

    @pytest.mark.parametrize(
        "raw",
        [b"{not json", b"[1, 2]", b'"text"', "{}".encode("utf-16")],
    )
    async def test_a_body_that_is_not_a_json_object_is_422(
        self, caller: Caller, actions: Actions, raw: bytes
    ) -> None:
        result = await caller.send(raw)
        assert result.status_code == 422
        assert result.media_type == "application/problem+json"
        assert actions.calls == []

    @pytest.mark.parametrize(
        "fields",
        [{"tenant_id": None}, {"tenant_id": "nope"}, {"tenant_id": 7}, {"correlation_id": 7}],
    )
    async def test_a_missing_tenant_or_bad_correlation_id_is_422(
        self, caller: Caller, actions: Actions, fields: dict[str, Any]
    ) -> None:
        assert (await caller.send(caller.body(**fields))).status_code == 422
        assert actions.calls == []


class TestActionAnswers:
    @pytest.mark.parametrize(
        ("fields", "status", "code"),
        [
            ({"action": "drop_database"}, 422, "unknown_action"),
            ({"action": None}, 422, "unknown_action"),
            ({"params": [1]}, 422, "validation_error"),
            ({"params": {"title": ""}}, 422, "validation_error"),
            ({"action": "send_message", "params": {}}, 422, "validation_error"),
            ({"action": "update_contact", "params": {"contact_id": "c-1"}}, 404, "not_found"),
            ({"action": "add_internal_comment"}, 409, "conflict"),
        ],
    )
    async def test_action_errors_are_answered_and_stored(
        self,
        db: Database,
        caller: Caller,
        actions: Actions,
        fields: dict[str, Any],
        status: int,
        code: str,
    ) -> None:
        first = await caller.send(caller.body(**fields))
        assert (first.status_code, first.body["code"]) == (status, code)
        assert first.body["correlation_id"] == "cbk-evt-001"
        calls = len(actions.calls)
        replay = await caller.send(caller.body(**fields))
        assert (replay.status_code, replay.body, replay.replayed) == (status, first.body, True)
        assert len(actions.calls) == calls
        async with db.system_transaction() as session:
            events = (
                await session.execute(text("SELECT count(*) FROM automation_events"))
            ).scalar()
        assert events == 0  # the failed action's writes were rolled back

    async def test_field_errors_name_the_params(self, caller: Caller) -> None:
        result = await caller.send(caller.body(params={"title": ""}))
        assert result.body["errors"] == [
            {"field": "params.title", "message": "title is required", "type": "validation_error"}
        ]
        other = await caller.send(caller.body(action="send_message", params={}), event_id="cbk-2")
        assert other.body["errors"][0]["field"] == "params.text"

    async def test_an_unexpected_runner_error_propagates_and_stores_nothing(
        self, caller: Caller, actions: Actions
    ) -> None:
        caller.processor.actions = caller.processor.actions | {"explode"}
        with pytest.raises(RuntimeError):
            await caller.send(caller.body(action="explode"))
        with pytest.raises(RuntimeError):
            await caller.send(caller.body(action="explode"))
        assert len(actions.calls) == 2  # no receipt was kept: the retry ran the action again


async def test_a_replay_returns_the_stored_answer_without_running_the_action(
    caller: Caller, actions: Actions
) -> None:
    first = await caller.send()
    second = await caller.send()
    assert (second.status_code, second.body) == (first.status_code, first.body)
    assert (first.replayed, second.replayed) == (False, True)
    assert len(actions.calls) == 1


async def test_ten_concurrent_copies_run_the_action_once_and_get_the_same_answer(
    db: Database, caller: Caller
) -> None:
    slow = Actions(delay=0.2)
    caller.processor.runner = slow
    body = caller.body()
    headers = caller.headers(body)
    results = await asyncio.gather(
        *(caller.processor.process_callback(headers, body) for _ in range(10))
    )
    assert len(slow.calls) == 1
    assert {(r.status_code, json.dumps(r.body)) for r in results} == {
        (200, json.dumps(results[0].body))
    }
    assert sum(not r.replayed for r in results) == 1
    async with db.system_transaction() as session:
        events = (await session.execute(text("SELECT count(*) FROM automation_events"))).scalar()
    assert events == 1


async def test_the_previous_secret_is_accepted_until_it_expires(
    caller: Caller, uow: UowFactory, hub: HubConfig, clock: Clock
) -> None:
    old = caller.secret
    async with uow() as work:
        rotated = await DestinationService(work, hub).rotate_secret(caller.destination.id)
    assert rotated.secret is not None
    assert (await caller.send(event_id="old-1", secret=old)).status_code == 200
    assert (await caller.send(event_id="new-1", secret=rotated.secret)).status_code == 200
    clock.advance(24 * 3600 + 1)
    assert (await caller.send(event_id="old-2", secret=old)).status_code == 401
    assert (await caller.send(event_id="new-2", secret=rotated.secret)).status_code == 200


async def test_the_rate_limit_answers_429_until_the_next_minute(
    caller: Caller, hub: HubConfig, clock: Clock
) -> None:
    caller.processor.config = dataclasses.replace(hub, rate_limit_per_minute=3)
    clock.now = clock.now.replace(second=50, microsecond=0)

    async def send(n: int) -> CallbackResult:
        # Distinct bodies: the same body at the same second is the same signed request.
        return await caller.send(caller.body(correlation_id=f"e{n}"), event_id=f"e{n}")

    assert [(await send(n)).status_code for n in range(4)] == [200, 200, 200, 429]
    limited = await send(9)
    assert limited.headers == {"Retry-After": "10"}
    assert limited.body["code"] == "rate_limited"
    clock.advance(10)
    assert (await send(10)).status_code == 200


async def test_the_rate_limit_is_shared_by_two_processes(
    database_url: str, caller: Caller, clock: Clock, tenant: uuid.UUID
) -> None:
    now = clock.now.replace(second=5, microsecond=0)
    env = subprocess_env(
        ALFRED_DATABASE_URL=database_url,
        ALFRED_KEY=KEY_1.hex(),
        ALFRED_LIMIT="60",
        ALFRED_NOW=now.isoformat(),
        ALFRED_DESTINATION=str(caller.destination.id),
        ALFRED_TENANT=str(tenant),
        ALFRED_SECRET=caller.secret,
    )
    runs = [
        await asyncio.create_subprocess_exec(
            sys.executable,
            str(BURST),
            env={**env, "ALFRED_COUNT": str(count), "ALFRED_PREFIX": prefix},
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
        )
        for prefix, count in (("a", 30), ("b", 31))
    ]
    for run in runs:  # both connected: now let them send at once
        assert run.stdout is not None
        assert await asyncio.wait_for(run.stdout.readline(), 30) == b"ready\n"
    outputs = await asyncio.wait_for(
        asyncio.gather(*(run.communicate(b"go\n") for run in runs)), 30
    )
    statuses = [s for out, _ in outputs for s in json.loads(out)]
    assert [r.returncode for r in runs] == [0, 0]
    assert sorted(statuses).count(200) == 60
    assert statuses.count(429) == 1
    clock.now = now + timedelta(minutes=1)
    assert (await caller.send(event_id="next-window")).status_code == 200


async def test_prune_forgets_old_receipts_windows_and_previous_secrets(
    db: Database, caller: Caller, uow: UowFactory, hub: HubConfig, clock: Clock
) -> None:
    await caller.send()
    async with uow() as work:
        await DestinationService(work, hub).rotate_secret(caller.destination.id)
    clock.advance(8 * 24 * 3600)
    async with db.system_transaction() as session:
        result = await prune(session, hub)
    assert (result.receipts, result.rate_limits, result.previous_secrets) == (1, 1, 1)
