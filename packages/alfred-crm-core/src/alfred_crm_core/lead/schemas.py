"""Lead schemas. Money is a decimal string plus an ISO 4217 currency code."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, PlainSerializer, StringConstraints

from alfred_crm_core.lead.models import LeadStage

__all__ = ["Currency", "LeadCreate", "LeadFilter", "LeadRead", "LeadUpdate", "Money"]

Currency = Annotated[
    str, StringConstraints(strip_whitespace=True, to_upper=True, pattern=r"^[A-Za-z]{3}$")
]
Money = Annotated[
    Decimal,
    Field(ge=0, max_digits=14, decimal_places=2, examples=["1500.00"]),
    PlainSerializer(lambda d: f"{d:.2f}", return_type=str, when_used="json"),
]


class LeadCreate(BaseModel):
    """A new lead for an existing contact; `value` needs `currency`."""

    model_config = ConfigDict(extra="ignore")

    contact_id: uuid.UUID
    title: Annotated[str, StringConstraints(strip_whitespace=True, max_length=300)] | None = None
    stage: LeadStage = LeadStage.NEW
    value: Money | None = None
    currency: Currency | None = None
    owner_id: uuid.UUID | None = None
    lost_reason: Annotated[str, StringConstraints(max_length=2000)] | None = None


class LeadUpdate(BaseModel):
    """Fields to change; a stage change counts as activity."""

    model_config = ConfigDict(extra="ignore")

    title: Annotated[str, StringConstraints(strip_whitespace=True, max_length=300)] | None = None
    stage: LeadStage | None = None
    value: Money | None = None
    currency: Currency | None = None
    owner_id: uuid.UUID | None = None
    lost_reason: Annotated[str, StringConstraints(max_length=2000)] | None = None


class LeadRead(BaseModel):
    """A lead as the API shows it."""

    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    contact_id: uuid.UUID
    title: str | None
    stage: LeadStage
    value: Money | None
    currency: str | None
    owner_id: uuid.UUID | None
    last_activity_at: datetime
    price_guidance: dict[str, Any] | None
    won_at: datetime | None
    lost_reason: str | None
    created_at: datetime
    updated_at: datetime


class LeadFilter(BaseModel):
    """List filters."""

    stage: LeadStage | None = None
    contact_id: uuid.UUID | None = None
