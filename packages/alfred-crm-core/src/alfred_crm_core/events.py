"""Domain events and the port they leave core through.

Every create, update and status change in a service emits one event through the unit of work's
`EventSink`, inside the same transaction as the change: when the transaction rolls back, the event
is gone too. Core knows nothing of who listens; the reference app wires the automation hub's
outbox in as the sink.
"""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from enum import Enum
from typing import Any, ClassVar, Protocol

from sqlalchemy.ext.asyncio import AsyncSession

from alfred_crm_core.clock import utcnow
from alfred_crm_core.types import JSONObject, TenantId

__all__ = ["DomainEvent", "EventSink", "NullEventSink", "jsonable"]

_ENVELOPE_FIELDS = frozenset({"tenant_id", "occurred_at", "source_event_id", "origin"})


def jsonable(value: Any) -> Any:
    """Convert UUIDs, datetimes, decimals, enums and containers into JSON-ready values."""
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, datetime):
        return value.isoformat().replace("+00:00", "Z")
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [jsonable(v) for v in value]
    return value


@dataclass(frozen=True, kw_only=True)
class DomainEvent:
    """Something that happened in a tenant; subclasses add the fields of their payload.

    Attributes:
        name: The wire name, past tense (`contact.created`).
        tenant_id: The tenant it happened in.
        occurred_at: When it happened (UTC).
        source_event_id: Makes publishing idempotent: the sink keeps one event per
            (tenant, name, source_event_id).
        origin: What caused it, e.g. `destination:<uuid>` for an automation callback; the hub
            never delivers an event back to the destination that caused it.
    """

    name: ClassVar[str]
    tenant_id: TenantId
    occurred_at: datetime = field(default_factory=utcnow)
    source_event_id: str | None = None
    origin: str | None = None

    def payload(self) -> JSONObject:
        """The event's own fields (everything but the envelope), JSON-ready."""
        return {
            f.name: jsonable(getattr(self, f.name))
            for f in dataclasses.fields(self)
            if f.name not in _ENVELOPE_FIELDS
        }


class EventSink(Protocol):
    """Receives domain events inside the caller's open transaction."""

    async def emit(self, session: AsyncSession, event: DomainEvent) -> None:
        """Record `event` using `session`, so it commits or rolls back with the change."""
        ...


class NullEventSink:
    """An `EventSink` that drops every event (for tools that need no outbox)."""

    async def emit(self, session: AsyncSession, event: DomainEvent) -> None:
        """Drop `event`."""
