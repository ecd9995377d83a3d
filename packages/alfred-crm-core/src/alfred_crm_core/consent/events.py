"""Events the consent domain emits."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import ClassVar

from alfred_crm_core.events import DomainEvent

__all__ = ["ConsentGranted", "ConsentRevoked", "InferenceCreated"]


@dataclass(frozen=True, kw_only=True)
class ConsentGranted(DomainEvent):
    """A contact's consent for a purpose was recorded."""

    name: ClassVar[str] = "consent.granted"
    consent_id: uuid.UUID
    contact_id: uuid.UUID
    purpose: str
    purpose_text_version: str
    source: str


@dataclass(frozen=True, kw_only=True)
class ConsentRevoked(DomainEvent):
    """A contact withdrew a consent. Receivers should forget what they inferred under it.

    `inferences_deleted` and `messages_retriaged` say what Alfred itself removed.
    """

    name: ClassVar[str] = "consent.revoked"
    consent_id: uuid.UUID
    contact_id: uuid.UUID
    purpose: str
    source: str
    inferences_deleted: int
    messages_retriaged: int


@dataclass(frozen=True, kw_only=True)
class InferenceCreated(DomainEvent):
    """An on-demand inference about a contact was stored (the event never carries its result)."""

    name: ClassVar[str] = "inference.created"
    inference_id: uuid.UUID
    contact_id: uuid.UUID
    kind: str
