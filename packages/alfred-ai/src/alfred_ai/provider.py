"""The provider protocol and the data it speaks: a message and its context in, a triage out.

Every provider, built in or third-party, implements `Provider`: one async method that takes a
`MessageInput` and a `TriageContext` and returns a `Triage`. Providers never touch the database;
the caller (the app's ingestion service) builds the context and stores the result.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from enum import StrEnum
from typing import Annotated, Protocol, runtime_checkable

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PlainSerializer,
    PlainValidator,
    WithJsonSchema,
    model_validator,
)

__all__ = [
    "Channel",
    "Direction",
    "Intent",
    "Language",
    "MessageInput",
    "PriceGuidance",
    "Priority",
    "Provider",
    "Sentiment",
    "SentimentLabel",
    "Triage",
    "TriageContext",
]


class Intent(StrEnum):
    """What the sender wants from us."""

    PRICING = "pricing"
    PURCHASE = "purchase"
    SUPPORT = "support"
    COMPLAINT = "complaint"
    CANCELLATION = "cancellation"
    SCHEDULING = "scheduling"
    OTHER = "other"


class SentimentLabel(StrEnum):
    """The sign of a sentiment score."""

    POSITIVE = "positive"
    NEUTRAL = "neutral"
    NEGATIVE = "negative"


class Priority(StrEnum):
    """How soon a person should answer, lowest first."""

    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    URGENT = "urgent"


class Language(StrEnum):
    """The message language: Portuguese, English, or anything else (including undecidable)."""

    PT = "pt"
    EN = "en"
    OTHER = "other"


class Channel(StrEnum):
    """Where a message came from."""

    EMAIL = "email"
    WHATSAPP = "whatsapp"
    SMS = "sms"
    WEBCHAT = "webchat"


class Direction(StrEnum):
    """Whether the contact sent the message or we did."""

    INBOUND = "inbound"
    OUTBOUND = "outbound"


def _keep_mapping(value: object) -> Mapping[str, object]:
    # Keep the caller's mapping object as it is: copying it would read every key, and the
    # income provider's data-exclusion guarantee (it reads allowlisted keys only) is proved by
    # passing a mapping that fails on any other access.
    if not isinstance(value, Mapping):
        raise ValueError("contact_attributes must be a mapping")  # pydantic reports ValueError
    return value


def _attributes_to_dict(value: Mapping[str, object]) -> dict[str, object]:
    return dict(value)


AttributeMap = Annotated[
    Mapping[str, object],
    PlainValidator(_keep_mapping),
    PlainSerializer(_attributes_to_dict),
    WithJsonSchema({"type": "object"}),
]


class MessageInput(BaseModel):
    """One message to triage.

    Attributes:
        body: The message text.
        subject: The e-mail subject, when there is one.
        channel: The channel the message arrived on.
        direction: Inbound (from the contact) or outbound (from us).
        sent_at: When the sender sent it, if known.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    body: str
    subject: str | None = None
    channel: Channel = Channel.EMAIL
    direction: Direction = Direction.INBOUND
    sent_at: datetime | None = None


class TriageContext(BaseModel):
    """What the caller knows about the sender, beyond the message itself.

    Attributes:
        contact_id: A stable id of the contact (any string), used by deterministic mock sources.
        contact_email: The contact's e-mail address, when known.
        contact_attributes: The contact's free-form attributes. The object is kept as given, not
            copied; providers read only the keys they declare (see `IncomeAwareAIProvider`).
        financial_consent: True only while the contact has an active, recorded consent for
            `financial_inference`. Providers must not use income signals otherwise.
        previous_intents: Intents of earlier messages in the conversation, oldest first.
        currency: The tenant's ISO 4217 currency for price guidance; guessed from the language
            when absent.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    contact_id: str | None = None
    contact_email: str | None = None
    contact_attributes: AttributeMap = Field(default_factory=dict)
    financial_consent: bool = False
    previous_intents: tuple[Intent, ...] = ()
    currency: Annotated[str, Field(pattern=r"^[A-Z]{3}$")] | None = None


class Sentiment(BaseModel):
    """The tone of a message.

    Attributes:
        label: positive, neutral or negative.
        score: From -1 (very negative) to 1 (very positive).
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    label: SentimentLabel
    score: Annotated[float, Field(ge=-1.0, le=1.0)]


class PriceGuidance(BaseModel):
    """A suggestion for the salesperson answering a pricing or purchase message.

    Attributes:
        tier: The plan tier to lead with (for example `starter`, `growth`, `enterprise`).
        discount_min_pct: The lowest discount worth offering, in percent.
        discount_max_pct: The highest discount worth offering, in percent.
        currency: ISO 4217 code of the currency to quote in.
        rationale: Why this tier and range, in plain words.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    tier: str
    discount_min_pct: Annotated[int, Field(ge=0, le=100)]
    discount_max_pct: Annotated[int, Field(ge=0, le=100)]
    currency: Annotated[str, Field(pattern=r"^[A-Z]{3}$")]
    rationale: str

    @model_validator(mode="after")
    def _range_is_ordered(self) -> PriceGuidance:
        if self.discount_min_pct > self.discount_max_pct:
            raise ValueError("discount_min_pct must not exceed discount_max_pct")
        return self


class Triage(BaseModel):
    """A provider's reading of one message.

    Attributes:
        intent: What the sender wants.
        sentiment: The tone, as a label and a score in [-1, 1].
        priority: How soon someone should answer.
        language: The detected language.
        lead_score: How likely the sender is to buy, from 0 to 100.
        price_guidance: A tier and discount range, for pricing and purchase intents only.
        signals: The names of the signals the provider used, for audit.
        explanation: A human-readable account of how the signals led to this triage.
        provider: The name of the provider that produced it.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    intent: Intent
    sentiment: Sentiment
    priority: Priority
    language: Language
    lead_score: Annotated[int, Field(ge=0, le=100)]
    price_guidance: PriceGuidance | None = None
    signals: tuple[str, ...] = ()
    explanation: str
    provider: str


@runtime_checkable
class Provider(Protocol):
    """Reads a message and its context and returns a triage.

    Implementations must be safe to call concurrently and must not keep per-message state. They
    may raise or be slow: callers use `triage_with_fallback` so a message is never lost.
    """

    async def triage(self, message: MessageInput, context: TriageContext) -> Triage:
        """Triage one message.

        Args:
            message: The message to read.
            context: What the caller knows about the sender.

        Returns:
            The provider's triage.
        """
        ...
