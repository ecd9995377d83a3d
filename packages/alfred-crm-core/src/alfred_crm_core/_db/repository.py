"""The repository base: every query starts from `_scoped()`, the tenant filter."""

from __future__ import annotations

import uuid
from typing import Any, ClassVar, Generic, Literal, TypeVar

from sqlalchemy import ColumnElement, Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from alfred_crm_core.errors import NotFoundError
from alfred_crm_core.uow import UnitOfWork

__all__ = ["Repository", "RowLock"]

M = TypeVar("M", bound=Any)  # a mapped class with `id` and `tenant_id`
RowLock = Literal["update", "share"]
"""`FOR UPDATE` (to change the row) or `FOR SHARE` (to read it while nobody changes it)."""


class Repository(Generic[M]):
    """Data access for one tenant-scoped model, within one unit of work.

    Subclasses set `model` and `entity` (the name used in errors, e.g. "contact").
    """

    model: ClassVar[type[Any]]
    entity: ClassVar[str]

    def __init__(self, uow: UnitOfWork) -> None:
        self.session: AsyncSession = uow.session
        self.tenant_id = uow.tenant_id

    def _scoped(self) -> Select[M]:
        """`SELECT model WHERE tenant_id = <this tenant>`: the start of every query."""
        return select(self.model).where(self._in_tenant())

    def _in_tenant(self) -> ColumnElement[bool]:
        """`tenant_id = <this tenant>`: the filter of every UPDATE, DELETE and aggregate."""
        condition: ColumnElement[bool] = self.model.tenant_id == self.tenant_id
        return condition

    async def find(self, row_id: uuid.UUID, *, lock: RowLock | None = None) -> M | None:
        """Return the row with `row_id` in this tenant, or None.

        Args:
            row_id: The id.
            lock: Lock the row until the transaction ends (`update` or `share`).
        """
        query = self._scoped().where(self.model.id == row_id)
        if lock is not None:
            query = query.with_for_update(read=lock == "share")
        result = await self.session.execute(query)
        row: M | None = result.scalar_one_or_none()
        return row

    async def get(self, row_id: uuid.UUID, *, lock: RowLock | None = None) -> M:
        """Return the row with `row_id` in this tenant (see `find` for `lock`).

        Raises:
            NotFoundError: No such row in this tenant (another tenant's id included).
        """
        row = await self.find(row_id, lock=lock)
        if row is None:
            raise NotFoundError(self.entity, row_id)
        return row

    def add(self, row: M) -> M:
        """Stage `row` for insertion in this tenant."""
        row.tenant_id = self.tenant_id
        self.session.add(row)
        return row

    async def delete(self, row: M) -> None:
        """Stage `row` for deletion."""
        await self.session.delete(row)
