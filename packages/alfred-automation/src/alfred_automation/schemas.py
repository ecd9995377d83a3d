"""What the hub's services take and return; the app uses them as request and response bodies.

Destination secrets are write-only: inputs carry them as ``SecretStr`` (hidden from ``repr`` and
logs), and no output carries one except `DestinationWithSecret.secret`, filled in only when Alfred
generated the secret and shown that one time.
"""

from __future__ import annotations

import re
import uuid
from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    StringConstraints,
)

from alfred_crm_core.events import jsonable
from alfred_crm_core.types import InputJSONObject, JSONObject

__all__ = [
    "ALL_EVENTS",
    "DeliveryAttemptRead",
    "DeliveryFilter",
    "DeliveryRead",
    "DeliveryStatus",
    "DestinationCreate",
    "DestinationRead",
    "DestinationUpdate",
    "DestinationWithSecret",
    "EventFilter",
    "EventPublish",
    "EventRecord",
    "EventType",
]

ALL_EVENTS = "*"
"""The `event_types` entry that subscribes a destination to every event."""

_EVENT_TYPE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.:\-]{0,99}")
_MAX_EVENT_TYPES = 100

EventType = Annotated[
    str, StringConstraints(strip_whitespace=True, pattern=_EVENT_TYPE.pattern, max_length=100)
]
"""An event's wire name, e.g. ``task.created``: letters, digits, ``_ . : -``, up to 100."""
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
SourceEventId = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=255)
]


def _normalize_event_types(value: list[str]) -> list[str]:
    cleaned = list(dict.fromkeys(v.strip() for v in value))
    if not cleaned:
        raise ValueError("give at least one event type, or ['*'] for every event")
    if len(cleaned) > _MAX_EVENT_TYPES:
        raise ValueError(f"at most {_MAX_EVENT_TYPES} event types")
    for item in cleaned:
        if item != ALL_EVENTS and not _EVENT_TYPE.fullmatch(item):
            raise ValueError(f"{item[:100]!r} is not '*' or an event type such as 'task.created'")
    return [ALL_EVENTS] if ALL_EVENTS in cleaned else cleaned


EventTypes = Annotated[list[str], AfterValidator(_normalize_event_types)]


class DeliveryStatus(StrEnum):
    """Where a delivery stands."""

    PENDING = "pending"
    """Waiting for its next attempt (``next_retry_at``), or being attempted."""
    SUCCEEDED = "succeeded"
    """The destination answered 2xx."""
    FAILED = "failed"
    """No more attempts: a permanent answer, attempts ran out, or the destination is disabled."""


class DestinationCreate(BaseModel):
    """A new destination. Without ``secret``, Alfred generates one and returns it once."""

    model_config = ConfigDict(extra="ignore")

    name: Name
    url: str = Field(max_length=2048, description="http(s) URL; private addresses are refused.")
    secret: SecretStr | None = Field(
        default=None,
        description="`whsec_` + base64 of 24-64 bytes, or 16+ characters; generated when absent.",
    )
    enabled: bool = True
    event_types: EventTypes = Field(
        default_factory=lambda: [ALL_EVENTS],
        description="`['*']` for every event, or a list of event types.",
    )


class DestinationUpdate(BaseModel):
    """Fields to change; absent fields stay. A new ``secret`` keeps the old one valid for 24 h."""

    model_config = ConfigDict(extra="ignore")

    name: Name | None = None
    url: str | None = Field(default=None, max_length=2048)
    secret: SecretStr | None = None
    enabled: bool | None = None
    event_types: EventTypes | None = None


class DestinationRead(BaseModel):
    """A destination as the API shows it: the secret only masked."""

    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    name: str
    url: str
    enabled: bool
    event_types: list[str]
    secret_masked: str = Field(
        description="e.g. `whsec_****abcd`; the secret itself is never shown."
    )
    disabled_reason: str | None = Field(
        description="Why Alfred disabled it (e.g. the receiver answered 410); null otherwise."
    )
    previous_secret_expires_at: datetime | None = Field(
        description="Until when the secret replaced by the last rotation is still accepted."
    )
    created_at: datetime
    updated_at: datetime


class DestinationWithSecret(DestinationRead):
    """A destination just created or rotated, with the secret when Alfred generated it."""

    secret: str | None = Field(
        default=None,
        description="The generated secret, shown this once; null when you supplied the secret.",
    )


class EventPublish(BaseModel):
    """A custom or test event published through the API."""

    model_config = ConfigDict(extra="ignore")

    type: EventType
    payload: InputJSONObject = Field(default_factory=dict)
    source_event_id: SourceEventId | None = Field(
        default=None, description="Publishing the same (type, source_event_id) again is a no-op."
    )


class EventRecord(BaseModel):
    """An event in the outbox."""

    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    tenant_id: uuid.UUID
    type: str
    source_event_id: str | None
    payload: JSONObject
    occurred_at: datetime
    origin: str | None = Field(description="What caused it, e.g. `destination:<id>`.")
    created_at: datetime

    def envelope(self) -> dict[str, Any]:
        """The delivered body: exactly ``event_id, tenant_id, occurred_at, type, payload``."""
        return {
            "event_id": str(self.id),
            "tenant_id": str(self.tenant_id),
            "occurred_at": jsonable(self.occurred_at),
            "type": self.type,
            "payload": self.payload,
        }


class EventFilter(BaseModel):
    """Event list filters."""

    type: str | None = None


class DeliveryRead(BaseModel):
    """One event's delivery to one destination."""

    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    event_id: uuid.UUID
    destination_id: uuid.UUID
    status: DeliveryStatus
    attempts: int = Field(description="Attempts made (counted when an attempt starts).")
    next_retry_at: datetime | None = Field(
        description="When a pending delivery is tried next (while one is in flight: its lease end)."
    )
    last_status_code: int | None
    last_error: str | None
    claimed_until: datetime | None = Field(
        description="Set while a dispatcher holds it; past this another dispatcher takes it."
    )
    created_at: datetime
    updated_at: datetime
    delivered_at: datetime | None


class DeliveryAttemptRead(BaseModel):
    """One attempt of a delivery, from the attempts log."""

    model_config = ConfigDict(from_attributes=True)

    attempt: int
    started_at: datetime
    duration_ms: int
    status_code: int | None
    error: str | None
    response_excerpt: str | None = Field(description="The response body's start (capped).")


class DeliveryFilter(BaseModel):
    """Delivery list filters."""

    status: DeliveryStatus | None = None
    destination_id: uuid.UUID | None = None
    event_id: uuid.UUID | None = None
