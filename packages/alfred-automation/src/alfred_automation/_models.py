"""The hub's tables, mapped with the package's own declarative base (migration `a0002`).

Private: other packages read the hub through its services and schemas. The hot paths (the
outbox insert, the dispatcher's claim and completion, the callback receipt) use hand-written
SQL in their modules; these classes serve the tenant-facing queries and the schema test.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import (
    CheckConstraint,
    Column,
    DateTime,
    ForeignKey,
    Index,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    Uuid,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

__all__ = [
    "Base",
    "CallbackReceipt",
    "Delivery",
    "DeliveryAttempt",
    "Destination",
    "Event",
    "RateLimit",
]

_NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """The hub's declarative base: its own metadata, timezone-aware datetimes."""

    metadata = MetaData(naming_convention=_NAMING_CONVENTION)
    type_annotation_map = {datetime: DateTime(timezone=True)}  # noqa: RUF012  # read by SQLAlchemy


# Core owns `tenants`; it is declared here only so that the foreign keys below resolve.
Table("tenants", Base.metadata, Column("id", Uuid(), primary_key=True))


def _newest_first(table: str) -> Index:
    return Index(
        f"ix_{table}_tenant_created", "tenant_id", text("created_at DESC"), text("id DESC")
    )


def _tenant(table: str) -> Mapped[uuid.UUID]:
    return mapped_column(ForeignKey("tenants.id", ondelete="CASCADE", name=f"fk_{table}_tenant"))


class Destination(Base):
    """`automation_destinations`: where a tenant's events are sent."""

    __tablename__ = "automation_destinations"
    __table_args__ = (_newest_first("automation_destinations"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    tenant_id: Mapped[uuid.UUID] = _tenant("automation_destinations")
    name: Mapped[str] = mapped_column(String(200))
    url: Mapped[str] = mapped_column(String(2048))
    secret_encrypted: Mapped[str] = mapped_column(Text)
    secret_masked: Mapped[str] = mapped_column(String(32))
    previous_secret_encrypted: Mapped[str | None] = mapped_column(Text)
    previous_secret_expires_at: Mapped[datetime | None]
    enabled: Mapped[bool] = mapped_column(server_default=text("true"))
    event_types: Mapped[list[str]] = mapped_column(
        ARRAY(Text), server_default=text("'{*}'::text[]")
    )
    disabled_reason: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class Event(Base):
    """`automation_events`: the outbox, one row per event of a tenant."""

    __tablename__ = "automation_events"
    __table_args__ = (
        UniqueConstraint("tenant_id", "type", "source_event_id"),
        _newest_first("automation_events"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    tenant_id: Mapped[uuid.UUID] = _tenant("automation_events")
    type: Mapped[str] = mapped_column(String(100))
    source_event_id: Mapped[str | None] = mapped_column(String(255))
    payload: Mapped[dict[str, Any]] = mapped_column(JSONB)
    occurred_at: Mapped[datetime]
    origin: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[datetime]


class Delivery(Base):
    """`automation_deliveries`: one event to one destination, with its retry state."""

    __tablename__ = "automation_deliveries"
    __table_args__ = (
        UniqueConstraint("event_id", "destination_id"),
        CheckConstraint("status IN ('pending', 'succeeded', 'failed')", name="status"),
        Index(
            "ix_automation_deliveries_due",
            "next_retry_at",
            postgresql_where=text("status = 'pending'"),
        ),
        _newest_first("automation_deliveries"),
        Index("ix_automation_deliveries_destination_id", "destination_id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    tenant_id: Mapped[uuid.UUID] = _tenant("automation_deliveries")
    event_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey(
            "automation_events.id", ondelete="CASCADE", name="fk_automation_deliveries_event"
        )
    )
    destination_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey(
            "automation_destinations.id",
            ondelete="CASCADE",
            name="fk_automation_deliveries_destination",
        )
    )
    status: Mapped[str] = mapped_column(String(16), server_default="pending")
    attempts: Mapped[int] = mapped_column(server_default=text("0"))
    next_retry_at: Mapped[datetime | None]
    last_status_code: Mapped[int | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    claimed_until: Mapped[datetime | None]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    delivered_at: Mapped[datetime | None]


class DeliveryAttempt(Base):
    """`automation_delivery_attempts`: the log of every attempt."""

    __tablename__ = "automation_delivery_attempts"
    __table_args__ = (
        Index("ix_automation_delivery_attempts_delivery_started", "delivery_id", "started_at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    tenant_id: Mapped[uuid.UUID] = _tenant("automation_delivery_attempts")
    delivery_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey(
            "automation_deliveries.id",
            ondelete="CASCADE",
            name="fk_automation_delivery_attempts_delivery",
        )
    )
    attempt: Mapped[int]
    started_at: Mapped[datetime]
    duration_ms: Mapped[int]
    status_code: Mapped[int | None]
    error: Mapped[str | None] = mapped_column(Text)
    response_excerpt: Mapped[str | None] = mapped_column(String(2048))


class CallbackReceipt(Base):
    """`automation_callback_receipts`: the stored answer to each accepted callback event id."""

    __tablename__ = "automation_callback_receipts"
    __table_args__ = (
        UniqueConstraint("destination_id", "signature"),
        Index("ix_automation_callback_receipts_created_at", "created_at"),
    )

    destination_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey(
            "automation_destinations.id",
            ondelete="CASCADE",
            name="fk_automation_callback_receipts_destination",
        ),
        primary_key=True,
    )
    event_id: Mapped[str] = mapped_column(String(255), primary_key=True)
    tenant_id: Mapped[uuid.UUID] = _tenant("automation_callback_receipts")
    signature: Mapped[str] = mapped_column(String(64))
    status_code: Mapped[int]
    response_body: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    created_at: Mapped[datetime]


class RateLimit(Base):
    """`automation_rate_limits`: callbacks counted per destination and clock minute."""

    __tablename__ = "automation_rate_limits"

    destination_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey(
            "automation_destinations.id",
            ondelete="CASCADE",
            name="fk_automation_rate_limits_destination",
        ),
        primary_key=True,
    )
    window_start: Mapped[datetime] = mapped_column(primary_key=True)
    count: Mapped[int]
