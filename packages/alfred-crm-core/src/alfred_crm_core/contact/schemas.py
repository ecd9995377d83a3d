"""Contact schemas: what callers send and what they get back."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from alfred_crm_core.types import InputJSONObject

__all__ = ["ContactCreate", "ContactFilter", "ContactRead", "ContactUpdate", "Tag"]

Tag = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=50)]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]


class ContactCreate(BaseModel):
    """A new contact: a name and at least one way to reach them is usual, not required."""

    model_config = ConfigDict(extra="ignore")

    name: Name
    email: str | None = Field(default=None, max_length=254, examples=["ana@example.com.br"])
    phone: str | None = Field(default=None, max_length=32, examples=["+55 11 98765-4321"])
    tags: list[Tag] = Field(default_factory=list, max_length=50)
    attributes: InputJSONObject = Field(default_factory=dict)


class ContactUpdate(BaseModel):
    """Fields to change; absent fields stay as they are, `null` clears e-mail or phone."""

    model_config = ConfigDict(extra="ignore")

    name: Name | None = None
    email: str | None = Field(default=None, max_length=254)
    phone: str | None = Field(default=None, max_length=32)
    tags: list[Tag] | None = Field(default=None, max_length=50)
    attributes: InputJSONObject | None = None


class ContactRead(BaseModel):
    """A contact as the API shows it."""

    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    name: str
    email: str | None
    phone: str | None
    tags: list[str]
    attributes: dict[str, Any]
    created_at: datetime
    updated_at: datetime


class ContactFilter(BaseModel):
    """List filters: `q` matches name, e-mail or phone (case-insensitive); `tag` one tag."""

    q: str | None = Field(default=None, max_length=200)
    tag: str | None = Field(default=None, max_length=50)
