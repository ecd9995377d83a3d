"""The transactional outbox: events and their deliveries, written in the caller's transaction.

`OutboxSink` is core's `EventSink`: every domain event becomes an ``automation_events`` row, plus
one pending ``automation_deliveries`` row per enabled destination of the tenant that subscribes
to the event's type, in the same transaction as the change that caused it (a rollback leaves
neither). One statement does it all, and also calls ``pg_notify('alfred_automation', '')`` when
it created a delivery, so that dispatchers listening on the channel wake up when the
transaction commits (PostgreSQL holds notifications until then and drops them on rollback).

Rules applied here:

* Idempotency: an event carrying a ``source_event_id`` is kept once per (tenant, type,
  source_event_id); publishing it again creates nothing and returns the original.
* Loop guard: an event whose ``origin`` is ``destination:<id>`` (caused by that destination's
  callback) is not delivered back to destination ``<id>``; other destinations still get it.
* ``enabled=False`` (``AUTOMATION_ENABLED=false``): events are recorded, no delivery is created.
"""

from __future__ import annotations

import json
import re
import uuid
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from alfred_automation._models import Event
from alfred_automation._paging import read_page
from alfred_automation.schemas import EventFilter, EventPublish, EventRecord
from alfred_crm_core.clock import utcnow
from alfred_crm_core.db import driver_connection
from alfred_crm_core.errors import NotFoundError, ValidationError
from alfred_crm_core.events import DomainEvent, jsonable
from alfred_crm_core.pagination import DEFAULT_LIMIT, Page
from alfred_crm_core.types import JSONObject, TenantId
from alfred_crm_core.uow import UnitOfWork

__all__ = ["NOTIFY_CHANNEL", "EventService", "OutboxSink", "serialize_payload"]

NOTIFY_CHANNEL = "alfred_automation"
"""The channel the outbox notifies and dispatchers listen on."""

_MAX_TYPE = 100
_MAX_SOURCE_ID = 255
_MAX_ORIGIN = 100
# JSON's \u0000 escape, not preceded by an odd number of backslashes: jsonb refuses it.
_NUL_ESCAPE = re.compile(r"(?<!\\)((?:\\\\)*)\\u0000")

# Positional parameters: $1 id, $2 tenant_id, $3 type, $4 source_event_id, $5 payload,
# $6 occurred_at, $7 origin, $8 now, $9 deliver. Sent as hand-written SQL on the session's
# connection: every write of every request emits (docs/performance.md).
_EMIT = """
    WITH event AS (
        INSERT INTO automation_events
            (id, tenant_id, type, source_event_id, payload, occurred_at, origin, created_at)
        VALUES ($1, $2, $3, $4, $5::jsonb, $6, $7, $8)
        ON CONFLICT (tenant_id, type, source_event_id) DO NOTHING
        RETURNING id, tenant_id, type, origin
    ), fanout AS (
        INSERT INTO automation_deliveries
            (id, tenant_id, event_id, destination_id, status, attempts, next_retry_at,
             created_at, updated_at)
        SELECT gen_random_uuid(), e.tenant_id, e.id, d.id, 'pending', 0, $8, $8, $8
        FROM event AS e
        JOIN automation_destinations AS d ON d.tenant_id = e.tenant_id
        WHERE $9::boolean
          AND d.enabled
          AND d.event_types && ARRAY['*', e.type]::text[]
          AND (e.origin IS NULL OR e.origin <> 'destination:' || d.id::text)
        RETURNING 1
    ), wake AS (
        SELECT pg_notify('alfred_automation', '')
        FROM (SELECT count(*) AS n FROM fanout) AS f
        WHERE f.n > 0
    )
    SELECT (SELECT count(*) FROM event) AS created,
           (SELECT count(*) FROM fanout) AS deliveries,
           (SELECT count(*) FROM wake) AS woken
    """


def serialize_payload(payload: JSONObject) -> str:
    """Serialize an event payload for a ``jsonb`` column.

    Values go through core's `jsonable` (UUIDs, datetimes, decimals, enums). A NUL character,
    which ``jsonb`` cannot hold, becomes U+FFFD, so that an odd character in user data never
    rolls back the business transaction that emitted the event.

    Raises:
        ValidationError: The payload is not JSON-serializable (field ``payload``).
    """
    try:
        encoded = json.dumps(jsonable(payload), ensure_ascii=False, separators=(",", ":"))
    except (TypeError, ValueError) as exc:
        raise ValidationError("payload", f"the payload is not JSON: {exc}") from exc
    if "\\u0000" in encoded:
        encoded = _NUL_ESCAPE.sub(r"\1\\ufffd", encoded)
    return encoded


class OutboxSink:
    """Core's `EventSink` for the hub: records events and fans them out to destinations.

    Args:
        enabled: ``AUTOMATION_ENABLED``; when false, events are recorded without deliveries.
    """

    def __init__(self, *, enabled: bool = True) -> None:
        self.enabled = enabled

    async def emit(self, session: AsyncSession, event: DomainEvent) -> None:
        """Record a domain event in the caller's transaction (see the module docstring).

        Args:
            session: The caller's session, in a transaction scoped to ``event.tenant_id``.
            event: The event; its ``name``, ``payload()``, ``source_event_id`` and ``origin``
                are stored.
        """
        await self._insert(
            session,
            event_id=uuid.uuid4(),
            tenant_id=event.tenant_id,
            type=event.name,
            payload=serialize_payload(event.payload()),
            source_event_id=event.source_event_id,
            origin=event.origin,
            occurred_at=event.occurred_at,
        )

    async def publish(
        self,
        session: AsyncSession,
        *,
        tenant_id: TenantId,
        type: str,
        payload: JSONObject,
        source_event_id: str | None = None,
        origin: str | None = None,
        occurred_at: datetime | None = None,
    ) -> tuple[EventRecord, bool]:
        """Record a custom or test event, idempotently when ``source_event_id`` is given.

        Args:
            session: A session in a transaction scoped to ``tenant_id``.
            tenant_id: The tenant that owns the event.
            type: The event type, e.g. ``lead.qualified`` (1-100 characters).
            payload: A JSON object.
            source_event_id: The caller's id for the event (up to 255 characters).
            origin: What caused it (``destination:<id>`` keeps it from that destination).
            occurred_at: When it happened; now when None.

        Returns:
            The event and True when it was created; the original event and False when the
            (type, source_event_id) pair was seen before.

        Raises:
            ValidationError: A field is empty or too long, or the payload is not a JSON object.
        """
        if not type or len(type) > _MAX_TYPE:
            raise ValidationError("type", f"type must be 1 to {_MAX_TYPE} characters")
        if source_event_id is not None and not 0 < len(source_event_id) <= _MAX_SOURCE_ID:
            raise ValidationError(
                "source_event_id", f"source_event_id must be 1 to {_MAX_SOURCE_ID} characters"
            )
        if origin is not None and len(origin) > _MAX_ORIGIN:
            raise ValidationError("origin", f"origin must be at most {_MAX_ORIGIN} characters")
        if not isinstance(payload, dict):
            raise ValidationError("payload", "the payload must be a JSON object")
        encoded = serialize_payload(payload)
        now = utcnow()
        event_id = uuid.uuid4()
        created = await self._insert(
            session,
            event_id=event_id,
            tenant_id=tenant_id,
            type=type,
            payload=encoded,
            source_event_id=source_event_id,
            origin=origin,
            occurred_at=occurred_at or now,
            now=now,
        )
        if created:
            record = EventRecord(
                id=event_id,
                tenant_id=tenant_id,
                type=type,
                source_event_id=source_event_id,
                payload=json.loads(encoded),
                occurred_at=occurred_at or now,
                origin=origin,
                created_at=now,
            )
            return record, True
        original = (
            await session.execute(
                select(Event).where(
                    Event.tenant_id == tenant_id,
                    Event.type == type,
                    Event.source_event_id == source_event_id,
                )
            )
        ).scalar_one()
        return EventRecord.model_validate(original), False

    async def _insert(
        self,
        session: AsyncSession,
        *,
        event_id: uuid.UUID,
        tenant_id: TenantId,
        type: str,
        payload: str,
        source_event_id: str | None,
        origin: str | None,
        occurred_at: datetime,
        now: datetime | None = None,
    ) -> bool:
        conn = await driver_connection(session)
        row = await conn.fetchrow(
            _EMIT,
            event_id,
            tenant_id,
            type,
            source_event_id,
            payload,
            occurred_at,
            origin,
            now or utcnow(),
            self.enabled,
        )
        assert row is not None  # the final SELECT always returns one row
        return bool(row["created"])


class EventService:
    """The outbox of the unit of work's tenant: publish custom events, list and read events.

    Args:
        uow: The open unit of work (the service only flushes).
        sink: The outbox that records published events.
    """

    def __init__(self, uow: UnitOfWork, sink: OutboxSink) -> None:
        self.uow = uow
        self.sink = sink

    async def publish(self, data: EventPublish) -> tuple[EventRecord, bool]:
        """Publish a custom or test event (``POST /automations/events``).

        Returns:
            The event and True (201), or the original event and False (200) when
            ``source_event_id`` was seen before.

        Raises:
            ValidationError: The payload cannot be stored.
        """
        return await self.sink.publish(
            self.uow.session,
            tenant_id=self.uow.tenant_id,
            type=data.type,
            payload=data.payload,
            source_event_id=data.source_event_id,
            origin=self.uow.origin,
        )

    async def get(self, event_id: uuid.UUID) -> EventRecord:
        """Return one event.

        Raises:
            NotFoundError: No such event in this tenant.
        """
        row = (
            await self.uow.session.execute(
                select(Event).where(Event.tenant_id == self.uow.tenant_id, Event.id == event_id)
            )
        ).scalar_one_or_none()
        if row is None:
            raise NotFoundError("automation event", event_id)
        return EventRecord.model_validate(row)

    async def list(
        self,
        filters: EventFilter | None = None,
        *,
        limit: int = DEFAULT_LIMIT,
        cursor: str | None = None,
    ) -> Page[EventRecord]:
        """The tenant's events, newest first, one page at a time.

        Raises:
            ValidationError: The cursor is not one this API made.
        """
        query = select(Event).where(Event.tenant_id == self.uow.tenant_id)
        if filters is not None and filters.type is not None:
            query = query.where(Event.type == filters.type)
        columns = (Event.created_at, Event.id)
        return await read_page(
            self.uow.session, query, columns, EventRecord, limit=limit, cursor=cursor
        )
