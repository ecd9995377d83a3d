"""Checks that ids sent by a caller point at rows of the caller's tenant."""

from __future__ import annotations

import uuid

from sqlalchemy import select

from alfred_crm_core._db.base import Base
from alfred_crm_core.errors import ValidationError
from alfred_crm_core.uow import UnitOfWork

__all__ = ["ensure_in_tenant"]


async def ensure_in_tenant(
    uow: UnitOfWork, model: type[Base], row_id: uuid.UUID | None, field: str
) -> None:
    """Raise `ValidationError(field)` unless `row_id` is None or a row of `model` in this tenant.

    Another tenant's id and a missing id answer the same, so nothing leaks across tenants.
    """
    if row_id is None:
        return
    table = model.__table__
    found = await uow.session.execute(
        select(table.c.id).where(table.c.id == row_id, table.c.tenant_id == uow.tenant_id)
    )
    if found.scalar() is None:
        entity = field.removesuffix("_id")
        raise ValidationError(field, f"{field}: {entity} {row_id} does not exist")
