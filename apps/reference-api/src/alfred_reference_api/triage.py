"""Adapters between core's triage port and `alfred-ai` providers.

- `ai_triager`: the configured provider, for ingestion. Biometric and location attributes
  (`alfred_ai`'s `EXCLUDED_ATTRIBUTES`: `face_id`, `fingerprint`, `location`, `gps`, `city`,
  `address`, `ip`, ...) are dropped before any provider sees the contact.
- `income_inferrer`: the income-aware provider, for on-demand inferences. It is given only the
  attributes the income provider declares (`alfred_ai.ALLOWED_ATTRIBUTES`), nothing else.
- `heuristic_triager`: the built-in heuristics, for triaging messages again without financial
  signals after a consent is revoked (deterministic, no I/O).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import alfred_ai
from alfred_ai.provider import Channel, MessageInput, TriageContext
from alfred_ai.providers.income import EXCLUDED_ATTRIBUTES
from alfred_crm_core.ingestion.schemas import TriageRequest
from alfred_crm_core.ingestion.service import Triager

__all__ = ["TRIAGE_TIMEOUT_SECONDS", "ai_triager", "heuristic_triager", "income_inferrer"]

TRIAGE_TIMEOUT_SECONDS = 5.0
"""How long a provider may take before the heuristics answer instead (the message is kept)."""


def _visible(attributes: Mapping[str, Any], allowed: frozenset[str] | None) -> dict[str, Any]:
    if allowed is not None:
        return {key: attributes[key] for key in sorted(allowed) if key in attributes}
    return {k: v for k, v in attributes.items() if k.strip().lower() not in EXCLUDED_ATTRIBUTES}


def ai_triager(
    provider: alfred_ai.Provider,
    timeout: float = TRIAGE_TIMEOUT_SECONDS,
    *,
    allowed_attributes: frozenset[str] | None = None,
) -> Triager:
    """Wrap `provider` as core's `Triager`: never raises, falls back to the heuristics.

    Args:
        provider: The provider to call.
        timeout: Seconds before the heuristics answer instead.
        allowed_attributes: Pass only these contact attributes; None passes every attribute
            but the biometric and location ones.
    """

    async def triage(request: TriageRequest) -> dict[str, Any]:
        result = await alfred_ai.triage_with_fallback(
            provider,
            MessageInput(
                body=request.body,
                subject=request.subject,
                channel=Channel(request.channel),
                sent_at=request.sent_at,
            ),
            TriageContext(
                contact_id=str(request.contact_id),
                contact_email=request.contact_email,
                contact_attributes=_visible(request.contact_attributes, allowed_attributes),
                financial_consent=request.financial_consent,
            ),
            timeout=timeout,
        )
        data: dict[str, Any] = result.model_dump(mode="json")
        return data

    return triage


def income_inferrer(provider: alfred_ai.Provider) -> Triager:
    """Wrap the income-aware `provider` for on-demand inferences (allowlisted attributes only)."""
    return ai_triager(provider, allowed_attributes=alfred_ai.ALLOWED_ATTRIBUTES)


def heuristic_triager() -> Triager:
    """The built-in heuristics as core's `Triager` (no attribute, no income signal is read)."""
    return ai_triager(alfred_ai.MockProvider(), allowed_attributes=frozenset())
