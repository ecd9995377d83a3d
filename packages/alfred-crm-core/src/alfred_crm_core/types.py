"""Type aliases shared by every domain and by the packages built on core."""

from __future__ import annotations

from typing import Any, TypeAlias
from uuid import UUID

__all__ = ["JSON", "JSONObject", "TenantId", "UserId"]

TenantId: TypeAlias = UUID
UserId: TypeAlias = UUID
JSON: TypeAlias = Any  # what json.dumps accepts; kept loose on purpose (payloads are user data)
JSONObject: TypeAlias = dict[str, Any]
