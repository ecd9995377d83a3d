"""The declarative base every core model derives from, and the column mixins they share."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import DateTime, MetaData, func
from sqlalchemy.dialects.postgresql import ENUM
from sqlalchemy.orm import DeclarativeBase, Mapped, declared_attr, mapped_column

from alfred_crm_core.clock import utcnow

__all__ = ["Base", "TenantMixin", "TimestampMixin", "pg_enum", "utcnow", "uuid_pk"]

# Deterministic constraint names, so migrations can name what they alter or drop.
NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def pg_enum(cls: type[StrEnum], name: str) -> ENUM:
    """A PostgreSQL enum type over `cls`'s values (the type itself is created by migrations)."""
    return ENUM(cls, name=name, values_callable=lambda e: [m.value for m in e], create_type=False)


def uuid_pk() -> Mapped[uuid.UUID]:
    """A UUID primary key generated in Python (ids are known before the INSERT)."""
    return mapped_column(primary_key=True, default=uuid.uuid4)


class Base(DeclarativeBase):
    """Declarative base with timezone-aware datetimes and the naming convention."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    __mapper_args__ = {"eager_defaults": True}  # noqa: RUF012  # server defaults via RETURNING
    type_annotation_map = {datetime: DateTime(timezone=True)}  # noqa: RUF012  # read by SQLAlchemy


class TimestampMixin:
    """`created_at` and `updated_at`, set by the database and by every ORM update."""

    created_at: Mapped[datetime] = mapped_column(default=utcnow, server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(
        default=utcnow, server_default=func.now(), onupdate=utcnow
    )


class TenantMixin:
    """`tenant_id`: the row belongs to one tenant; RLS and every repository query filter on it."""

    @declared_attr
    def tenant_id(cls) -> Mapped[uuid.UUID]:  # declared_attr receives the class
        return mapped_column(index=False, nullable=False)
