"""Consent and inference schemas: what callers send and what they get back."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from alfred_crm_core.consent.models import ConsentAction, ConsentPurpose, InferenceKind
from alfred_crm_core.conversation.models import Channel

__all__ = [
    "ConsentGrant",
    "ConsentHistory",
    "ConsentRead",
    "IncomeInferenceRequest",
    "InferenceRead",
    "Source",
]

Source = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=100),
    Field(
        description=(
            "Where the consent was captured: the channel (`whatsapp`, `email`, `sms`, `webchat`) "
            "or another place such as `web_form`, `phone_call`, `in_person`."
        ),
        examples=["whatsapp"],
    ),
]


class ConsentGrant(BaseModel):
    """A contact's consent, as captured: which text they agreed to, and where."""

    model_config = ConfigDict(extra="ignore")

    purpose_text_version: Annotated[
        str,
        StringConstraints(strip_whitespace=True, min_length=1, max_length=64),
        Field(
            description="The version of the purpose text the contact was shown; must be the "
            "current one (see `current_purpose_text_versions` in the history).",
            examples=["2026-11"],
        ),
    ]
    source: Source


class ConsentRead(BaseModel):
    """One consent record (grant or revocation).

    Attributes:
        active: True for the one record that makes the purpose's consent active now: the latest
            record of the purpose, a grant, of the current purpose text version.
    """

    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    contact_id: uuid.UUID
    purpose: ConsentPurpose
    action: ConsentAction
    purpose_text_version: str
    source: str
    recorded_by: uuid.UUID | None = Field(description="The member who recorded it.")
    recorded_at: datetime
    active: bool = False


class ConsentHistory(BaseModel):
    """A contact's consent records, newest first, and the purpose text versions in force."""

    items: list[ConsentRead]
    current_purpose_text_versions: dict[ConsentPurpose, str]


class IncomeInferenceRequest(BaseModel):
    """What to infer from: a message text, or (when absent) the contact's latest inbound message."""

    model_config = ConfigDict(extra="ignore")

    body: (
        Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=65536)]
        | None
    ) = None
    subject: Annotated[str, StringConstraints(strip_whitespace=True, max_length=300)] | None = None
    channel: Channel = Field(
        default=Channel.EMAIL, description="The channel `body` came from (ignored without it)."
    )


class InferenceRead(BaseModel):
    """A stored inference: the provider's triage, blended with the consented income signals."""

    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    contact_id: uuid.UUID
    kind: InferenceKind
    consent_id: uuid.UUID = Field(description="The grant it was made under.")
    purpose_text_version: str
    message_id: uuid.UUID | None = Field(description="The message read; null for a given `body`.")
    result: dict[str, Any]
    created_by: uuid.UUID | None
    created_at: datetime
