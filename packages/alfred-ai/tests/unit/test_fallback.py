import logging

import pytest

from alfred_ai import (
    FALLBACK_SIGNAL,
    Intent,
    MessageInput,
    MockProvider,
    Triage,
    TriageContext,
    triage_with_fallback,
)
from alfred_ai.testing import FakeProvider, make_triage

pytestmark = pytest.mark.anyio

MESSAGE = MessageInput(body="Quero cancelar minha assinatura")
CONTEXT = TriageContext(contact_id="c-1")


async def test_returns_the_providers_triage_when_it_answers_in_time() -> None:
    expected = make_triage(intent=Intent.PRICING, provider="fake")
    provider = FakeProvider(result=expected)
    assert await triage_with_fallback(provider, MESSAGE, CONTEXT, timeout=1) is expected
    assert provider.calls == [(MESSAGE, CONTEXT)]


async def test_falls_back_to_the_heuristics_when_the_provider_raises(
    caplog: pytest.LogCaptureFixture,
) -> None:
    provider = FakeProvider(error=ConnectionError("vendor unreachable"), name="vendor")
    with caplog.at_level(logging.WARNING, logger="alfred_ai.fallback"):
        result = await triage_with_fallback(provider, MESSAGE, CONTEXT, timeout=1)
    heuristics = await MockProvider().triage(MESSAGE, CONTEXT)
    assert result.intent is heuristics.intent is Intent.CANCELLATION
    assert result.provider == "mock"
    assert result.signals[-2:] == (FALLBACK_SIGNAL, "fallback:error")
    assert result.explanation.startswith(
        "Provider 'vendor' failed with ConnectionError: vendor unreachable; heuristic fallback"
    )
    [record] = caplog.records
    assert record.levelno == logging.WARNING
    assert "vendor" in record.getMessage() and "ConnectionError" in record.getMessage()
    assert record.exc_info is not None


async def test_falls_back_when_the_provider_times_out(caplog: pytest.LogCaptureFixture) -> None:
    provider = FakeProvider(delay=5, name="slow")
    with caplog.at_level(logging.WARNING, logger="alfred_ai.fallback"):
        result = await triage_with_fallback(provider, MESSAGE, CONTEXT, timeout=0.01)
    assert result.intent is Intent.CANCELLATION
    assert result.signals[-2:] == (FALLBACK_SIGNAL, "fallback:timeout")
    assert "did not answer within 0.01s" in result.explanation
    assert "slow did not answer within 0.01s" in caplog.text


async def test_falls_back_when_the_provider_returns_something_else() -> None:
    class Sloppy:
        async def triage(self, message: MessageInput, context: TriageContext) -> Triage:
            return {"intent": "pricing"}  # type: ignore[return-value]  # the bug under test

    result = await triage_with_fallback(Sloppy(), MESSAGE, CONTEXT)
    assert "fallback:error" in result.signals
    assert "Provider 'Sloppy' failed with TypeError" in result.explanation


async def test_the_fallback_never_uses_income_signals_even_with_consent() -> None:
    consenting = TriageContext(
        contact_email="ana@acme.com",
        contact_attributes={"company_size": 900},
        financial_consent=True,
    )
    result = await triage_with_fallback(
        FakeProvider(error=RuntimeError("boom")), MESSAGE, consenting
    )
    assert not any(s.startswith("income:") for s in result.signals)


async def test_does_not_swallow_cancellation() -> None:
    import asyncio

    task = asyncio.create_task(
        triage_with_fallback(FakeProvider(delay=5), MESSAGE, CONTEXT, timeout=None)
    )
    await asyncio.sleep(0)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
