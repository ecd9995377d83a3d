import pytest

from alfred_ai import Intent, MessageInput, Provider, TriageContext
from alfred_ai.testing import SENSITIVE_ATTRIBUTES, FakeProvider, GuardedAttributes, make_triage

pytestmark = pytest.mark.anyio


class TestFakeProvider:
    async def test_returns_its_triage_and_records_calls(self) -> None:
        provider = FakeProvider(result=make_triage(intent=Intent.PURCHASE))
        message, context = MessageInput(body="hi"), TriageContext()
        assert (await provider.triage(message, context)).intent is Intent.PURCHASE
        assert provider.calls == [(message, context)]

    async def test_raises_its_error(self) -> None:
        provider = FakeProvider(error=RuntimeError("down"))
        with pytest.raises(RuntimeError, match="down"):
            await provider.triage(MessageInput(body="hi"), TriageContext())
        assert len(provider.calls) == 1

    def test_satisfies_the_protocol(self) -> None:
        assert isinstance(FakeProvider(), Provider)


def test_make_triage_overrides_any_field() -> None:
    triage = make_triage(lead_score=77, signals=("a", "b"))
    assert (triage.lead_score, triage.signals, triage.intent) == (77, ("a", "b"), Intent.OTHER)


class TestGuardedAttributes:
    def test_allows_and_records_allowlisted_lookups(self) -> None:
        guarded = GuardedAttributes({"company_size": 5}, frozenset({"company_size", "x"}))
        assert guarded.get("company_size") == 5
        assert guarded.get("x") is None
        assert guarded.read == ["company_size", "x"]

    @pytest.mark.parametrize("key", sorted(SENSITIVE_ATTRIBUTES))
    def test_fails_on_any_other_key(self, key: str) -> None:
        guarded = GuardedAttributes(SENSITIVE_ATTRIBUTES)
        with pytest.raises(AssertionError, match="non-allowlisted"):
            guarded.get(key)

    def test_fails_on_iteration_and_length(self) -> None:
        guarded = GuardedAttributes(SENSITIVE_ATTRIBUTES)
        with pytest.raises(AssertionError):
            list(guarded)
        with pytest.raises(AssertionError):
            len(guarded)
