"""The adapter between core's triage port and the configured `alfred-ai` provider."""

from __future__ import annotations

from typing import Any

import alfred_ai
from alfred_ai.provider import Channel, MessageInput, TriageContext
from alfred_crm_core.ingestion.schemas import TriageRequest
from alfred_crm_core.ingestion.service import Triager

__all__ = ["TRIAGE_TIMEOUT_SECONDS", "ai_triager"]

TRIAGE_TIMEOUT_SECONDS = 5.0
"""How long a provider may take before the heuristics answer instead (the message is kept)."""


def ai_triager(provider: alfred_ai.Provider, timeout: float = TRIAGE_TIMEOUT_SECONDS) -> Triager:
    """Wrap `provider` as core's `Triager`: never raises, falls back to the heuristics."""

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
                contact_attributes=request.contact_attributes,
                financial_consent=request.financial_consent,
            ),
            timeout=timeout,
        )
        data: dict[str, Any] = result.model_dump(mode="json")
        return data

    return triage
