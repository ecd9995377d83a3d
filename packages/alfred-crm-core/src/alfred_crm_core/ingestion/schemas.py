"""What a channel webhook sends, and what ingestion answers."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints

from alfred_crm_core.conversation.schemas import MessageRead

__all__ = ["InboundMessage", "IngestResult", "TriageRequest"]

Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]


class InboundMessage(BaseModel):
    """One inbound message as a channel provider posts it (the README's e-mail payload).

    Other channels send the same fields with a phone number (WhatsApp, SMS) or a session id (web
    chat) in `from`. Unknown fields, including any `tenant_id`, are ignored: the tenant is always
    the caller's.
    """

    model_config = ConfigDict(extra="ignore", populate_by_name=True)

    message_id: Annotated[Text, StringConstraints(max_length=255)] = Field(
        description="The channel's own id for the message; the dedupe key per channel."
    )
    sender: Annotated[Text, StringConstraints(max_length=320)] = Field(
        alias="from", description="E-mail address, phone number or web chat session id."
    )
    from_name: Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)] | None = (
        None
    )
    body: Annotated[Text, StringConstraints(max_length=65536)]
    sent_at: AwareDatetime = Field(description="When the customer sent it (ISO 8601 with zone).")
    subject: Annotated[str, StringConstraints(strip_whitespace=True, max_length=300)] | None = None
    to: Annotated[str, StringConstraints(strip_whitespace=True, max_length=320)] | None = None
    in_reply_to: Annotated[str, StringConstraints(strip_whitespace=True, max_length=255)] | None = (
        None
    )


class IngestResult(BaseModel):
    """What ingestion did: where the message went, and whether it was already there."""

    contact_id: uuid.UUID
    conversation_id: uuid.UUID
    message: MessageRead
    duplicate: bool = Field(description="True when this message id was ingested before.")
    lead_id: uuid.UUID | None = None


class TriageRequest(BaseModel):
    """What the triage port receives (the app adapts it to the AI provider)."""

    model_config = ConfigDict(frozen=True)

    body: str
    subject: str | None
    channel: str
    sent_at: datetime
    contact_id: uuid.UUID
    contact_attributes: dict[str, Any]
    financial_consent: bool
    contact_email: str | None = None
