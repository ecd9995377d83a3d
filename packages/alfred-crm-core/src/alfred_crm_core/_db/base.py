"""The declarative base every core model derives from, and the column mixins they share."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import DateTime, MetaData, func
from sqlalchemy.orm import DeclarativeBase, Mapped, declared_attr, mapped_column

from alfred_crm_core.clock import utcnow

__all__ = ["Base", "TenantMixin", "TimestampMixin", "utcnow", "uuid_pk"]

# Deterministic constraint names, so migrations can name what they alter or drop.
NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def uuid_pk() -> Mapped[uuid.UUID]:
    """A UUID primary key generated in Python (ids are known before the INSERT)."""
    return mapped_column(primary_key=True, default=uuid.uuid4)


class Base(DeclarativeBase):
    """Declarative base with timezone-aware datetimes and the naming convention."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {datetime: DateTime(timezone=True)}  # noqa: RUF012  # read by SQLAlchemy


class TimestampMixin:
    """`created_at` and `updated_at`, set by the database and by every ORM update."""

    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(server_default=func.now(), onupdate=func.now())


class TenantMixin:
    """`tenant_id`: the row belongs to one tenant; RLS and every repository query filter on it."""

    @declared_attr
    def tenant_id(cls) -> Mapped[uuid.UUID]:  # declared_attr receives the class
        return mapped_column(index=False, nullable=False)
