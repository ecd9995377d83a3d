"""Test helpers for code that uses alfred-ai.

A fake provider, a triage builder, and a mapping that proves which contact attributes a provider
reads.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field

from alfred_ai.provider import (
    Intent,
    Language,
    MessageInput,
    Priority,
    Sentiment,
    SentimentLabel,
    Triage,
    TriageContext,
)

__all__ = ["SENSITIVE_ATTRIBUTES", "FakeProvider", "GuardedAttributes", "make_triage"]


def make_triage(**overrides: object) -> Triage:
    """A valid triage (intent `other`, neutral, low priority) with any field overridden.

    Args:
        **overrides: Triage fields to set, e.g. `intent=Intent.PRICING, lead_score=80`.
    """
    fields: dict[str, object] = {
        "intent": Intent.OTHER,
        "sentiment": Sentiment(label=SentimentLabel.NEUTRAL, score=0.0),
        "priority": Priority.LOW,
        "language": Language.EN,
        "lead_score": 0,
        "price_guidance": None,
        "signals": ("fake",),
        "explanation": "Fixed triage from FakeProvider.",
        "provider": "fake",
    }
    return Triage.model_validate(fields | overrides)


@dataclass
class FakeProvider:
    """A provider that returns a fixed triage (or fails) and records every call.

    Attributes:
        result: The triage returned.
        error: When set, raised instead of returning.
        delay: Seconds to sleep first (to exercise timeouts).
        name: The provider's name.
        calls: Every (message, context) received, in order.
    """

    result: Triage = field(default_factory=make_triage)
    error: Exception | None = None
    delay: float = 0.0
    name: str = "fake"
    calls: list[tuple[MessageInput, TriageContext]] = field(default_factory=list)

    async def triage(self, message: MessageInput, context: TriageContext) -> Triage:
        """Record the call, wait `delay`, then raise `error` or return `result`."""
        self.calls.append((message, context))
        if self.delay:
            await asyncio.sleep(self.delay)
        if self.error is not None:
            raise self.error
        return self.result


class GuardedAttributes(Mapping[str, object]):
    """Contact attributes that fail on any access outside `allowed`, and record the reads.

    Pass it as `TriageContext.contact_attributes` to prove a provider's data exclusions. Iterating
    or measuring the mapping would let a provider see every key, so both fail too.

    Args:
        data: The attributes.
        allowed: The keys that may be read.

    Attributes:
        read: Every key looked up (present or not), in order.
    """

    def __init__(self, data: Mapping[str, object], allowed: frozenset[str] = frozenset()) -> None:
        self._data = dict(data)
        self._allowed = allowed
        self.read: list[str] = []

    def __getitem__(self, key: str) -> object:
        if key not in self._allowed:
            raise AssertionError(f"read the non-allowlisted contact attribute {key!r}")
        self.read.append(key)
        return self._data[key]

    def __iter__(self) -> Iterator[str]:
        raise AssertionError("iterated over the contact attributes")

    def __len__(self) -> int:
        raise AssertionError("measured the contact attributes")


# Biometric and location attributes no provider may read (see GuardedAttributes).
SENSITIVE_ATTRIBUTES: Mapping[str, object] = {
    "face_id": "f-93ab",
    "fingerprint": "a1b2c3",
    "voiceprint": "v-1",
    "location": "-23.55,-46.63",
    "gps": {"lat": -23.55, "lon": -46.63},
    "latitude": -23.55,
    "longitude": -46.63,
    "city": "Sao Paulo",
    "address": "Av. Paulista, 1000",
    "ip": "203.0.113.7",
}
