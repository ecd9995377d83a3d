"""Keyset pagination: opaque cursors over (sort key, id), newest first.

A cursor encodes the last row of a page; the next page is every row strictly after it in the
sort order. Pages stay stable while rows are inserted, and cost the same at any depth.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, Generic, TypeVar
from uuid import UUID

from pydantic import BaseModel, Field
from sqlalchemy import Select, tuple_
from sqlalchemy.orm import InstrumentedAttribute

from alfred_crm_core.errors import ValidationError

__all__ = ["DEFAULT_LIMIT", "MAX_LIMIT", "Page", "decode_cursor", "encode_cursor", "paginate"]

DEFAULT_LIMIT = 50
MAX_LIMIT = 200
T = TypeVar("T")
S = TypeVar("S", bound=Select[Any])


class Page(BaseModel, Generic[T]):
    """One page of a list: the items and the cursor of the next page (null on the last)."""

    items: list[T]
    next_cursor: str | None = Field(
        default=None, description="Pass as `cursor` to get the next page; null on the last page."
    )


def encode_cursor(sort_value: datetime, row_id: UUID) -> str:
    """Encode the last row of a page as an opaque cursor."""
    raw = json.dumps([sort_value.isoformat(), str(row_id)]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, UUID]:
    """Decode a cursor made by `encode_cursor`.

    Raises:
        ValidationError: The cursor is not one we made (field `cursor`).
    """
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        sort_value, row_id = json.loads(raw)
        return datetime.fromisoformat(sort_value), UUID(row_id)
    except (ValueError, TypeError) as exc:
        raise ValidationError("cursor", "invalid cursor") from exc


def paginate(
    query: S,
    sort_column: InstrumentedAttribute[datetime],
    id_column: InstrumentedAttribute[UUID],
    *,
    limit: int,
    cursor: str | None,
) -> S:
    """Order `query` newest first and apply the cursor; fetches `limit + 1` rows.

    Use `page_of` on the result to cut the extra row and make the next cursor.
    """
    if cursor:
        after_value, after_id = decode_cursor(cursor)
        # A row comparison, which an index on (tenant_id, sort DESC, id DESC) answers directly.
        query = query.where(tuple_(sort_column, id_column) < tuple_(after_value, after_id))
    return query.order_by(sort_column.desc(), id_column.desc()).limit(limit + 1)


def page_of(
    rows: Sequence[T], limit: int, key: tuple[str, str] = ("created_at", "id")
) -> tuple[list[T], str | None]:
    """Cut a `limit + 1` result to `limit` rows and return them with the next cursor.

    Rows are objects with the key attributes, or mappings with the key columns.
    """
    items = list(rows[:limit])
    if len(rows) <= limit or not items:
        return items, None
    last: Any = items[-1]
    if isinstance(last, Mapping):
        return items, encode_cursor(last[key[0]], last[key[1]])
    return items, encode_cursor(getattr(last, key[0]), getattr(last, key[1]))
