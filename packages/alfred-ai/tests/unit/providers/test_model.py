import json
import math
from importlib.resources import files

import pytest

from alfred_ai import Intent, MessageInput, MockProvider, TriageContext
from alfred_ai.providers._model import IntentModel, features, intent_model, training_examples
from alfred_ai.providers._text import prepare

pytestmark = pytest.mark.anyio


def tokens(text: str) -> tuple[str, ...]:
    return prepare(text).tokens


class TestFeatures:
    def test_stems_words_and_pairs_within_a_clause(self) -> None:
        assert features(tokens("Cancelamento imediato")) == {"cance", "imedi", "cance_imedi"}

    def test_marks_words_after_a_negator_and_stops_at_the_clause_end(self) -> None:
        found = features(tokens("não quero renovar. Obrigado"))
        assert {"NEG", "n_quero", "n_renov", "obrig"} <= found
        assert "renov" not in found
        assert "n_obrig" not in found  # the full stop ends the negation's reach


class TestIntentModel:
    def test_learns_from_its_examples(self) -> None:
        model = IntentModel(
            [
                (tokens("quanto custa o plano"), Intent.PRICING),
                (tokens("quero cancelar o plano"), Intent.CANCELLATION),
            ]
        )
        posterior = model.log_posterior(tokens("custa quanto"))
        assert posterior is not None
        assert max(posterior, key=lambda i: posterior[i]) is Intent.PRICING
        assert math.isclose(sum(math.exp(v) for v in posterior.values()), 1.0, rel_tol=1e-6)

    def test_has_no_opinion_on_words_it_never_saw(self) -> None:
        model = IntentModel([(tokens("quanto custa"), Intent.PRICING)])
        assert model.log_posterior(tokens("zebra xylophone")) is None

    def test_trains_on_the_tune_split_only(self) -> None:
        data = files("alfred_ai") / "data" / "triage_labelled.jsonl"
        rows = [json.loads(line) for line in data.read_text(encoding="utf-8").splitlines()]
        tune = [r for r in rows if r["split"] == "tune"]
        assert len(tune) < len(rows)
        assert len(training_examples()) == intent_model().size == len(tune)


async def test_a_paraphrase_without_keywords_is_read_by_the_model() -> None:
    # Written for this test. The keywords alone read "shut down" as an outage (support); the
    # word model knows how people leave.
    triage = await MockProvider().triage(
        MessageInput(body="we are moving on, please shut the account down at the end of the month"),
        TriageContext(),
    )
    assert triage.intent is Intent.CANCELLATION
    assert "intent:model" in triage.signals
    assert "word model" in triage.explanation


async def test_no_known_word_leaves_the_keywords_alone() -> None:
    triage = await MockProvider().triage(MessageInput(body="👍"), TriageContext())
    assert triage.intent is Intent.OTHER
    assert "intent:model" not in triage.signals
