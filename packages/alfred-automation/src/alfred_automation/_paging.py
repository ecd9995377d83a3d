"""One page of a tenant list, newest first (core's keyset pagination, shared by the services)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, TypeVar
from uuid import UUID

from pydantic import BaseModel
from sqlalchemy import Select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from alfred_crm_core.pagination import MAX_LIMIT, Page, page_of, paginate

__all__ = ["read_page"]

S = TypeVar("S", bound=BaseModel)


async def read_page(
    session: AsyncSession,
    query: Select[Any],
    columns: tuple[InstrumentedAttribute[datetime], InstrumentedAttribute[UUID]],
    schema: type[S],
    *,
    limit: int,
    cursor: str | None,
) -> Page[S]:
    """Run ``query`` for one page ordered by ``columns`` (created_at, id), as ``schema`` items.

    Raises:
        ValidationError: The cursor is not one this API made.
    """
    limit = max(1, min(limit, MAX_LIMIT))
    ordered = paginate(query, columns[0], columns[1], limit=limit, cursor=cursor)
    rows = (await session.execute(ordered)).scalars().all()
    items, next_cursor = page_of(rows, limit)
    return Page[schema](  # type: ignore[valid-type]  # a TypeVar bound at call time
        items=[schema.model_validate(row) for row in items], next_cursor=next_cursor
    )
