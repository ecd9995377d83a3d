"""The dispatcher against a real HTTP receiver on 127.0.0.1: retries, failures, signatures, SSRF."""

import asyncio
import dataclasses
import hashlib
import hmac
import json
import logging
import time
import uuid
from dataclasses import dataclass
from typing import ClassVar

import httpx
import pytest
from sqlalchemy import text
from standardwebhooks import Webhook

from alfred_automation import (
    DeliveryFailure,
    DeliveryService,
    DeliveryStatus,
    DestinationService,
    DestinationUpdate,
    HubConfig,
    VettedTransport,
)
from alfred_automation.testing import FakeResolver, Reply
from alfred_crm_core import DomainEvent, NotFoundError, UnitOfWork, ValidationError

from .conftest import KEY_2, Clock, Rig

pytestmark = pytest.mark.anyio


@dataclass(frozen=True, kw_only=True)
class DeliveryFailed(DomainEvent):
    name: ClassVar[str] = "automation.delivery_failed"
    delivery_id: uuid.UUID


class FailureLog:
    """An `OnDeliveryFailed` hook that records failures and writes an event in the given UoW."""

    def __init__(self, *, explode: bool = False) -> None:
        self.failures: list[DeliveryFailure] = []
        self.explode = explode

    async def __call__(self, uow: UnitOfWork, failure: DeliveryFailure) -> None:
        self.failures.append(failure)
        await uow.emit(DeliveryFailed(tenant_id=uow.tenant_id, delivery_id=failure.delivery.id))
        if self.explode:
            raise RuntimeError("hook failed")


async def attempts_of(rig: Rig, delivery_id: uuid.UUID) -> list[tuple[int | None, str | None]]:
    async with rig.uow() as work:
        log = await DeliveryService(work).attempts(delivery_id)
    return [(a.status_code, a.error) for a in log]


async def until_due(clock: Clock, rig: Rig) -> None:
    delivery = await rig.delivery()
    assert delivery.next_retry_at is not None
    clock.advance((delivery.next_retry_at - clock.now).total_seconds() + 0.001)


async def test_503_503_200_takes_three_attempts_with_the_same_event_id(
    rig: Rig, clock: Clock
) -> None:
    rig.receiver.script(Reply(503), Reply(503), Reply(200))
    await rig.hook()
    event = await rig.publish()
    dispatcher = rig.make_dispatcher(dataclasses.replace(rig.config, max_attempts=8))
    seen_retry_times = []
    for attempt in (1, 2):
        assert await dispatcher.run_once() == 1
        delivery = await rig.delivery()
        assert delivery.status is DeliveryStatus.PENDING
        assert delivery.attempts == attempt
        assert delivery.last_status_code == 503
        assert delivery.next_retry_at is not None and delivery.next_retry_at > clock.now
        assert delivery.claimed_until is None
        seen_retry_times.append(delivery.next_retry_at - clock.now)
        assert await dispatcher.run_once() == 0  # not due yet
        await until_due(clock, rig)
    assert await dispatcher.run_once() == 1
    delivery = await rig.delivery()
    assert delivery.status is DeliveryStatus.SUCCEEDED
    assert (delivery.attempts, delivery.last_status_code, delivery.next_retry_at) == (3, 200, None)
    assert delivery.delivered_at == clock.now
    assert [r.event_id for r in rig.receiver.requests] == [str(event.id)] * 3
    assert [r.headers["webhook-id"] for r in rig.receiver.requests] == [str(event.id)] * 3
    assert await attempts_of(rig, delivery.id) == [
        (503, "the receiver answered 503"),
        (503, "the receiver answered 503"),
        (200, None),
    ]
    # The default schedule: [1.25, 5] s after the first attempt, [5, 20] s after the second.
    first, second = (t.total_seconds() for t in seen_retry_times)
    assert 1.25 <= first <= 5 and 5 <= second <= 20


async def test_exhausted_attempts_fail_the_delivery_and_call_the_hook_once(
    rig: Rig, clock: Clock
) -> None:
    rig.receiver.default = Reply(500)
    destination = await rig.make_destination(
        rig.receiver.url_for("/hook"), event_types=["test.event"]
    )
    event = await rig.publish()
    hook = FailureLog()
    dispatcher = rig.make_dispatcher(on_failed=hook)
    for _ in range(2):
        await dispatcher.run_once()
        await until_due(clock, rig)
    assert hook.failures == []
    await dispatcher.run_once()
    delivery = await rig.delivery()
    assert (delivery.status, delivery.attempts, delivery.next_retry_at) == (
        DeliveryStatus.FAILED,
        3,
        None,
    )
    (failure,) = hook.failures
    assert failure.delivery.id == delivery.id and failure.delivery.status is DeliveryStatus.FAILED
    assert (failure.event_type, failure.destination_name) == ("test.event", "flow")
    assert not failure.destination_disabled
    assert (
        failure.delivery.destination_id == destination.id and failure.delivery.event_id == event.id
    )
    clock.advance(3600)
    assert await dispatcher.run_once() == 0
    async with rig.db.system_transaction() as session:
        types = (await session.execute(text("SELECT type FROM automation_events"))).scalars().all()
    assert sorted(types) == [
        "automation.delivery_failed",
        "test.event",
    ]  # the hook's write committed


async def test_a_hook_that_raises_does_not_undo_the_failure(rig: Rig) -> None:
    rig.receiver.default = Reply(400)
    await rig.hook("/hook", event_types=["test.event"])
    await rig.publish()
    hook = FailureLog(explode=True)
    await rig.make_dispatcher(on_failed=hook).run_once()
    delivery = await rig.delivery()
    assert delivery.status is DeliveryStatus.FAILED
    assert len(hook.failures) == 1
    async with rig.db.system_transaction() as session:
        count = (await session.execute(text("SELECT count(*) FROM automation_events"))).scalar()
    assert count == 1  # the hook's savepoint was rolled back


@pytest.mark.parametrize("status", [400, 401, 404, 422])
async def test_other_4xx_fail_at_once_without_retry(rig: Rig, status: int) -> None:
    rig.receiver.default = Reply(status, body=b'{"error": "nope"}')
    await rig.hook()
    await rig.publish()
    hook = FailureLog()
    await rig.make_dispatcher(on_failed=hook).run_once()
    delivery = await rig.delivery()
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == (
        DeliveryStatus.FAILED,
        1,
        status,
    )
    assert len(hook.failures) == 1


async def test_410_fails_and_disables_the_destination_and_its_pending_deliveries(rig: Rig) -> None:
    rig.receiver.default = Reply(410)
    destination = await rig.make_destination(
        rig.receiver.url_for("/hook"), event_types=["test.event"]
    )
    await rig.publish()
    hook = FailureLog()
    dispatcher = rig.make_dispatcher(
        hub=dataclasses.replace(rig.config, batch_size=1), on_failed=hook
    )
    await dispatcher.run_once()
    await rig.publish()  # created before nothing: the destination is disabled now
    async with rig.uow() as work:
        gone = await DestinationService(work, rig.config).get(destination.id)
    assert not gone.enabled
    assert gone.disabled_reason == "the receiver answered 410 Gone"
    delivery = await rig.delivery()
    assert (delivery.status, delivery.last_status_code) == (DeliveryStatus.FAILED, 410)
    (failure,) = hook.failures
    assert failure.destination_disabled
    assert len(rig.receiver.requests) == 1


async def test_a_410_also_fails_deliveries_already_queued_for_that_destination(rig: Rig) -> None:
    rig.receiver.default = Reply(410)
    await rig.hook()
    for _ in range(3):
        await rig.publish()
    await rig.make_dispatcher(hub=dataclasses.replace(rig.config, batch_size=1)).run_once()
    statuses = sorted((d.status.value, d.last_error) for d in await rig.read_deliveries())
    assert statuses == [
        ("failed", "the receiver answered 410"),  # the attempt
        ("failed", "the receiver answered 410 Gone"),  # the others, failed with the destination
        ("failed", "the receiver answered 410 Gone"),
    ]
    assert len(rig.receiver.requests) == 1


async def test_retry_after_is_honoured(rig: Rig, clock: Clock) -> None:
    rig.receiver.script(
        Reply(429, headers={"Retry-After": "120"}), Reply(503, headers={"Retry-After": "7"})
    )
    await rig.hook()
    await rig.publish()
    dispatcher = rig.make_dispatcher(
        dataclasses.replace(
            rig.config, retry_base_seconds=1.0, retry_max_seconds=600, max_attempts=5
        )
    )
    await dispatcher.run_once()
    delivery = await rig.delivery()
    assert delivery.next_retry_at is not None
    assert (delivery.next_retry_at - clock.now).total_seconds() >= 120
    clock.advance(119)
    assert await dispatcher.run_once() == 0
    clock.advance(1.001)
    assert await dispatcher.run_once() == 1
    delivery = await rig.delivery()
    assert delivery.next_retry_at is not None
    assert 7 <= (delivery.next_retry_at - clock.now).total_seconds() <= 7.5


@pytest.mark.parametrize("location", ["/stolen", "http://169.254.169.254/latest/meta-data/"])
async def test_a_redirect_is_not_followed_and_the_attempt_is_retried(
    rig: Rig, location: str
) -> None:
    target = rig.receiver.url_for(location) if location.startswith("/") else location
    rig.receiver.script(Reply.redirect(target))
    await rig.hook()
    await rig.publish()
    await rig.make_dispatcher().run_once()
    delivery = await rig.delivery()
    assert (delivery.status, delivery.last_status_code) == (DeliveryStatus.PENDING, 302)
    assert [r.path for r in rig.receiver.requests] == ["/hook"]
    assert await attempts_of(rig, delivery.id) == [(302, "the receiver answered 302")]


async def test_a_receiver_that_hangs_times_out_and_is_retried(rig: Rig) -> None:
    rig.receiver.script(Reply(200, delay=5))
    await rig.hook()
    await rig.publish()
    started = time.perf_counter()
    await rig.make_dispatcher(dataclasses.replace(rig.config, timeout_seconds=0.3)).run_once()
    assert time.perf_counter() - started < 2
    delivery = await rig.delivery()
    assert delivery.status is DeliveryStatus.PENDING
    assert delivery.last_error == "timeout after 0.3 s"
    assert delivery.last_status_code is None


async def test_a_huge_response_is_read_only_up_to_the_cap(rig: Rig) -> None:
    rig.receiver.script(Reply(200, body_size=100 * 1024 * 1024))
    await rig.hook()
    await rig.publish()
    started = time.perf_counter()
    await rig.make_dispatcher().run_once()
    assert time.perf_counter() - started < 3
    delivery = await rig.delivery()
    assert delivery.status is DeliveryStatus.SUCCEEDED
    async with rig.uow() as work:
        (attempt,) = await DeliveryService(work).attempts(delivery.id)
    assert attempt.response_excerpt == "x" * 2048


async def test_headers_verify_with_standard_webhooks_and_the_alfred_hmac(
    rig: Rig, tenant: uuid.UUID
) -> None:
    destination = await rig.hook()
    assert destination.secret is not None
    event = await rig.publish("message.ingested", {"text": "olá", "n": 1})
    dispatcher = rig.make_dispatcher()
    await dispatcher.run_once()
    async with rig.uow() as work:
        rotated = await DestinationService(work, rig.config).rotate_secret(destination.id)
    assert rotated.secret is not None
    await rig.publish("message.ingested", {"text": "second"})
    await dispatcher.run_once()
    first, second = rig.receiver.requests
    for request, secret in ((first, destination.secret), (second, rotated.secret)):
        headers = request.headers
        expected = hmac.new(
            secret.encode(),
            headers["x-alfred-timestamp"].encode() + b"." + request.body,
            hashlib.sha256,
        ).hexdigest()
        assert headers["x-alfred-signature"] == expected
        assert headers["x-alfred-tenant-id"] == str(tenant)
        assert headers["x-alfred-timestamp"] == headers["webhook-timestamp"]
        assert abs(int(headers["x-alfred-timestamp"]) - time.time()) < 60
        assert Webhook(secret).verify(request.body, dict(headers)) == request.json()
    # During a rotation a receiver still holding the old secret keeps verifying.
    assert Webhook(destination.secret).verify(second.body, dict(second.headers))
    assert first.json() == event.envelope()
    assert list(first.json()) == ["event_id", "tenant_id", "occurred_at", "type", "payload"]
    assert first.headers["content-type"] == "application/json"


async def test_a_raw_user_secret_verifies_with_its_utf8_bytes(rig: Rig) -> None:
    secret = "my activepieces secret"
    await rig.hook("/hook", secret=secret)
    await rig.publish()
    await rig.make_dispatcher().run_once()
    (request,) = rig.receiver.requests
    Webhook(secret.encode()).verify(request.body, dict(request.headers))
    ts = request.headers["x-alfred-timestamp"]
    assert (
        request.headers["x-alfred-signature"]
        == hmac.new(secret.encode(), f"{ts}.".encode() + request.body, hashlib.sha256).hexdigest()
    )


class CountingTransport(httpx.AsyncBaseTransport):
    """Wraps the per-origin transport of `VettedTransport` to count what reaches a socket."""

    def __init__(self) -> None:
        self.inner = httpx.AsyncHTTPTransport()
        self.sent: list[str] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.sent.append(str(request.url))
        return await self.inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self.inner.aclose()


@pytest.mark.parametrize("answer", [["10.0.0.5"], ["93.184.216.34", "127.0.0.1"]])
async def test_a_dns_answer_changed_since_saving_is_blocked_before_any_socket(
    rig: Rig, answer: list[str]
) -> None:
    strict = HubConfig(encryption_keys=[bytes(range(32))], timeout_seconds=2, lease_seconds=5)
    resolver = FakeResolver({"hooks.example.com": ["93.184.216.34"]})
    await rig.make_destination("http://hooks.example.com/hook", hub=strict, resolver=resolver)
    await rig.publish()
    resolver.answers["hooks.example.com"] = answer
    counting = CountingTransport()
    transport = VettedTransport(resolver=resolver, transport_factory=lambda: counting)
    await rig.make_dispatcher(strict, transport=transport).run_once()
    await transport.aclose()
    delivery = await rig.delivery()
    assert delivery.status is DeliveryStatus.PENDING  # DNS may change back: retried
    assert delivery.last_error is not None and delivery.last_error.startswith("blocked_ip")
    assert counting.sent == []
    assert resolver.lookups == ["hooks.example.com", "hooks.example.com"]


async def test_a_tampered_secret_fails_closed_without_sending(
    rig: Rig, caplog: pytest.LogCaptureFixture
) -> None:
    destination = await rig.hook()
    async with rig.db.system_transaction() as session:
        await session.execute(
            text(
                "UPDATE automation_destinations SET secret_encrypted ="
                " overlay(secret_encrypted placing"
                " CASE WHEN substr(secret_encrypted, 20, 1) = 'A' THEN 'B' ELSE 'A' END"
                " from 20 for 1)"
            )
        )
    await rig.publish()
    with caplog.at_level(logging.DEBUG):
        await rig.make_dispatcher().run_once()
    delivery = await rig.delivery()
    assert delivery.status is DeliveryStatus.FAILED
    assert delivery.last_error == "secret_decrypt_failed: authentication_failed"
    assert rig.receiver.requests == []
    assert destination.secret is not None and destination.secret not in caplog.text


async def test_a_secret_under_a_key_no_longer_configured_is_retried(rig: Rig) -> None:
    await rig.hook()
    await rig.publish()
    await rig.make_dispatcher(dataclasses.replace(rig.config, encryption_keys=[KEY_2])).run_once()
    delivery = await rig.delivery()
    assert delivery.status is DeliveryStatus.PENDING
    assert delivery.last_error == "secret_decrypt_failed: unknown_key"
    assert rig.receiver.requests == []


class TestRedeliver:
    async def test_a_delivered_event_is_sent_again_with_a_fresh_budget(self, rig: Rig) -> None:
        await rig.hook()
        event = await rig.publish()
        dispatcher = rig.make_dispatcher()
        await dispatcher.run_once()
        delivery = await rig.delivery()
        async with rig.uow() as work:
            again = await DeliveryService(work).redeliver(delivery.id)
        assert (again.status, again.attempts) == (DeliveryStatus.PENDING, 0)
        await dispatcher.run_once()
        assert [r.event_id for r in rig.receiver.requests] == [str(event.id)] * 2
        delivery = await rig.delivery()
        assert (delivery.status, delivery.attempts) == (DeliveryStatus.SUCCEEDED, 1)

    async def test_redelivery_needs_an_enabled_destination_of_the_tenant(
        self, rig: Rig, other_tenant: uuid.UUID
    ) -> None:
        destination = await rig.hook()
        await rig.publish()
        delivery = await rig.delivery()
        async with rig.uow(other_tenant) as work:
            with pytest.raises(NotFoundError):
                await DeliveryService(work).redeliver(delivery.id)
        async with rig.uow() as work:
            await DestinationService(work, rig.config).update(
                destination.id, DestinationUpdate(enabled=False)
            )
        async with rig.uow() as work:
            with pytest.raises(ValidationError):
                await DeliveryService(work).redeliver(delivery.id)

    async def test_a_delivery_in_flight_is_left_to_its_attempt(
        self, rig: Rig, clock: Clock
    ) -> None:
        await rig.hook()
        await rig.publish()
        (claimed,) = await rig.make_dispatcher()._claim(10)
        async with rig.uow() as work:
            still = await DeliveryService(work).redeliver(claimed.id)
        assert still.attempts == 1 and still.claimed_until is not None


async def test_a_lost_lease_hands_the_delivery_to_another_dispatcher(
    rig: Rig, clock: Clock
) -> None:
    await rig.hook()
    await rig.publish()
    stalled = rig.make_dispatcher()
    (job,) = await stalled._claim(10)  # claimed, then the dispatcher stalls
    delivery = await rig.delivery()
    assert delivery.claimed_until == delivery.next_retry_at
    other = rig.make_dispatcher()
    assert await other.run_once() == 0  # the lease holds
    clock.advance(rig.config.lease + 0.001)
    assert await other.run_once() == 1
    await stalled._process(job)  # its late result is dropped: the row was claimed again
    delivery = await rig.delivery()
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.SUCCEEDED, 2)
    assert len(await attempts_of(rig, delivery.id)) == 1
    assert len(rig.receiver.requests) == 2  # at least once: the receiver dedupes by event id
    assert len(rig.receiver.event_ids()) == 1


async def test_a_disabled_hub_delivers_nothing(rig: Rig) -> None:
    await rig.hook()
    await rig.publish()
    off = rig.make_dispatcher(dataclasses.replace(rig.config, enabled=False))
    assert await off.run_once() == 0
    await asyncio.wait_for(off.run(), 1)  # returns at once
    assert rig.receiver.requests == []


async def test_the_loop_is_woken_by_notify_and_sends_concurrently_with_keep_alive(
    rig: Rig, database_url: str
) -> None:
    slow = 0.3
    for n in range(10):
        rig.receiver.script(*[Reply(200, delay=slow)] * 2, path=f"/slow{n}")
        await rig.make_destination(rig.receiver.url_for(f"/slow{n}"), event_types=["slow"])
    await rig.make_destination(rig.receiver.url_for("/fast"), event_types=["fast"])
    hub = dataclasses.replace(rig.config, poll_interval_seconds=30)  # only NOTIFY can wake it soon
    dispatcher = rig.make_dispatcher(hub, listen_url=database_url)
    running = asyncio.create_task(dispatcher.run())
    try:
        await asyncio.wait_for(dispatcher.ready.wait(), 5)
        started = time.perf_counter()
        await rig.publish("slow")
        await rig.receiver.wait_for(10, within=5)
        for _ in range(20):
            await rig.publish("fast")
        await rig.receiver.wait_for(30, within=5)
        elapsed = time.perf_counter() - started
        assert elapsed < 10 * slow  # the ten slow destinations were sent to at once
        # Keep-alive: one connection per send in flight at the peak (10 slow destinations, and at
        # most the per-destination limit for the fast one), reused afterwards.
        assert rig.receiver.connections <= 10 + rig.config.per_destination_concurrency
        for _ in range(50):
            if all(d.status is DeliveryStatus.SUCCEEDED for d in await rig.read_deliveries()):
                break
            await asyncio.sleep(0.05)
        assert {d.status for d in await rig.read_deliveries()} == {DeliveryStatus.SUCCEEDED}
    finally:
        dispatcher.stop()
        await asyncio.wait_for(running, 5)


async def test_retries_become_due_without_a_notification(rig: Rig, database_url: str) -> None:
    rig.receiver.script(Reply(503), Reply(503))
    await rig.hook()
    hub = dataclasses.replace(
        rig.config, retry_base_seconds=0.05, retry_max_seconds=0.2, poll_interval_seconds=0.2
    )
    dispatcher = rig.make_dispatcher(hub, listen_url=database_url)
    running = asyncio.create_task(dispatcher.run())
    try:
        await rig.publish()
        await rig.receiver.wait_for(3, within=5)
    finally:
        dispatcher.stop()
        await asyncio.wait_for(running, 5)
    delivery = await rig.delivery()
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.SUCCEEDED, 3)
    assert len(rig.receiver.event_ids()) == 1


async def test_stop_lets_a_send_in_flight_finish(rig: Rig) -> None:
    rig.receiver.script(Reply(200, delay=0.3))
    await rig.hook()
    await rig.publish()
    dispatcher = rig.make_dispatcher()
    running = asyncio.create_task(dispatcher.run())
    await rig.receiver.wait_for(1, within=5)
    dispatcher.stop()
    await asyncio.wait_for(running, 5)
    delivery = await rig.delivery()
    assert delivery.status is DeliveryStatus.SUCCEEDED


def test_the_envelope_bytes_are_valid_json_with_the_payload_spliced_in() -> None:
    from datetime import UTC, datetime

    from alfred_automation.worker import _envelope, _Job

    job = _Job(
        id=uuid.uuid4(),
        tenant_id=uuid.uuid4(),
        event_id=uuid.uuid4(),
        destination_id=uuid.uuid4(),
        attempt=1,
        claimed_until=datetime.now(UTC),
        event_type='we"ird',
        occurred_at=datetime(2024, 7, 15, 12, tzinfo=UTC),
        payload='{"a": [1, 2]}',
        destination_name="d",
        url="http://x",
        enabled=True,
        secret_encrypted="",
        previous_secret_encrypted=None,
        previous_secret_expires_at=None,
    )
    body = json.loads(_envelope(job))
    assert body["occurred_at"] == "2024-07-15T12:00:00Z"
    assert body["type"] == 'we"ird' and body["payload"] == {"a": [1, 2]}


async def test_two_dispatchers_never_send_the_same_delivery(rig: Rig, database_url: str) -> None:
    for n in range(3):
        await rig.hook(f"/d{n}")
    for _ in range(40):
        await rig.publish()
    first = rig.make_dispatcher(listen_url=database_url)
    second = rig.make_dispatcher(listen_url=database_url)
    running = [asyncio.create_task(d.run()) for d in (first, second)]
    try:
        await rig.receiver.wait_for(120, within=20)
        await asyncio.sleep(0.2)
    finally:
        for dispatcher in (first, second):
            dispatcher.stop()
        await asyncio.wait_for(asyncio.gather(*running), 10)
    sent = [(r.path, r.event_id) for r in rig.receiver.requests]
    assert len(sent) == len(set(sent)) == 120
    assert {d.status for d in await rig.read_deliveries()} == {DeliveryStatus.SUCCEEDED}
