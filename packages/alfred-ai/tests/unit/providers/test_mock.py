import pytest

from alfred_ai import (
    ConfigurationError,
    Direction,
    Intent,
    Language,
    MessageInput,
    MockProvider,
    Priority,
    SentimentLabel,
    Triage,
    TriageContext,
)
from alfred_ai.testing import SENSITIVE_ATTRIBUTES, GuardedAttributes

pytestmark = pytest.mark.anyio


async def triage(body: str, **context: object) -> Triage:
    return await MockProvider().triage(
        MessageInput(body=body), TriageContext.model_validate(context)
    )


# Clear examples written for these tests, not taken from the labelled data set.
CLEAR = [
    ("Qual é o preço do plano Enterprise?", Language.PT, Intent.PRICING),
    ("What is the price of the Enterprise plan?", Language.EN, Intent.PRICING),
    ("Quero comprar 10 licenças hoje", Language.PT, Intent.PURCHASE),
    ("I want to buy 10 licenses today", Language.EN, Intent.PURCHASE),
    ("O sistema não abre, dá erro ao entrar", Language.PT, Intent.SUPPORT),
    ("The app shows an error when I log in", Language.EN, Intent.SUPPORT),
    ("Vocês são péssimos, que descaso", Language.PT, Intent.COMPLAINT),
    ("You people are terrible, what a disgrace", Language.EN, Intent.COMPLAINT),
    ("Quero cancelar meu plano", Language.PT, Intent.CANCELLATION),
    ("Please cancel my plan", Language.EN, Intent.CANCELLATION),
    ("Vamos marcar uma reunião na terça às 10h?", Language.PT, Intent.SCHEDULING),
    ("Can we schedule a meeting on Tuesday at 10am?", Language.EN, Intent.SCHEDULING),
    ("Obrigado!", Language.PT, Intent.OTHER),
    ("Thanks!", Language.EN, Intent.OTHER),
]


class TestIntentAndLanguage:
    @pytest.mark.parametrize(("body", "language", "intent"), CLEAR)
    async def test_reads_clear_messages_in_both_languages(
        self, body: str, language: Language, intent: Intent
    ) -> None:
        result = await triage(body)
        assert (result.intent, result.language) == (intent, language)
        assert result.provider == "mock"

    async def test_matches_without_accents_as_with_them(self) -> None:
        with_accents = await triage("Qual é o preço? Não consigo ver a cotação")
        without = await triage("Qual e o preco? Nao consigo ver a cotacao")
        assert with_accents.intent == without.intent == Intent.PRICING

    async def test_reads_a_negated_keyword_as_absent_when_negated(self) -> None:
        result = await triage("Não quero cancelar, só preciso de ajuda com um erro")
        assert result.intent is Intent.SUPPORT
        assert "Negated, so ignored: 'cancel*'" in result.explanation
        assert "intent:negation" in result.signals

    async def test_reads_a_negated_renewal_as_a_cancellation(self) -> None:
        result = await triage("We will not be renewing next year")
        assert result.intent is Intent.CANCELLATION

    async def test_reads_cancelling_a_meeting_as_scheduling_not_cancellation(self) -> None:
        result = await triage("Preciso cancelar a reunião de amanhã, podemos remarcar?")
        assert result.intent is Intent.SCHEDULING

    async def test_corrects_one_letter_typos_in_long_words(self) -> None:
        result = await triage("Quero marcar uma reuinao")
        assert result.intent is Intent.SCHEDULING
        assert "reuinao->reuniao" in result.explanation
        assert "intent:typo_correction" in result.signals

    async def test_expands_chat_abbreviations(self) -> None:
        assert (await triage("qnto custa pra 3 usuarios vcs sabem?")).intent is Intent.PRICING

    async def test_says_other_and_other_language_for_a_message_with_no_evidence(self) -> None:
        result = await triage("👍")
        assert (result.intent, result.language) == (Intent.OTHER, Language.OTHER)

    async def test_reads_the_subject_as_part_of_the_message(self) -> None:
        result = await MockProvider().triage(
            MessageInput(body="Olá, segue abaixo.", subject="Cancelamento do contrato"),
            TriageContext(),
        )
        assert result.intent is Intent.CANCELLATION

    async def test_ignores_quoted_email_history(self) -> None:
        body = "Obrigado pelo retorno!\n\nEm 2 de maio, Ana escreveu:\n> Quer cancelar o plano?"
        assert (await triage(body)).intent is Intent.OTHER


class TestSentiment:
    @pytest.mark.parametrize(
        ("body", "label"),
        [
            ("Adorei o atendimento, muito obrigado! 😍", SentimentLabel.POSITIVE),
            ("I love it, the team is awesome 👍", SentimentLabel.POSITIVE),
            ("Estou muito insatisfeito 😡", SentimentLabel.NEGATIVE),
            ("Not good at all", SentimentLabel.NEGATIVE),
            ("Qual é o preço do plano Enterprise?", SentimentLabel.NEUTRAL),
        ],
    )
    async def test_labels_the_tone(self, body: str, label: SentimentLabel) -> None:
        assert (await triage(body)).sentiment.label is label

    async def test_intensifiers_strengthen_the_score(self) -> None:
        plain = await triage("O suporte é ruim")
        stronger = await triage("O suporte é muito ruim")
        assert stronger.sentiment.score < plain.sentiment.score < 0

    async def test_emojis_count(self) -> None:
        assert (await triage("Ok 😡😡")).sentiment.label is SentimentLabel.NEGATIVE
        assert "sentiment:emoji" in (await triage("Ok 🎉")).signals

    async def test_greetings_carry_no_tone(self) -> None:
        assert (await triage("Bom dia")).sentiment.score == 0

    async def test_score_stays_within_minus_one_and_one(self) -> None:
        result = await triage("PÉSSIMO!!! HORRÍVEL!!! LIXO!!! 😡😡😡🤬🤬🤬")
        assert -1 <= result.sentiment.score < -0.9


class TestPriority:
    async def test_urgency_words_capitals_and_exclamations_make_an_outage_urgent(self) -> None:
        result = await triage("URGENTE!!! O SISTEMA ESTÁ FORA DO AR")
        assert (result.intent, result.priority) == (Intent.SUPPORT, Priority.URGENT)
        assert {"urgency:keyword", "urgency:caps", "urgency:exclamation"} <= set(result.signals)

    async def test_english_urgency_and_outage_are_urgent_too(self) -> None:
        result = await triage("urgent: the system is down, nobody can work")
        assert result.priority is Priority.URGENT

    async def test_a_plain_question_is_medium(self) -> None:
        assert (await triage("How do I export my contacts?")).priority is Priority.MEDIUM

    async def test_a_cancellation_is_high(self) -> None:
        assert (await triage("Please cancel my plan")).priority is Priority.HIGH

    async def test_other_never_jumps_the_queue(self) -> None:
        result = await triage("Out of office until Monday. For urgent matters call Ana!!!")
        assert result.intent is Intent.OTHER
        assert result.priority in (Priority.LOW, Priority.MEDIUM)

    async def test_outbound_messages_are_low(self) -> None:
        result = await MockProvider().triage(
            MessageInput(body="URGENT: cancel now!!!", direction=Direction.OUTBOUND),
            TriageContext(),
        )
        assert result.priority is Priority.LOW


class TestLeadScore:
    async def test_ranks_buying_intents_above_the_rest(self) -> None:
        purchase = await triage("I want to buy 10 licenses")
        pricing = await triage("How much is the Pro plan?")
        support = await triage("How do I export my contacts?")
        cancellation = await triage("Please cancel my plan")
        assert (
            purchase.lead_score > pricing.lead_score > support.lead_score > cancellation.lead_score
        )

    async def test_a_large_company_hint_raises_it(self) -> None:
        small = await triage("We have 3 employees and want to buy")
        large = await triage("We have 500 employees and want to buy")
        assert large.lead_score > small.lead_score
        assert "size:text_hint" in large.signals

    async def test_earlier_buying_intent_in_the_conversation_raises_it(self) -> None:
        alone = await triage("How much is it?")
        followed = await triage("How much is it?", previous_intents=[Intent.PRICING])
        assert followed.lead_score > alone.lead_score
        assert "history:previous_intents" in followed.signals

    async def test_stays_within_0_and_100(self) -> None:
        result = await triage("URGENT we are an enterprise of 5000 employees, buy now! 🎉🎉🎉")
        assert 0 <= result.lead_score <= 100


class TestPriceGuidance:
    @pytest.mark.parametrize(
        "body",
        ["How do I export my contacts?", "Please cancel my plan", "Thanks!", "Que descaso"],
    )
    async def test_is_none_unless_the_intent_is_pricing_or_purchase(self, body: str) -> None:
        assert (await triage(body)).price_guidance is None

    async def test_quotes_in_brl_for_portuguese_and_usd_for_english(self) -> None:
        pt = await triage("Quanto custa o plano?")
        en = await triage("How much is the plan?")
        assert pt.price_guidance is not None and pt.price_guidance.currency == "BRL"
        assert en.price_guidance is not None and en.price_guidance.currency == "USD"

    async def test_uses_the_tenant_currency_when_given(self) -> None:
        result = await triage("Quanto custa o plano?", currency="EUR")
        assert result.price_guidance is not None and result.price_guidance.currency == "EUR"

    async def test_a_price_objection_widens_the_discount_range(self) -> None:
        plain = await triage("Quanto custa o plano?")
        objection = await triage("Achei caro, o concorrente é mais barato. Tem desconto?")
        assert plain.price_guidance is not None and objection.price_guidance is not None
        assert objection.price_guidance.discount_max_pct > plain.price_guidance.discount_max_pct

    async def test_the_tier_follows_the_company_size_hint(self) -> None:
        small = await triage("We have 3 employees and want to buy")
        large = await triage("We have 500 employees and want to buy")
        assert small.price_guidance is not None and small.price_guidance.tier == "starter"
        assert large.price_guidance is not None and large.price_guidance.tier == "enterprise"


class TestProvider:
    async def test_is_deterministic(self) -> None:
        body = "Oi!! Quanto custa pra 20 usuários? É urgente 🙏"
        assert await triage(body) == await triage(body)

    async def test_never_reads_contact_attributes(self) -> None:
        attributes = GuardedAttributes({**SENSITIVE_ATTRIBUTES, "company_size": 900})
        result = await triage("Quanto custa?", contact_attributes=attributes)
        assert attributes.read == []
        assert not any(s.startswith("income:") for s in result.signals)

    async def test_explains_each_figure(self) -> None:
        result = await triage("Quanto custa o plano Pro?")
        for part in ("Intent pricing", "'quanto cust*'", "Language pt", "Sentiment", "Priority"):
            assert part in result.explanation
        assert "Lead score" in result.explanation

    def test_from_settings_accepts_nothing(self) -> None:
        assert isinstance(MockProvider.from_settings(None), MockProvider)
        assert isinstance(MockProvider.from_settings({}), MockProvider)

    def test_from_settings_rejects_any_setting(self) -> None:
        with pytest.raises(ConfigurationError, match="takes no settings"):
            MockProvider.from_settings({"temperature": 0.2})
