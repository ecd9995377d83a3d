"""The dispatcher: claims due deliveries across tenants, sends them signed, records every attempt.

How a delivery moves:

1. **Claim.** In a system (cross-tenant) transaction, ``SELECT ... FOR UPDATE SKIP LOCKED`` picks
   due pending deliveries (``next_retry_at <= now``) in order, and the same statement counts the
   attempt and leases the row: ``claimed_until = next_retry_at = now + lease``. Several
   dispatchers never take the same row, and a dispatcher that dies (SIGKILL, lost host) loses
   nothing: when its lease ends the row is due again and another dispatcher takes it. Delivery
   is therefore at least once; receivers deduplicate by event id (the same on every attempt).
2. **Send.** The body is the README's envelope ``{event_id, tenant_id, occurred_at, type,
   payload}``, serialized once per attempt and signed over those exact bytes
   (`outbound_headers`: ``X-Alfred-*`` and Standard Webhooks headers, re-signed on every attempt
   with a fresh timestamp). It goes through `VettedTransport` (the host is resolved and vetted
   again, no socket to a refused address) with keep-alive per origin, no redirects, no proxies
   from the environment, at most ``concurrency`` sends at once (``per_destination_concurrency``
   per destination), ``timeout_seconds`` for the whole attempt, and at most
   ``response_body_limit`` bytes of the response read (not decompressed).
3. **Record.** `classify` decides: 2xx succeeded; 408, 429, 5xx, 3xx, network errors and
   timeouts are retried after `next_delay` (at least the ``Retry-After`` the receiver asked
   for, up to ``retry_max_seconds``) until ``max_attempts``; other 4xx fail at once; 410 fails
   and disables the destination (its other pending deliveries fail too). Every attempt is
   logged in ``automation_delivery_attempts``. A result is written only if the row is still
   the one this dispatcher claimed (same attempt count and lease): a late answer after the
   lease ran out changes nothing.
4. **Failed.** A delivery that fails is recorded in a transaction scoped to its tenant, in
   which the injectable `OnDeliveryFailed` hook runs (the app notifies the tenant's owners).
   The hook runs in a savepoint: if it raises, the failure is still recorded and the error
   logged.

Waking: a dedicated asyncpg connection listens (``LISTEN``) on ``alfred_automation`` (the outbox and
redelivery notify on commit), so a new event is claimed within milliseconds; a poll every
``poll_interval_seconds`` (and a timer for retries this dispatcher scheduled) catches retries
that become due and notifications lost while the connection was down.

A stored secret that does not decrypt fails closed: nothing is sent, the attempt records
``secret_decrypt_failed`` and its reason, never any plaintext.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib.util
import json
import logging
import math
import random
import re
import sys
import time
import uuid
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta
from importlib.metadata import version
from typing import Any, Protocol

import anyio
import anyio.abc
import asyncpg
import httpx
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from alfred_automation.backoff import Outcome, classify, next_delay, retry_after_seconds
from alfred_automation.config import HubConfig
from alfred_automation.destinations import fail_pending_deliveries, signing_secrets
from alfred_automation.errors import SecretDecryptError, UnsafeURLError
from alfred_automation.outbox import NOTIFY_CHANNEL, OutboxSink
from alfred_automation.schemas import DeliveryRead, DeliveryStatus
from alfred_automation.signing import outbound_headers
from alfred_automation.urlguard import Resolver, VettedTransport, delivery_client
from alfred_crm_core.clock import utcnow
from alfred_crm_core.db import Database, normalize_url
from alfred_crm_core.events import EventSink, jsonable
from alfred_crm_core.uow import UnitOfWork

__all__ = ["DeliveryFailure", "Dispatcher", "OnDeliveryFailed"]

_log = logging.getLogger(__name__)

if importlib.util.find_spec("sniffio") is None:
    # httpcore imports sniffio for every lock it sets up (several per request) and falls back to
    # asyncio when that fails; a failed import is not cached and walks all of sys.path each time
    # (about 5 ms of CPU per delivery here). A None entry makes the same import fail at once,
    # with the same outcome. Installing sniffio makes this moot.
    sys.modules.setdefault("sniffio", None)  # type: ignore[arg-type]  # None blocks the import


def _positional(sql: str, names: tuple[str, ...]) -> str:
    """Turn ``:name`` parameters into asyncpg's ``$n`` (the hot statements skip SQLAlchemy)."""
    for position, name in enumerate(names, start=1):
        sql = re.sub(rf"(?<!:):{name}\b", f"${position}", sql)
    assert not re.search(r"(?<!:):[a-z]", sql), "a parameter was left unnamed"
    return sql


async def _driver(session: AsyncSession) -> asyncpg.Connection:
    """The asyncpg connection under ``session``'s open transaction.

    The dispatcher's claim and result statements run on it directly: SQLAlchemy's statement
    handling costs more CPU than the statements themselves at this rate.
    """
    connection = await session.connection()
    raw = await connection.get_raw_connection()
    driver = raw.driver_connection
    assert isinstance(driver, asyncpg.Connection)  # the engine connects with asyncpg
    return driver


_EXCERPT_CHARS = 2048
_ERROR_CHARS = 1000
_GONE_REASON = "the receiver answered 410 Gone"
_DISABLED_ERROR = "not sent: the destination is disabled"
_WAKE_SLACK_SECONDS = 0.01  # wake just after a retry is due, not just before
_USER_AGENT = f"Alfred-Automation/{version('alfred-automation')}"

# The head of the due queue, at most `per_destination` minus what this dispatcher already sends
# to each destination, locked without waiting for rows another dispatcher holds. Destinations
# this dispatcher saturates are skipped by the scan, so their backlog cannot hide other work.
_CLAIM_NAMED = """
    WITH head AS (
        SELECT id, destination_id, next_retry_at,
               row_number() OVER (PARTITION BY destination_id ORDER BY next_retry_at) AS rank
        FROM (
            SELECT id, destination_id, next_retry_at
            FROM automation_deliveries
            WHERE status = 'pending' AND next_retry_at <= :now
              AND NOT (destination_id = ANY(CAST(:saturated AS uuid[])))
            ORDER BY next_retry_at
            LIMIT :scan
        ) AS due
    ), picked AS (
        SELECT d.id
        FROM automation_deliveries AS d
        JOIN head AS h ON h.id = d.id
        LEFT JOIN unnest(CAST(:busy_ids AS uuid[]), CAST(:busy_counts AS int[]))
            AS b(destination_id, n) ON b.destination_id = h.destination_id
        WHERE h.rank <= :per_destination - COALESCE(b.n, 0)
          AND d.status = 'pending' AND d.next_retry_at <= :now
        ORDER BY h.next_retry_at
        LIMIT :limit
        FOR UPDATE OF d SKIP LOCKED
    )
    UPDATE automation_deliveries AS d
    SET attempts = d.attempts + 1, next_retry_at = :lease_until, claimed_until = :lease_until,
        updated_at = :now
    FROM picked, automation_events AS e, automation_destinations AS t
    WHERE d.id = picked.id AND e.id = d.event_id AND t.id = d.destination_id
    RETURNING d.id, d.tenant_id, d.event_id, d.destination_id, d.attempts AS attempt,
              d.claimed_until,
              e.type AS event_type, e.occurred_at, e.payload::text AS payload,
              t.name AS destination_name, t.url, t.enabled, t.secret_encrypted,
              t.previous_secret_encrypted, t.previous_secret_expires_at
    """
_CLAIM = _positional(
    _CLAIM_NAMED,
    (
        "now",
        "lease_until",
        "limit",
        "scan",
        "per_destination",
        "saturated",
        "busy_ids",
        "busy_counts",
    ),
)

# Writes the attempt's result, only if the row is still as this dispatcher claimed it, and logs
# the attempt in the same statement.
_COMPLETE = text(
    """
    WITH done AS (
        UPDATE automation_deliveries
        SET status = :status, next_retry_at = :next_retry_at, claimed_until = NULL,
            last_status_code = :status_code, last_error = :error, updated_at = :now,
            delivered_at = COALESCE(:delivered_at, delivered_at)
        WHERE id = :id AND status = 'pending' AND attempts = :attempt
          AND claimed_until = :claimed_until
        RETURNING *
    ), logged AS (
        INSERT INTO automation_delivery_attempts
            (id, tenant_id, delivery_id, attempt, started_at, duration_ms, status_code, error,
             response_excerpt)
        SELECT :attempt_id, tenant_id, id, :attempt, :started_at, :duration_ms, :status_code,
               :error, :excerpt
        FROM done
    )
    SELECT * FROM done
    """
)

# The same for many results at once: the dispatcher commits results in groups (whatever finished
# while the previous group was being written), one statement and one commit per group.
_COMPLETE_MANY_NAMED = """
    WITH input AS (
        SELECT *
        FROM unnest(
            CAST(:id AS uuid[]), CAST(:attempt AS int[]),
            CAST(:claimed_until AS timestamptz[]), CAST(:status AS text[]),
            CAST(:next_retry_at AS timestamptz[]), CAST(:status_code AS int[]),
            CAST(:error AS text[]), CAST(:delivered_at AS timestamptz[]),
            CAST(:attempt_id AS uuid[]), CAST(:started_at AS timestamptz[]),
            CAST(:duration_ms AS int[]), CAST(:excerpt AS text[])
        ) AS i(id, attempt, claimed_until, status, next_retry_at, status_code, error,
               delivered_at, attempt_id, started_at, duration_ms, excerpt)
    ), done AS (
        UPDATE automation_deliveries AS d
        SET status = i.status, next_retry_at = i.next_retry_at, claimed_until = NULL,
            last_status_code = i.status_code, last_error = i.error, updated_at = :now,
            delivered_at = COALESCE(i.delivered_at, d.delivered_at)
        FROM input AS i
        WHERE d.id = i.id AND d.status = 'pending' AND d.attempts = i.attempt
          AND d.claimed_until = i.claimed_until
        RETURNING d.id, d.tenant_id
    ), logged AS (
        INSERT INTO automation_delivery_attempts
            (id, tenant_id, delivery_id, attempt, started_at, duration_ms, status_code, error,
             response_excerpt)
        SELECT i.attempt_id, done.tenant_id, done.id, i.attempt, i.started_at, i.duration_ms,
               i.status_code, i.error, i.excerpt
        FROM done JOIN input AS i ON i.id = done.id
    )
    SELECT id FROM done
    """
_GROUP_COLUMNS = (
    "id",
    "attempt",
    "claimed_until",
    "status",
    "next_retry_at",
    "status_code",
    "error",
    "delivered_at",
    "attempt_id",
    "started_at",
    "duration_ms",
    "excerpt",
)
_COMPLETE_MANY = _positional(_COMPLETE_MANY_NAMED, ("now", *_GROUP_COLUMNS))

# Claims and results may be lost if PostgreSQL itself crashes before flushing its log: a lost
# claim or result only means the delivery is sent again (at least once holds), and not waiting
# for the disk on every commit multiplies the throughput. Failures keep synchronous commits.
_ASYNC_COMMIT = "SET LOCAL synchronous_commit = off"

_DISABLE_DESTINATION = text(
    """
    UPDATE automation_destinations
    SET enabled = false, disabled_reason = :reason, updated_at = :now
    WHERE tenant_id = :tenant_id AND id = :id
    """
)


@dataclass(frozen=True, slots=True)
class DeliveryFailure:
    """A delivery that just failed for good, as the `OnDeliveryFailed` hook receives it.

    Attributes:
        delivery: The delivery as recorded (status ``failed``).
        event_type: The type of the event it carried.
        destination_name: The destination's name.
        destination_disabled: True when this failure (a 410) disabled the destination.
    """

    delivery: DeliveryRead
    event_type: str
    destination_name: str
    destination_disabled: bool


class OnDeliveryFailed(Protocol):
    """Called once per delivery that fails for good (the app notifies the tenant's owners)."""

    async def __call__(self, uow: UnitOfWork, failure: DeliveryFailure) -> None:
        """React to ``failure`` inside the transaction that records it.

        Args:
            uow: A unit of work scoped to the delivery's tenant (no actor), whose events go to
                the outbox with origin ``destination:<id>`` (so they are not delivered to the
                destination that failed); the hook's writes commit with the failure.
            failure: What failed.
        """
        ...


@dataclass(frozen=True, slots=True)
class _Job:
    id: uuid.UUID
    tenant_id: uuid.UUID
    event_id: uuid.UUID
    destination_id: uuid.UUID
    attempt: int
    claimed_until: datetime
    event_type: str
    occurred_at: datetime
    payload: str
    destination_name: str
    url: str
    enabled: bool
    secret_encrypted: str
    previous_secret_encrypted: str | None
    previous_secret_expires_at: datetime | None


@dataclass(frozen=True, slots=True)
class _Result:
    started_at: datetime
    duration_ms: int
    status_code: int | None = None
    error: BaseException | None = None
    error_text: str | None = None
    excerpt: str | None = None
    retry_after: str | None = None


class Dispatcher:
    """Delivers pending deliveries until stopped; one per worker process (several may run).

    Args:
        database: The database; claims and results use `Database.system_transaction`, so it
            must connect as the schema owner (row-level security does not confine it).
        config: The hub's settings.
        listen_url: The PostgreSQL URL for the dedicated ``LISTEN`` connection (any form
            `normalize_url` accepts); None to rely on polling alone.
        on_failed: Called for each delivery that fails for good.
        events: Where events emitted by ``on_failed`` go; an `OutboxSink` by default.
        resolver: The DNS lookup of the delivery transport; the system's when None.
        transport: Replaces the `VettedTransport` (tests, instrumentation); it must do the
            vetting itself.
        rng: The source of retry jitter (a seeded ``random.Random`` in tests).
    """

    def __init__(
        self,
        database: Database,
        config: HubConfig,
        *,
        listen_url: str | None = None,
        on_failed: OnDeliveryFailed | None = None,
        events: EventSink | None = None,
        resolver: Resolver | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        rng: random.Random | None = None,
    ) -> None:
        self.database = database
        self.config = config
        self.listen_url = normalize_url(listen_url) if listen_url is not None else None
        self.on_failed = on_failed
        self.events: EventSink = (
            events if events is not None else OutboxSink(enabled=config.enabled)
        )
        self._resolver = resolver
        self._transport = transport
        self._rng = rng
        self._clients: dict[int, httpx.AsyncClient] = {}
        self._group: list[tuple[dict[str, Any], asyncio.Future[bool]]] = []
        self._flusher: asyncio.Task[None] | None = None
        self._listener: asyncpg.Connection | None = None
        self._listen_retry_at = 0.0
        self._wake = asyncio.Event()
        self._stopping = False
        self._in_flight = 0
        self._settling = 0
        self._per_destination: Counter[uuid.UUID] = Counter()
        self._next_due: float | None = None
        self.ready = asyncio.Event()
        """Set once `run` listens (when it can) and has made its first claim."""

    # -- lifecycle -------------------------------------------------------------------------

    async def __aenter__(self) -> Dispatcher:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    def stop(self) -> None:
        """Ask `run` to stop: it claims nothing more and returns once sends in flight end."""
        self._stopping = True
        self._wake.set()

    async def aclose(self) -> None:
        """Close the HTTP clients and the ``LISTEN`` connection (results being written first)."""
        if self._flusher is not None:
            with contextlib.suppress(Exception):
                await self._flusher
        clients, self._clients = list(self._clients.values()), {}
        for client in clients:
            await client.aclose()
        await self._close_listener()

    async def run(self, *, grace_seconds: float | None = None) -> None:
        """Deliver until `stop` is called; then let sends in flight finish, and close.

        With the hub disabled (``enabled=False``) it returns at once: nothing is delivered.

        Args:
            grace_seconds: How long to wait for sends in flight after `stop`; then they are
                cancelled, and their leases hand them to another dispatcher later.
                ``timeout_seconds + 5`` when None.
        """
        if not self.config.enabled:
            _log.info("automation hub disabled; the dispatcher delivers nothing")
            return
        self._stopping = False
        grace = grace_seconds if grace_seconds is not None else self.config.timeout_seconds + 5
        try:
            async with anyio.create_task_group() as group:
                await self._loop(group)
                with anyio.move_on_after(grace):
                    while self._in_flight or self._settling:
                        await self._wait(None)
                group.cancel_scope.cancel()
        finally:
            await self.aclose()

    async def run_once(self) -> int:
        """Claim one batch of due deliveries, send them and record the results.

        For tests and one-off tools; `run` is the long-running loop.

        Returns:
            How many deliveries were attempted (0 when the hub is disabled).
        """
        if not self.config.enabled:
            return 0
        jobs = await self._claim(self.config.batch_size)
        limiter = anyio.CapacityLimiter(self.config.concurrency)

        async def one(job: _Job) -> None:
            async with limiter:
                await self._process(job)

        async with anyio.create_task_group() as group:
            for job in jobs:
                group.start_soon(one, job)
        return len(jobs)

    # -- the loop --------------------------------------------------------------------------

    async def _loop(self, group: anyio.abc.TaskGroup) -> None:
        await self._ensure_listener()
        while not self._stopping:
            self._wake.clear()
            free = min(
                self.config.concurrency - self._in_flight,
                2 * self.config.concurrency - self._in_flight - self._settling,
            )
            jobs: list[_Job] = []
            wanted = min(free, self.config.batch_size)
            if wanted > 0:
                try:
                    jobs = await self._claim(wanted)
                except Exception:  # the database may be down: keep the loop alive, retry later
                    _log.exception("claiming deliveries failed; retrying")
                    await self._wait(self.config.poll_interval_seconds)
                    continue
            for job in jobs:
                self._in_flight += 1
                self._per_destination[job.destination_id] += 1
                group.start_soon(self._run_job, job)
            self.ready.set()
            if jobs and len(jobs) == wanted:
                continue  # there may be more due work: claim again before sleeping
            await self._ensure_listener()
            await self._wait(self._sleep_seconds())

    async def _run_job(self, job: _Job) -> None:
        # The send holds a slot; recording its result does not (results are committed in
        # groups), but results waiting to be written count against a second bound, so that a
        # slow database holds claims back instead of letting them pile up.
        try:
            result = await self._send(job)
        finally:
            self._in_flight -= 1
            self._per_destination[job.destination_id] -= 1
            if self._per_destination[job.destination_id] <= 0:
                del self._per_destination[job.destination_id]
            self._wake.set()
        if result is None:
            return
        self._settling += 1
        try:
            await self._settle_logged(job, result)
        finally:
            self._settling -= 1
            self._wake.set()

    def _sleep_seconds(self) -> float:
        delay = self.config.poll_interval_seconds
        if self._next_due is not None:
            delay = min(delay, max(0.0, self._next_due - time.monotonic()))
            self._next_due = None
        return delay

    async def _wait(self, seconds: float | None) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wake.wait(), seconds)
        self._wake.clear()

    # -- LISTEN ----------------------------------------------------------------------------

    async def _ensure_listener(self) -> None:
        if self.listen_url is None or self._stopping:
            return
        if self._listener is not None and not self._listener.is_closed():
            return
        if time.monotonic() < self._listen_retry_at:
            return
        await self._close_listener()
        try:
            connection = await asyncpg.connect(self.listen_url)
            await connection.add_listener(NOTIFY_CHANNEL, self._notified)
        except (OSError, asyncpg.PostgresError) as exc:
            # Polling still finds the work; try to listen again after a while.
            self._listen_retry_at = time.monotonic() + max(1.0, self.config.poll_interval_seconds)
            _log.warning("LISTEN connection failed; polling only", extra={"error": str(exc)})
            return
        self._listener = connection

    def _notified(self, *args: Any) -> None:
        self._wake.set()

    async def _close_listener(self) -> None:
        listener, self._listener = self._listener, None
        if listener is not None and not listener.is_closed():
            try:
                await listener.close(timeout=2)
            except (OSError, asyncpg.PostgresError, TimeoutError):
                listener.terminate()

    # -- one delivery ----------------------------------------------------------------------

    async def _claim(self, limit: int) -> list[_Job]:
        now = utcnow()
        lease_until = now + timedelta(seconds=self.config.lease)
        cap = self.config.per_destination_concurrency
        busy = list(self._per_destination.items())
        async with self.database.system_transaction() as session:
            driver = await _driver(session)
            await driver.execute(_ASYNC_COMMIT)
            rows = await driver.fetch(
                _CLAIM,
                now,
                lease_until,
                limit,
                max(4 * limit, 100),
                cap,
                [d for d, n in busy if n >= cap],
                [d for d, _ in busy],
                [n for _, n in busy],
            )
        return [_Job(**dict(row)) for row in rows]

    async def _process(self, job: _Job) -> None:
        result = await self._send(job)
        if result is not None:
            await self._settle_logged(job, result)

    async def _send(self, job: _Job) -> _Result | None:
        if not job.enabled:
            await self._settle_logged(job, None)
            return None
        return await self._attempt(job)

    async def _settle_logged(self, job: _Job, result: _Result | None) -> None:
        try:
            if result is None:
                result = _Result(started_at=utcnow(), duration_ms=0, error_text=_DISABLED_ERROR)
                await self._record(job, result, DeliveryStatus.FAILED, None, notify=False)
            else:
                await self._settle(job, result)
        except Exception:  # the worker is the one place that catches broadly: log and go on
            # The claim's lease hands the delivery to a later attempt; nothing is lost.
            _log.exception(
                "recording a delivery attempt failed; the lease will retry it",
                extra={"delivery_id": str(job.id), "attempt": job.attempt},
            )

    async def _attempt(self, job: _Job) -> _Result:
        started_at = utcnow()
        clock = time.perf_counter()

        def done(**fields: Any) -> _Result:
            duration = max(0, round((time.perf_counter() - clock) * 1000))
            return _Result(started_at=started_at, duration_ms=duration, **fields)

        try:
            secrets = signing_secrets(self.config.secret_box, job, started_at)
            body = _envelope(job)
            headers = outbound_headers(
                secrets[0],
                job.event_id,
                job.tenant_id,
                math.floor(started_at.timestamp()),
                body,
                previous_secrets=secrets[1:],
            )
            headers["User-Agent"] = _USER_AGENT
            headers["Accept-Encoding"] = "identity"
            with anyio.fail_after(self.config.timeout_seconds):
                async with self._http(job.destination_id).stream(
                    "POST", job.url, content=body, headers=headers
                ) as response:
                    excerpt = await self._read_capped(response)
            return done(
                status_code=response.status_code,
                excerpt=excerpt,
                retry_after=response.headers.get("Retry-After"),
            )
        except SecretDecryptError as exc:
            return done(error=exc, error_text=f"secret_decrypt_failed: {exc.reason}")
        except UnsafeURLError as exc:
            return done(error=exc, error_text=f"{exc.reason}: {exc}")
        except (TimeoutError, httpx.TimeoutException) as exc:
            return done(error=exc, error_text=f"timeout after {self.config.timeout_seconds:g} s")
        except httpx.HTTPError as exc:
            return done(error=exc, error_text=f"{type(exc).__name__}: {exc}")
        except Exception as exc:  # any other failure of this attempt counts as a failed attempt
            _log.exception("delivery attempt raised", extra={"delivery_id": str(job.id)})
            return done(error=exc, error_text=f"{type(exc).__name__}: {exc}")

    async def _read_capped(self, response: httpx.Response) -> str:
        limit = self.config.response_body_limit
        received = bytearray()
        async for chunk in response.aiter_raw():
            received += chunk
            if len(received) >= limit:
                break  # the rest is never read; closing the stream drops the connection
        return _clean(bytes(received[:_EXCERPT_CHARS]).decode("utf-8", "replace"), _EXCERPT_CHARS)

    async def _settle(self, job: _Job, result: _Result) -> None:
        outcome = classify(result.status_code, None if result.status_code else result.error)
        if outcome is Outcome.SUCCEEDED:
            await self._record(job, result, DeliveryStatus.SUCCEEDED, None, notify=False)
            return
        if outcome is Outcome.RETRY and job.attempt < self.config.max_attempts:
            now = utcnow()
            delay = next_delay(
                job.attempt,
                base=self.config.retry_base_seconds,
                cap=self.config.retry_max_seconds,
                rng=self._rng,
                retry_after=retry_after_seconds(result.retry_after, now),
            )
            await self._record(
                job, result, DeliveryStatus.PENDING, now + timedelta(seconds=delay), notify=False
            )
            due = time.monotonic() + delay + _WAKE_SLACK_SECONDS
            self._next_due = due if self._next_due is None else min(self._next_due, due)
            return
        await self._record(
            job, result, DeliveryStatus.FAILED, None, notify=True, gone=outcome is Outcome.GONE
        )

    async def _record(
        self,
        job: _Job,
        result: _Result,
        status: DeliveryStatus,
        next_retry_at: datetime | None,
        *,
        notify: bool,
        gone: bool = False,
    ) -> None:
        now = utcnow()
        error = result.error_text
        if (
            error is None
            and result.status_code is not None
            and status is not DeliveryStatus.SUCCEEDED
        ):
            error = f"the receiver answered {result.status_code}"
        params = {
            "id": job.id,
            "attempt": job.attempt,
            "claimed_until": job.claimed_until,
            "status": status.value,
            "next_retry_at": next_retry_at,
            "status_code": result.status_code,
            "error": _clean(error, _ERROR_CHARS) if error is not None else None,
            "now": now,
            "delivered_at": now if status is DeliveryStatus.SUCCEEDED else None,
            "attempt_id": uuid.uuid4(),
            "started_at": result.started_at,
            "duration_ms": result.duration_ms,
            "excerpt": result.excerpt,
        }
        if not notify:
            recorded = await self._record_in_group(params)
            self._log_result(job, status, result, recorded=recorded)
            return
        async with self.database.transaction(job.tenant_id) as session:
            row = (await session.execute(_COMPLETE, params)).one_or_none()
            if row is None:
                self._log_result(job, status, result, recorded=False)
                return
            if gone:
                await session.execute(
                    _DISABLE_DESTINATION,
                    {
                        "tenant_id": job.tenant_id,
                        "id": job.destination_id,
                        "reason": _GONE_REASON,
                        "now": now,
                    },
                )
                await fail_pending_deliveries(session, job.destination_id, _GONE_REASON)
            failure = DeliveryFailure(
                delivery=DeliveryRead.model_validate(row),
                event_type=job.event_type,
                destination_name=job.destination_name,
                destination_disabled=gone,
            )
            await self._call_hook(session, job, failure)
        self._log_result(job, status, result, recorded=True)

    async def _record_in_group(self, params: dict[str, Any]) -> bool:
        future: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        self._group.append((params, future))
        if self._flusher is None or self._flusher.done():
            self._flusher = asyncio.create_task(self._flush())
        return await future

    async def _flush(self) -> None:
        while self._group:
            group, self._group = self._group, []
            try:
                recorded = await self._write_group([params for params, _ in group])
            except Exception as exc:  # each waiting delivery logs it; leases retry them
                for _, future in group:
                    if not future.done():
                        future.set_exception(exc)
                continue
            for params, future in group:
                if not future.done():
                    future.set_result(params["id"] in recorded)

    async def _write_group(self, group: list[dict[str, Any]]) -> set[uuid.UUID]:
        columns = [[params[name] for params in group] for name in _GROUP_COLUMNS]
        async with self.database.system_transaction() as session:
            driver = await _driver(session)
            await driver.execute(_ASYNC_COMMIT)
            rows = await driver.fetch(_COMPLETE_MANY, utcnow(), *columns)
        return {row["id"] for row in rows}

    async def _call_hook(self, session: AsyncSession, job: _Job, failure: DeliveryFailure) -> None:
        if self.on_failed is None:
            return
        # The loop guard keeps events the hook causes from the destination that just failed, so a
        # failing destination subscribed to every event cannot feed itself failures.
        uow = UnitOfWork(
            session=session,
            tenant_id=job.tenant_id,
            origin=f"destination:{job.destination_id}",
            events=self.events,
        )
        try:
            async with session.begin_nested():
                await self.on_failed(uow, failure)
        except Exception:  # a failing hook must not undo the record of the failure
            _log.exception("on_failed hook raised", extra={"delivery_id": str(job.id)})

    def _log_result(
        self, job: _Job, status: DeliveryStatus, result: _Result, *, recorded: bool
    ) -> None:
        extra = {
            "delivery_id": str(job.id),
            "destination_id": str(job.destination_id),
            "attempt": job.attempt,
            "status": status.value,
            "status_code": result.status_code,
            "error": result.error_text,
            "duration_ms": result.duration_ms,
        }
        if not recorded:
            _log.warning("delivery result dropped: the claim was lost or reset", extra=extra)
        elif status is DeliveryStatus.SUCCEEDED:
            _log.debug("delivery succeeded", extra=extra)
        else:
            _log.info("delivery attempt failed", extra=extra)

    def _http(self, destination_id: uuid.UUID) -> httpx.AsyncClient:
        # Destinations are spread over a few clients: httpcore's pool does work proportional to
        # requests x connections on every change, so one pool holding every send in flight to a
        # shared origin (a hosted automation platform) would cost more CPU than the sends.
        shards = (
            1
            if self._transport
            else -(-self.config.concurrency // self.config.per_destination_concurrency)
        )
        shard = destination_id.int % shards
        client = self._clients.get(shard)
        if client is None:
            transport = self._transport or VettedTransport(
                resolver=self._resolver,
                allow_private=self.config.allow_private_urls,
                resolve_timeout_seconds=min(5.0, self.config.timeout_seconds),
                limits=httpx.Limits(
                    max_connections=self.config.concurrency,
                    max_keepalive_connections=self.config.concurrency,
                    keepalive_expiry=30.0,
                ),
            )
            client = delivery_client(transport, timeout_seconds=self.config.timeout_seconds)
            self._clients[shard] = client
        return client


def _envelope(job: _Job) -> bytes:
    # The stored payload is already JSON text: splice it in rather than parse and re-serialize.
    head = json.dumps(
        {
            "event_id": str(job.event_id),
            "tenant_id": str(job.tenant_id),
            "occurred_at": jsonable(job.occurred_at),
            "type": job.event_type,
        },
        ensure_ascii=False,
        separators=(",", ":"),
    )
    return (head[:-1] + ',"payload":' + job.payload + "}").encode()


def _clean(value: str, limit: int) -> str:
    # PostgreSQL text cannot hold NUL.
    return value[:limit].replace("\x00", "\ufffd")
