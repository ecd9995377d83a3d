"""Inbound callbacks: a signed request from an automation platform that runs a CRM action.

`CallbackProcessor.process_callback` knows no HTTP framework: the app's route passes the headers
and the raw body and answers with the `CallbackResult`. The checks, in order:

1. ``X-Automation-Signature``, ``-Event-Id``, ``-Destination-Id`` and ``-Timestamp`` present,
   the event id well-formed (`check_event_id`: no ``.``), the destination id a UUID -> else 401.
2. The destination exists and is enabled -> else 401 (looked up across tenants: the request
   is not authenticated yet; its secret failing to decrypt is also a 401, logged).
3. `verify`: lowercase hex HMAC-SHA256 over ``"{timestamp}.{raw body}"`` with the current or the
   previous (unexpired) secret, timestamp within ``replay_window_seconds`` on either side, in
   constant time -> else 401. Every 401 has the same body; the reason goes to the log only.
4. Rate limit: at most ``rate_limit_per_minute`` authenticated callbacks per destination per
   clock minute, counted in PostgreSQL (``INSERT ... ON CONFLICT DO UPDATE ... RETURNING``), so
   every process shares the counter -> else 429 with ``Retry-After`` (seconds to the next
   minute). Replays count too.
5. The body is a JSON object -> else 422; its ``tenant_id`` is the destination's -> else 403.
6. Idempotency and the action, in one transaction scoped to the destination's tenant: a receipt
   row keyed by (destination, event id) is inserted first (``ON CONFLICT DO NOTHING``). A copy
   arriving while the first is being processed waits on that row, then reads the stored
   answer; the action runs once. The same signature under another event id (a captured request
   replayed with the id changed; the signature does not cover the id) -> 401.
   The action runs through the app's `ActionRunner` in a `UnitOfWork` whose origin is
   ``destination:<id>`` and whose events go to the outbox (so they are not delivered back to
   this destination), inside a savepoint: an action that fails leaves no trace but its answer.

Which answers are stored as receipts: every answer of step 6 -- 200 with the action's result,
and 404, 409 or 422 from the action (unknown action, bad ``params``, the runner's
``ValidationError``, ``NotFoundError`` or ``ConflictError``). A replay gets the same status and
body. Answers of steps 1-5 (401, 403, 422 for a body that is not JSON, 429) are not stored: they
happen before the event is accepted, and repeating the request gets them again. An unexpected
error from the runner propagates (the app answers 500), the transaction rolls back and no
receipt is kept, so a retry with the same event id runs the action again.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import math
import uuid
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from http import HTTPStatus
from typing import Any, Protocol

from pydantic import ValidationError as SchemaError
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from alfred_automation.config import HubConfig
from alfred_automation.destinations import signing_secrets
from alfred_automation.errors import SecretDecryptError, SignatureError
from alfred_automation.outbox import OutboxSink, serialize_payload
from alfred_automation.signing import check_event_id, verify
from alfred_crm_core.clock import utcnow
from alfred_crm_core.db import Database
from alfred_crm_core.errors import ConflictError, NotFoundError, ValidationError
from alfred_crm_core.events import EventSink, jsonable
from alfred_crm_core.types import JSONObject, TenantId
from alfred_crm_core.uow import UnitOfWork

__all__ = [
    "SUPPORTED_ACTIONS",
    "ActionRunner",
    "CallbackProcessor",
    "CallbackResult",
    "PruneResult",
    "prune",
]

_log = logging.getLogger(__name__)

SUPPORTED_ACTIONS: frozenset[str] = frozenset(
    {
        "create_task",
        "update_conversation_status",
        "add_internal_comment",
        "send_message",
        "update_contact",
    }
)
"""The actions a callback may ask for (the product README's list)."""

_SIGNATURE = "x-automation-signature"
_EVENT_ID = "x-automation-event-id"
_DESTINATION_ID = "x-automation-destination-id"
_TIMESTAMP = "x-automation-timestamp"
_WINDOW = timedelta(minutes=1)
_RATE_LIMIT_KEEP = timedelta(hours=1)
_MAX_CORRELATION_ID = 255
_PROBLEM_JSON = "application/problem+json"

_DESTINATION = text(
    """
    SELECT id, tenant_id, enabled, secret_encrypted, previous_secret_encrypted,
           previous_secret_expires_at
    FROM automation_destinations WHERE id = :id
    """
)
_COUNT = text(
    """
    INSERT INTO automation_rate_limits AS r (destination_id, window_start, count)
    VALUES (:destination_id, :window_start, 1)
    ON CONFLICT (destination_id, window_start) DO UPDATE SET count = r.count + 1
    RETURNING r.count
    """
)
_FORGET_WINDOWS = text(
    "DELETE FROM automation_rate_limits WHERE destination_id = :destination_id"
    " AND window_start < :window_start"
)
_CLAIM_RECEIPT = text(
    """
    INSERT INTO automation_callback_receipts
        (destination_id, event_id, tenant_id, signature, status_code, response_body, created_at)
    VALUES (:destination_id, :event_id, :tenant_id, :signature, 0, NULL, :now)
    ON CONFLICT DO NOTHING
    RETURNING event_id
    """
)
_STORED_RECEIPT = text(
    """
    SELECT event_id, status_code, response_body::text AS response_body
    FROM automation_callback_receipts
    WHERE tenant_id = :tenant_id AND destination_id = :destination_id
      AND (event_id = :event_id OR signature = :signature)
    ORDER BY event_id = :event_id DESC
    LIMIT 1
    """
)
_STORE_RECEIPT = text(
    """
    UPDATE automation_callback_receipts
    SET status_code = :status_code, response_body = CAST(:response_body AS jsonb)
    WHERE destination_id = :destination_id AND event_id = :event_id
    RETURNING response_body::text AS response_body
    """
)


class ActionRunner(Protocol):
    """Runs a callback's action with core's services; the app implements it."""

    async def run(self, uow: UnitOfWork, action: str, params: JSONObject) -> JSONObject:
        """Run ``action`` with ``params`` in ``uow`` and return its JSON result.

        Args:
            uow: Scoped to the destination's tenant, no actor, origin ``destination:<id>``,
                events to the outbox. Only flush; the processor commits.
            action: One of the processor's actions (`SUPPORTED_ACTIONS` by default).
            params: The body's ``params`` (or ``payload``), a JSON object.

        Returns:
            A JSON object, e.g. ``{"task_id": "..."}``; stored and echoed as ``result``.

        Raises:
            ValidationError: Bad params (answered 422).
            NotFoundError: A referenced row does not exist in the tenant (404).
            ConflictError: The action would break a uniqueness rule (409).
            pydantic.ValidationError: Params failed a schema (422).
        """
        ...


@dataclass(frozen=True, slots=True)
class CallbackResult:
    """The answer to a callback.

    Attributes:
        status_code: The HTTP status.
        body: The JSON body: the action's answer, or an RFC 9457 problem for statuses >= 400.
        headers: Extra headers (``Retry-After`` on 429).
        replayed: True when this is the stored answer to an event id seen before.
    """

    status_code: int
    body: JSONObject
    headers: Mapping[str, str] = field(default_factory=dict)
    replayed: bool = False

    @property
    def media_type(self) -> str:
        """``application/problem+json`` for errors, ``application/json`` otherwise."""
        return _PROBLEM_JSON if self.status_code >= 400 else "application/json"


@dataclass(frozen=True, slots=True)
class _Destination:
    destination_id: uuid.UUID
    tenant_id: TenantId
    enabled: bool
    secret_encrypted: str
    previous_secret_encrypted: str | None
    previous_secret_expires_at: datetime | None


class CallbackProcessor:
    """Authenticates callbacks and runs their actions once (see the module docstring).

    Args:
        database: The database; the destination lookup uses `Database.system_transaction`,
            the rest a transaction scoped to the destination's tenant.
        config: The hub's settings (replay window, rate limit, encryption keys).
        runner: Runs the actions with core's services.
        sink: Where events caused by an action go; an `OutboxSink` by default.
        actions: The actions accepted; others are answered 422.
    """

    def __init__(
        self,
        database: Database,
        config: HubConfig,
        runner: ActionRunner,
        *,
        sink: EventSink | None = None,
        actions: Collection[str] = SUPPORTED_ACTIONS,
    ) -> None:
        self.database = database
        self.config = config
        self.runner = runner
        self.sink: EventSink = sink if sink is not None else OutboxSink(enabled=config.enabled)
        self.actions = frozenset(actions)

    async def process_callback(self, headers: Mapping[str, str], raw_body: bytes) -> CallbackResult:
        """Check a callback and run its action once; never raises for a bad request.

        Args:
            headers: The request headers (any case).
            raw_body: The body exactly as received.

        Returns:
            The answer: 200, 401, 403, 404, 409, 422 or 429 (see the module docstring).
        """
        now = utcnow()
        given = {key.lower(): value for key, value in headers.items()}
        signature = given.get(_SIGNATURE)
        event_id = given.get(_EVENT_ID)
        timestamp = given.get(_TIMESTAMP)
        try:
            check_event_id(event_id)
            assert event_id is not None  # check_event_id refuses None
            destination_id = uuid.UUID(given.get(_DESTINATION_ID) or "")
        except (SignatureError, ValueError) as exc:
            return _unauthorized(getattr(exc, "reason", "malformed_destination_id"))
        destination = await self._destination(destination_id)
        if destination is None or not destination.enabled:
            return _unauthorized("unknown_or_disabled_destination", destination_id)
        try:
            secrets = signing_secrets(self.config.secret_box, destination, now)
            verify(
                secrets,
                timestamp,
                raw_body,
                signature,
                now=now,
                tolerance_seconds=self.config.replay_window_seconds,
            )
        except SecretDecryptError as exc:
            _log.error(
                "destination secret did not decrypt; callback refused",
                extra={"destination_id": str(destination_id), "reason": exc.reason},
            )
            return _unauthorized("secret_decrypt_failed", destination_id)
        except SignatureError as exc:
            return _unauthorized(exc.reason, destination_id)
        assert signature is not None  # verify refuses a missing signature
        retry_after = await self._count(destination, now)
        if retry_after is not None:
            return _problem(
                429,
                "rate_limited",
                f"more than {self.config.rate_limit_per_minute} callbacks in a minute",
                headers={"Retry-After": str(retry_after)},
            )
        return await self._accepted(destination, event_id, signature.lower(), raw_body, now)

    async def _accepted(
        self,
        destination: _Destination,
        event_id: str,
        signature: str,
        raw_body: bytes,
        now: datetime,
    ) -> CallbackResult:
        try:
            body = json.loads(raw_body)
        except (ValueError, UnicodeDecodeError, RecursionError):  # RecursionError: absurd nesting
            return _problem(422, "invalid_json", "the body is not valid JSON")
        if not isinstance(body, dict):
            return _problem(422, "invalid_json", "the body must be a JSON object")
        correlation = body.get("correlation_id")
        if correlation is not None and (
            not isinstance(correlation, str) or len(correlation) > _MAX_CORRELATION_ID
        ):
            return _problem(
                422, "validation_error", "correlation_id must be a string of at most 255"
            )
        claimed_tenant = body.get("tenant_id")
        try:
            tenant_id = uuid.UUID(claimed_tenant) if isinstance(claimed_tenant, str) else None
        except ValueError:
            tenant_id = None
        if tenant_id is None:
            return _problem(
                422, "validation_error", "tenant_id must be the tenant's UUID", correlation
            )
        if tenant_id != destination.tenant_id:
            _log.warning(
                "callback for another tenant refused",
                extra={"destination_id": str(destination.destination_id)},
            )
            return _problem(
                403, "forbidden", "tenant_id is not the destination's tenant", correlation
            )
        async with self.database.transaction(destination.tenant_id) as session:
            keys = {
                "destination_id": destination.destination_id,
                "event_id": event_id,
                "tenant_id": destination.tenant_id,
                "signature": signature,
                "now": now,
            }
            claimed = (await session.execute(_CLAIM_RECEIPT, keys)).first()
            if claimed is None:
                return await self._stored(session, keys, destination)
            result = await self._run(session, destination, event_id, body, correlation)
            stored = (
                await session.execute(
                    _STORE_RECEIPT,
                    {
                        "destination_id": destination.destination_id,
                        "event_id": event_id,
                        "status_code": result.status_code,
                        "response_body": serialize_payload(result.body),
                    },
                )
            ).scalar_one()
        # Answer with the body as stored (jsonb orders keys its own way), so that a replay's
        # body is the same, key order included.
        return dataclasses.replace(result, body=json.loads(stored))

    async def _stored(
        self, session: AsyncSession, keys: dict[str, Any], destination: _Destination
    ) -> CallbackResult:
        row = (await session.execute(_STORED_RECEIPT, keys)).first()
        if row is None or row.event_id != keys["event_id"]:
            # The row we collided with is gone (pruned) or holds this signature for another id.
            return _unauthorized("signature_reused", destination.destination_id)
        stored: JSONObject = json.loads(row.response_body) if row.response_body else {}
        return CallbackResult(status_code=row.status_code, body=stored, replayed=True)

    async def _run(
        self,
        session: AsyncSession,
        destination: _Destination,
        event_id: str,
        body: JSONObject,
        correlation: str | None,
    ) -> CallbackResult:
        action = body.get("action")
        if not isinstance(action, str) or action not in self.actions:
            known = ", ".join(sorted(self.actions))
            return _problem(422, "unknown_action", f"action must be one of: {known}", correlation)
        params = body.get("params", body.get("payload", {}))
        if params is None:
            params = {}
        if not isinstance(params, dict):
            return _problem(422, "validation_error", "params must be a JSON object", correlation)
        uow = UnitOfWork(
            session=session,
            tenant_id=destination.tenant_id,
            origin=f"destination:{destination.destination_id}",
            events=self.sink,
        )
        try:
            async with session.begin_nested():
                output = await self.runner.run(uow, action, params)
        except ValidationError as exc:
            errors = [{"field": f"params.{exc.field}", "message": str(exc), "type": exc.code}]
            return _problem(422, exc.code, str(exc), correlation, errors=errors)
        except SchemaError as exc:
            errors = [
                {
                    "field": ".".join(["params", *(str(p) for p in err.get("loc", ()))]),
                    "message": str(err.get("msg", "invalid")),
                    "type": str(err.get("type", "invalid")),
                }
                for err in exc.errors()
            ]
            return _problem(422, "validation_error", "invalid params", correlation, errors=errors)
        except NotFoundError as exc:
            return _problem(404, exc.code, str(exc), correlation)
        except ConflictError as exc:
            return _problem(409, exc.code, str(exc), correlation)
        return CallbackResult(
            status_code=200,
            body={
                "status": "succeeded",
                "event_id": event_id,
                "correlation_id": correlation,
                "action": action,
                "result": jsonable(output),
            },
        )

    async def _destination(self, destination_id: uuid.UUID) -> _Destination | None:
        # Cross-tenant on purpose: the request names its destination, and only its secret can
        # authenticate it. Nothing of the row reaches the caller.
        async with self.database.system_transaction() as session:
            row = (await session.execute(_DESTINATION, {"id": destination_id})).first()
        if row is None:
            return None
        return _Destination(
            destination_id=row.id,
            tenant_id=row.tenant_id,
            enabled=row.enabled,
            secret_encrypted=row.secret_encrypted,
            previous_secret_encrypted=row.previous_secret_encrypted,
            previous_secret_expires_at=row.previous_secret_expires_at,
        )

    async def _count(self, destination: _Destination, now: datetime) -> int | None:
        """Count this callback; return seconds to the next window when over the limit."""
        window = now.replace(second=0, microsecond=0)
        params = {"destination_id": destination.destination_id, "window_start": window}
        async with self.database.transaction(destination.tenant_id) as session:
            count = (await session.execute(_COUNT, params)).scalar_one()
            if count == 1:  # the first of a new window: forget old windows of this destination
                await session.execute(_FORGET_WINDOWS, params)
        if count <= self.config.rate_limit_per_minute:
            return None
        return max(1, math.ceil((window + _WINDOW - now).total_seconds()))


@dataclass(frozen=True, slots=True)
class PruneResult:
    """What `prune` deleted or cleared."""

    receipts: int
    rate_limits: int
    previous_secrets: int


async def prune(session: AsyncSession, config: HubConfig) -> PruneResult:
    """Delete old callback receipts and rate-limit windows, and expired previous secrets.

    Receipts older than ``receipt_retention_seconds`` go (a callback that old is outside the
    replay window anyway, so it cannot be replayed). Cross-tenant maintenance: run it inside
    ``Database.system_transaction()`` from a periodic job.
    """
    now = utcnow()
    receipts = await session.execute(
        text("DELETE FROM automation_callback_receipts WHERE created_at < :before"),
        {"before": now - timedelta(seconds=config.receipt_retention_seconds)},
    )
    windows = await session.execute(
        text("DELETE FROM automation_rate_limits WHERE window_start < :before"),
        {"before": now - _RATE_LIMIT_KEEP},
    )
    secrets = await session.execute(
        text(
            "UPDATE automation_destinations SET previous_secret_encrypted = NULL,"
            " previous_secret_expires_at = NULL WHERE previous_secret_expires_at < :now"
        ),
        {"now": now},
    )
    return PruneResult(
        receipts=_rowcount(receipts),
        rate_limits=_rowcount(windows),
        previous_secrets=_rowcount(secrets),
    )


def _rowcount(result: Any) -> int:
    return int(result.rowcount)


def _unauthorized(reason: str, destination_id: uuid.UUID | None = None) -> CallbackResult:
    _log.info(
        "callback refused",
        extra={
            "reason": reason,
            "destination_id": str(destination_id) if destination_id else None,
        },
    )
    return _problem(401, "invalid_signature", "missing or invalid callback signature")


def _problem(
    status: int,
    code: str,
    detail: str,
    correlation: str | None = None,
    *,
    errors: list[dict[str, str]] | None = None,
    headers: Mapping[str, str] | None = None,
) -> CallbackResult:
    body: JSONObject = {
        "type": f"urn:alfred:problem:{code}",
        "title": HTTPStatus(status).phrase,
        "status": status,
        "detail": detail,
        "code": code,
    }
    if errors is not None:
        body["errors"] = errors
    if correlation is not None:
        body["correlation_id"] = correlation
    return CallbackResult(status_code=status, body=body, headers=dict(headers or {}))
