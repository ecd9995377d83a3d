from collections.abc import Mapping

import pytest

from alfred_ai import (
    ALLOWED_ATTRIBUTES,
    ConfigurationError,
    HashIncomeSignalSource,
    IncomeAwareAIProvider,
    IncomeBand,
    Intent,
    MessageInput,
    MockProvider,
    Priority,
    Triage,
    TriageContext,
)
from alfred_ai.providers.income import EXCLUDED_ATTRIBUTES, IncomeAttributes
from alfred_ai.testing import SENSITIVE_ATTRIBUTES, GuardedAttributes

pytestmark = pytest.mark.anyio

PRICING = MessageInput(body="Quanto custa o plano para a minha equipe?")
RICH: dict[str, object] = {
    "company_size": 600,
    "annual_revenue": 50_000_000,
    "income_band": "high",
}


class FixedSource:
    """An injected signal source that records the keys it is asked about."""

    def __init__(self, band: IncomeBand) -> None:
        self.band = band
        self.keys: list[str] = []

    def band_for(self, key: str) -> IncomeBand:
        self.keys.append(key)
        return self.band


def context(
    consent: bool,
    attributes: Mapping[str, object] | None = None,
    email: str | None = "ana@acme.com",
) -> TriageContext:
    return TriageContext(
        contact_id="contact-1",
        contact_email=email,
        contact_attributes=attributes if attributes is not None else RICH,
        financial_consent=consent,
    )


def income_signals(triage: Triage) -> list[str]:
    return [s for s in triage.signals if s.startswith("income:")]


class TestWithoutConsent:
    @pytest.mark.parametrize(
        "body",
        [
            "Quanto custa o plano para a minha equipe?",
            "We have 500 employees and want to buy today",
            "Please cancel my plan",
            "Que descaso, ninguém me responde",
        ],
    )
    async def test_gives_exactly_the_mock_triage(self, body: str) -> None:
        message = MessageInput(body=body)
        mock = await MockProvider().triage(message, context(consent=False))
        income = await IncomeAwareAIProvider().triage(message, context(consent=False))
        assert income.model_dump(exclude={"provider", "explanation"}) == mock.model_dump(
            exclude={"provider", "explanation"}
        )
        assert income.provider == "income"

    async def test_lists_no_income_signal_and_says_consent_is_missing(self) -> None:
        result = await IncomeAwareAIProvider().triage(PRICING, context(consent=False))
        assert income_signals(result) == []
        assert "Consent for financial inference is missing" in result.explanation

    async def test_reads_no_attribute_and_asks_the_signal_source_nothing(self) -> None:
        attributes = GuardedAttributes({**SENSITIVE_ATTRIBUTES, **RICH})  # nothing allowed
        source = FixedSource(IncomeBand.HIGH)
        await IncomeAwareAIProvider(source).triage(PRICING, context(False, attributes))
        assert attributes.read == []
        assert source.keys == []


class TestWithConsent:
    async def test_lists_the_income_signals_it_used(self) -> None:
        result = await IncomeAwareAIProvider().triage(PRICING, context(consent=True))
        assert income_signals(result) == [
            "income:company_size",
            "income:annual_revenue",
            "income:income_band",
            "income:mock_source",
            "income:blend",
        ]

    async def test_explains_how_the_signals_were_weighted_and_blended(self) -> None:
        result = await IncomeAwareAIProvider(FixedSource(IncomeBand.HIGH)).triage(
            PRICING, context(consent=True)
        )
        assert "company_size=600 -> high (weight 0.35)" in result.explanation
        assert "annual_revenue=50000000 -> high (weight 0.35)" in result.explanation
        assert "income_band='high' -> high (weight 0.20)" in result.explanation
        assert "mock source for e-mail domain 'acme.com' -> high (weight 0.10)" in (
            result.explanation
        )
        assert "combined 1.00 -> high band" in result.explanation
        assert "0.70 x tone 50 + 0.30 x income 100" in result.explanation

    async def test_blends_the_lead_score_with_the_income_weight(self) -> None:
        mock = await MockProvider().triage(PRICING, context(consent=True))
        ctx = context(consent=True, attributes={"income_band": "low"}, email=None)
        low = FixedSource(IncomeBand.LOW)
        assert (
            await IncomeAwareAIProvider(low, income_weight=0).triage(PRICING, ctx)
        ).lead_score == (mock.lead_score)
        assert (
            await IncomeAwareAIProvider(low, income_weight=1).triage(PRICING, ctx)
        ).lead_score == 0
        half = await IncomeAwareAIProvider(low, income_weight=0.5).triage(PRICING, ctx)
        assert half.lead_score == round(mock.lead_score / 2)

    @pytest.mark.parametrize(
        ("band", "tier", "discount"),
        [
            (IncomeBand.LOW, "starter", (10, 20)),
            (IncomeBand.MIDDLE, "growth", (5, 10)),
            (IncomeBand.HIGH, "enterprise", (0, 5)),
        ],
    )
    async def test_shapes_price_guidance_by_band(
        self, band: IncomeBand, tier: str, discount: tuple[int, int]
    ) -> None:
        ctx = context(consent=True, attributes={"income_band": band.value})
        result = await IncomeAwareAIProvider(FixedSource(band)).triage(PRICING, ctx)
        guidance = result.price_guidance
        assert guidance is not None
        assert (guidance.tier, guidance.discount_min_pct, guidance.discount_max_pct) == (
            tier,
            *discount,
        )
        assert f"{band.value} income band" in guidance.rationale

    async def test_gives_no_price_guidance_outside_buying_intents(self) -> None:
        message = MessageInput(body="How do I export my contacts?")
        result = await IncomeAwareAIProvider().triage(message, context(consent=True))
        assert result.price_guidance is None

    @pytest.mark.parametrize(
        "body",
        [
            "Quanto custa o plano para a minha equipe?",
            "Please cancel my plan",
            "Que descaso, ninguém me responde",
            "How do I export my contacts?",
        ],
    )
    async def test_never_changes_intent_sentiment_or_language(self, body: str) -> None:
        message = MessageInput(body=body)
        mock = await MockProvider().triage(message, context(consent=True))
        income = await IncomeAwareAIProvider().triage(message, context(consent=True))
        assert (income.intent, income.sentiment, income.language) == (
            mock.intent,
            mock.sentiment,
            mock.language,
        )

    async def test_raises_a_buying_message_to_high_priority_for_a_high_band(self) -> None:
        mock = await MockProvider().triage(PRICING, context(consent=True))
        result = await IncomeAwareAIProvider(FixedSource(IncomeBand.HIGH)).triage(
            PRICING, context(consent=True)
        )
        assert (mock.priority, result.priority) == (Priority.MEDIUM, Priority.HIGH)

    @pytest.mark.parametrize(
        "body", ["Que descaso, ninguém me responde!!", "How do I export my contacts?"]
    )
    async def test_never_lowers_priority_nor_raises_it_outside_buying(self, body: str) -> None:
        message = MessageInput(body=body)
        mock = await MockProvider().triage(message, context(consent=True))
        for band in IncomeBand:
            ctx = context(consent=True, attributes={"income_band": band.value})
            result = await IncomeAwareAIProvider(FixedSource(band)).triage(message, ctx)
            assert result.priority is mock.priority

    async def test_revoking_consent_stops_income_signals_at_once(self) -> None:
        provider = IncomeAwareAIProvider()
        granted = await provider.triage(PRICING, context(consent=True))
        revoked = await provider.triage(PRICING, context(consent=False))
        assert income_signals(granted)
        assert income_signals(revoked) == []
        assert "Consent for financial inference is missing" in revoked.explanation

    async def test_falls_back_to_heuristics_when_consent_is_given_but_no_signal_exists(
        self,
    ) -> None:
        ctx = TriageContext(financial_consent=True)
        result = await IncomeAwareAIProvider().triage(PRICING, ctx)
        mock = await MockProvider().triage(PRICING, ctx)
        assert income_signals(result) == []
        assert result.lead_score == mock.lead_score
        assert "no income or company-size signal" in result.explanation


class TestDataExclusion:
    def test_the_allowlist_is_the_attribute_models_fields(self) -> None:
        assert frozenset(IncomeAttributes.model_fields) == ALLOWED_ATTRIBUTES
        assert {
            "company_size",
            "employee_count",
            "annual_revenue",
            "income_band",
        } == ALLOWED_ATTRIBUTES

    def test_biometric_and_location_keys_are_outside_the_allowlist(self) -> None:
        assert not ALLOWED_ATTRIBUTES & EXCLUDED_ATTRIBUTES
        assert not ALLOWED_ATTRIBUTES & set(SENSITIVE_ATTRIBUTES)
        assert {"face_id", "fingerprint", "location", "gps", "city", "address", "ip"} <= (
            EXCLUDED_ATTRIBUTES
        )

    async def test_reads_only_allowlisted_attributes_even_when_sensitive_ones_are_present(
        self,
    ) -> None:
        attributes = GuardedAttributes({**SENSITIVE_ATTRIBUTES, **RICH}, ALLOWED_ATTRIBUTES)
        result = await IncomeAwareAIProvider().triage(PRICING, context(True, attributes))
        assert set(attributes.read) <= ALLOWED_ATTRIBUTES
        assert sorted(attributes.read) == sorted(ALLOWED_ATTRIBUTES)  # one lookup each
        assert "income:company_size" in result.signals
        for key, value in SENSITIVE_ATTRIBUTES.items():
            assert key not in result.explanation
            assert str(value) not in result.explanation

    async def test_the_signal_source_gets_only_the_email_domain_or_the_contact_id(self) -> None:
        source = FixedSource(IncomeBand.MIDDLE)
        provider = IncomeAwareAIProvider(source)
        await provider.triage(PRICING, context(True, SENSITIVE_ATTRIBUTES))
        await provider.triage(PRICING, context(True, SENSITIVE_ATTRIBUTES, email=None))
        assert source.keys == ["acme.com", "contact-1"]


class TestAttributeForms:
    @pytest.mark.parametrize(
        ("attributes", "band"),
        [
            ({"company_size": 5}, "low"),
            ({"company_size": "51-200"}, "middle"),
            ({"company_size": "1000+"}, "high"),
            ({"company_size": "small"}, "low"),
            ({"company_size": "Enterprise"}, "high"),
            ({"employee_count": 80}, "middle"),
            ({"annual_revenue": 300_000}, "low"),
            ({"annual_revenue": "5.000.000"}, "middle"),
            ({"income_band": "alta"}, "high"),
            ({"income_band": "media"}, "middle"),
        ],
    )
    async def test_reads_the_band_from_common_forms(
        self, attributes: dict[str, object], band: str
    ) -> None:
        ctx = context(True, attributes, email=None)
        result = await IncomeAwareAIProvider(FixedSource(IncomeBand(band))).triage(PRICING, ctx)
        assert f"-> {band} band" in result.explanation

    @pytest.mark.parametrize(
        "attributes",
        [{"company_size": "n/a"}, {"annual_revenue": True}, {"income_band": "rich"}],
    )
    async def test_ignores_values_it_cannot_read(self, attributes: dict[str, object]) -> None:
        ctx = TriageContext(contact_attributes=attributes, financial_consent=True)
        result = await IncomeAwareAIProvider().triage(PRICING, ctx)
        assert income_signals(result) == []


class TestHashIncomeSignalSource:
    def test_is_deterministic_and_ignores_case(self) -> None:
        source = HashIncomeSignalSource()
        assert source.band_for("Acme.com") == source.band_for("acme.com")

    def test_spreads_keys_over_every_band(self) -> None:
        source = HashIncomeSignalSource()
        assert {source.band_for(f"company{i}.example") for i in range(30)} == set(IncomeBand)


class TestSettings:
    def test_defaults(self) -> None:
        assert IncomeAwareAIProvider.from_settings(None).income_weight == 0.3

    def test_takes_an_income_weight(self) -> None:
        assert IncomeAwareAIProvider.from_settings({"income_weight": 0.5}).income_weight == 0.5

    @pytest.mark.parametrize(
        ("settings", "message"),
        [
            ({"weight": 0.5}, "unknown settings"),
            ({"income_weight": "high"}, "must be a number"),
            ({"income_weight": True}, "must be a number"),
            ({"income_weight": 1.5}, "between 0 and 1"),
        ],
    )
    def test_rejects_bad_settings(self, settings: dict[str, object], message: str) -> None:
        with pytest.raises(ConfigurationError, match=message):
            IncomeAwareAIProvider.from_settings(settings)

    async def test_intent_is_untouched_by_the_signal_source(self) -> None:
        result = await IncomeAwareAIProvider().triage(PRICING, context(consent=True))
        assert result.intent is Intent.PRICING
