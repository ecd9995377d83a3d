from collections.abc import Iterator, Mapping

import pytest
from pydantic import ValidationError

from alfred_ai import (
    Intent,
    Language,
    MessageInput,
    MockProvider,
    PriceGuidance,
    Priority,
    Provider,
    Sentiment,
    SentimentLabel,
    Triage,
    TriageContext,
)
from alfred_ai.testing import make_triage


class TestTriage:
    def test_round_trips_through_json(self) -> None:
        triage = make_triage(
            intent=Intent.PRICING,
            price_guidance=PriceGuidance(
                tier="growth",
                discount_min_pct=0,
                discount_max_pct=5,
                currency="BRL",
                rationale="list price",
            ),
        )
        assert Triage.model_validate_json(triage.model_dump_json()) == triage

    def test_enums_serialise_as_their_wire_values(self) -> None:
        dumped = make_triage(intent=Intent.SCHEDULING, priority=Priority.URGENT).model_dump(
            mode="json"
        )
        assert dumped["intent"] == "scheduling"
        assert dumped["priority"] == "urgent"
        assert dumped["language"] == "en"

    @pytest.mark.parametrize("score", [-1.01, 1.01])
    def test_rejects_a_sentiment_score_outside_minus_one_to_one(self, score: float) -> None:
        with pytest.raises(ValidationError):
            Sentiment(label=SentimentLabel.NEUTRAL, score=score)

    @pytest.mark.parametrize("lead_score", [-1, 101])
    def test_rejects_a_lead_score_outside_0_to_100(self, lead_score: int) -> None:
        with pytest.raises(ValidationError):
            make_triage(lead_score=lead_score)

    def test_is_immutable(self) -> None:
        triage = make_triage()
        with pytest.raises(ValidationError):
            triage.intent = Intent.PURCHASE  # type: ignore[misc]  # the point: frozen


class TestPriceGuidance:
    def test_rejects_a_reversed_discount_range(self) -> None:
        with pytest.raises(ValidationError, match="must not exceed"):
            PriceGuidance(
                tier="t", discount_min_pct=10, discount_max_pct=5, currency="USD", rationale="r"
            )

    def test_rejects_a_currency_that_is_not_iso_4217_shaped(self) -> None:
        with pytest.raises(ValidationError):
            PriceGuidance(
                tier="t", discount_min_pct=0, discount_max_pct=5, currency="real", rationale="r"
            )


class TestTriageContext:
    def test_keeps_the_callers_attribute_mapping_without_copying_it(self) -> None:
        attributes: dict[str, object] = {"company_size": 10}
        context = TriageContext(contact_attributes=attributes)
        assert context.contact_attributes is attributes

    def test_rejects_attributes_that_are_not_a_mapping(self) -> None:
        with pytest.raises(ValidationError, match="must be a mapping"):
            TriageContext.model_validate({"contact_attributes": ["company_size"]})

    def test_dumps_attributes_as_a_plain_object(self) -> None:
        class Attrs(Mapping[str, object]):
            def __getitem__(self, key: str) -> object:
                return {"a": 1}[key]

            def __iter__(self) -> Iterator[str]:
                return iter(["a"])

            def __len__(self) -> int:
                return 1

        assert TriageContext(contact_attributes=Attrs()).model_dump()["contact_attributes"] == {
            "a": 1
        }

    def test_defaults_to_no_consent(self) -> None:
        assert TriageContext().financial_consent is False


class TestProviderProtocol:
    def test_built_in_providers_satisfy_it(self) -> None:
        assert isinstance(MockProvider(), Provider)

    def test_an_object_without_triage_does_not(self) -> None:
        assert not isinstance(object(), Provider)

    @pytest.mark.anyio
    async def test_a_plain_class_with_the_method_works_without_inheritance(self) -> None:
        class Constant:
            async def triage(self, message: MessageInput, context: TriageContext) -> Triage:
                return make_triage(language=Language.PT, provider="constant")

        provider: Provider = Constant()
        triage = await provider.triage(MessageInput(body="oi"), TriageContext())
        assert triage.provider == "constant"
