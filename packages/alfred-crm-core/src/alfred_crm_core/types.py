"""Type aliases shared by every domain and by the packages built on core."""

from __future__ import annotations

from typing import Annotated, Any, TypeAlias
from uuid import UUID

from pydantic import AfterValidator

__all__ = ["JSON", "MAX_JSON_DEPTH", "InputJSONObject", "JSONObject", "TenantId", "UserId"]

MAX_JSON_DEPTH = 32
"""How deep free-form JSON from callers may nest (objects and arrays)."""

TenantId: TypeAlias = UUID
UserId: TypeAlias = UUID
JSON: TypeAlias = Any  # what json.dumps accepts; kept loose on purpose (payloads are user data)
JSONObject: TypeAlias = dict[str, Any]


def _depth(value: Any, limit: int) -> bool:
    """Whether `value` nests no deeper than `limit` levels (without recursion)."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict | list):
            if depth > limit:
                return False
            children = item.values() if isinstance(item, dict) else item
            stack.extend((child, depth + 1) for child in children)
    return True


def _shallow(value: dict[str, Any]) -> dict[str, Any]:
    if not _depth(value, MAX_JSON_DEPTH):
        raise ValueError(f"nested deeper than {MAX_JSON_DEPTH} levels")
    return value


InputJSONObject: TypeAlias = Annotated[dict[str, Any], AfterValidator(_shallow)]
"""A JSON object from a caller, nested at most `MAX_JSON_DEPTH` levels.

Stored JSON must also serialise on the way out (pydantic stops at about 255 levels), so the
limit applies on the way in, where the caller gets a 422 naming the field.
"""
