"""Events the contact domain emits."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import ClassVar

from alfred_crm_core.events import DomainEvent

__all__ = ["ContactCreated", "ContactDeleted", "ContactUpdated"]


@dataclass(frozen=True, kw_only=True)
class ContactCreated(DomainEvent):
    """A contact was created (by the API, ingestion or an automation)."""

    name: ClassVar[str] = "contact.created"
    contact_id: uuid.UUID
    display_name: str
    email: str | None
    phone: str | None


@dataclass(frozen=True, kw_only=True)
class ContactUpdated(DomainEvent):
    """Fields of a contact changed; `changes` maps each field to its new value."""

    name: ClassVar[str] = "contact.updated"
    contact_id: uuid.UUID
    changes: dict[str, object] = field(default_factory=dict)


@dataclass(frozen=True, kw_only=True)
class ContactDeleted(DomainEvent):
    """A contact was deleted, with its conversations and leads."""

    name: ClassVar[str] = "contact.deleted"
    contact_id: uuid.UUID
