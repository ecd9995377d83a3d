"""Run a provider so that a message always gets a triage, whatever the provider does."""

from __future__ import annotations

import asyncio
import logging

from alfred_ai.provider import MessageInput, Provider, Triage, TriageContext
from alfred_ai.providers.mock import MockProvider

__all__ = ["FALLBACK_SIGNAL", "triage_with_fallback"]

logger = logging.getLogger(__name__)

FALLBACK_SIGNAL = "fallback:heuristics"
_HEURISTICS = MockProvider()


def _name(provider: Provider) -> str:
    return str(getattr(provider, "name", None) or type(provider).__name__)


async def triage_with_fallback(
    provider: Provider,
    message: MessageInput,
    context: TriageContext,
    # The limit covers the provider call only: the fallback must still run once it expires, so a
    # caller-side asyncio.timeout() around this function would not do.
    timeout: float | None = 5.0,  # noqa: ASYNC109
) -> Triage:
    """Triage with `provider`; if it fails or is too slow, use the heuristics instead.

    The fallback triage comes from the `mock` heuristics (which never read income signals, so a
    failure cannot leak past the consent rule). Its `signals` end with `fallback:heuristics` and
    `fallback:timeout` or `fallback:error`, its explanation starts with what went wrong, and a
    warning is logged on `alfred_ai.fallback`.

    Args:
        provider: The configured provider.
        message: The message to triage.
        context: What the caller knows about the sender.
        timeout: Seconds the provider may take; None waits for ever.

    Returns:
        The provider's triage, or the heuristic fallback.
    """
    name = _name(provider)
    try:
        async with asyncio.timeout(timeout):
            result = await provider.triage(message, context)
        if not isinstance(result, Triage):
            raise TypeError(f"triage() returned {type(result).__name__}, not Triage")
        return result
    except TimeoutError:
        kind, reason = "timeout", f"did not answer within {timeout}s"
        logger.warning("AI provider %s %s; using the heuristic fallback", name, reason)
    except Exception as exc:
        # A provider is third-party code calling remote services: whatever it raises, the
        # message must still be stored with a triage (issue 5). The failure is logged, not lost.
        kind, reason = "error", f"failed with {type(exc).__name__}: {exc}"
        logger.warning(
            "AI provider %s %s; using the heuristic fallback", name, reason, exc_info=True
        )
    triage = await _HEURISTICS.triage(message, context)
    return triage.model_copy(
        update={
            "signals": (*triage.signals, FALLBACK_SIGNAL, f"fallback:{kind}"),
            "explanation": f"Provider {name!r} {reason}; heuristic fallback used. "
            + triage.explanation,
        }
    )
