"""The `consent_records` and `inferences` tables.

`consent_records` is append-only: the application role may insert and read it, never update or
delete it (only deleting the contact removes its history, by cascade). `seq` orders a contact's
records exactly, whatever the clocks say: the latest record for a purpose decides.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Enum,
    ForeignKey,
    Identity,
    Index,
    String,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from alfred_crm_core._db.base import Base, TenantMixin, uuid_pk
from alfred_crm_core.clock import utcnow

__all__ = ["ConsentAction", "ConsentPurpose", "ConsentRecord", "Inference", "InferenceKind"]


class ConsentPurpose(StrEnum):
    """What a contact consents to."""

    FINANCIAL_INFERENCE = "financial_inference"
    """Reading income and company-size signals to shape lead scores and price guidance."""


class ConsentAction(StrEnum):
    """What a consent record says happened."""

    GRANTED = "granted"
    REVOKED = "revoked"


class InferenceKind(StrEnum):
    """What an on-demand inference inferred."""

    INCOME = "income"


def _values(enum: type[StrEnum]) -> list[str]:
    return [member.value for member in enum]


def _string_enum(enum: type[StrEnum], length: int) -> Enum:
    return Enum(
        enum,
        native_enum=False,
        create_constraint=False,
        length=length,
        values_callable=_values,
        validate_strings=True,
    )


class ConsentRecord(TenantMixin, Base):
    """One grant or revocation of a purpose by a contact, as recorded by a member."""

    __tablename__ = "consent_records"
    __table_args__ = (
        CheckConstraint("purpose IN ('financial_inference')", name="purpose"),
        CheckConstraint("action IN ('granted', 'revoked')", name="action"),
        Index("ix_consent_records_contact", "tenant_id", "contact_id", "purpose", text("seq DESC")),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    seq: Mapped[int] = mapped_column(BigInteger, Identity(always=True))
    contact_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("contacts.id", ondelete="CASCADE"))
    purpose: Mapped[ConsentPurpose] = mapped_column(_string_enum(ConsentPurpose, 64))
    action: Mapped[ConsentAction] = mapped_column(_string_enum(ConsentAction, 16))
    purpose_text_version: Mapped[str] = mapped_column(String(64))
    source: Mapped[str] = mapped_column(String(100))
    recorded_by: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)


class Inference(TenantMixin, Base):
    """The result of an on-demand inference about a contact, under an active consent."""

    __tablename__ = "inferences"
    __table_args__ = (
        CheckConstraint("kind IN ('income')", name="kind"),
        Index(
            "ix_inferences_contact",
            "tenant_id",
            "contact_id",
            text("created_at DESC"),
            text("id DESC"),
        ),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    contact_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("contacts.id", ondelete="CASCADE"))
    kind: Mapped[InferenceKind] = mapped_column(_string_enum(InferenceKind, 32))
    consent_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("consent_records.id", ondelete="CASCADE")
    )
    purpose_text_version: Mapped[str] = mapped_column(String(64))
    message_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("messages.id", ondelete="SET NULL")
    )
    result: Mapped[dict[str, Any]] = mapped_column(JSONB)
    created_by: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
