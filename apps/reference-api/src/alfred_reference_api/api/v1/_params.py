"""Query parameters shared by every list route."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query

__all__ = ["Cursor", "Limit"]

Limit = Annotated[int, Query(ge=1, le=200, description="Page size (default 50, at most 200).")]
Cursor = Annotated[
    str | None,
    Query(max_length=512, description="`next_cursor` of the previous page; absent for the first."),
]
