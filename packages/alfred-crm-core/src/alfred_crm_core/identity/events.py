"""Events the identity domain emits (API keys; sessions and logins emit none)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import ClassVar

from alfred_crm_core.events import DomainEvent

__all__ = ["ApiKeyCreated", "ApiKeyRevoked"]


@dataclass(frozen=True, kw_only=True)
class ApiKeyCreated(DomainEvent):
    """An API key was created (the event never carries the key)."""

    name: ClassVar[str] = "api_key.created"
    api_key_id: uuid.UUID
    key_name: str
    created_by: uuid.UUID


@dataclass(frozen=True, kw_only=True)
class ApiKeyRevoked(DomainEvent):
    """An API key was revoked; it authenticates nothing from now on."""

    name: ClassVar[str] = "api_key.revoked"
    api_key_id: uuid.UUID
    revoked_by: uuid.UUID | None
