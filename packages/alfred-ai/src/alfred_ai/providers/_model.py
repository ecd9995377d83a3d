"""A word model of intent: naive Bayes over the `tune` split of the labelled messages.

Keyword patterns settle the clear cases but miss paraphrases nobody wrote a pattern for. This
model covers them: it counts, per intent, the messages in which each feature appears, and reads
a new message as the log-probability of each intent given its features (multinomial naive Bayes
over feature presence, additive smoothing). `read` (in `_heuristics`) adds the two: keyword
score + `MODEL_WEIGHT` x log-probability. Docs: docs/ai-providers.md.

Features come from the prepared tokens (accents folded, abbreviations expanded, typos
corrected): each word cut to its first `STEM` letters (`cancelar`, `cancelamento` -> `cance`),
the same for adjacent word pairs within a clause, and a `n_` prefix on words up to three after a
negator. It is trained once per process, in about 50 ms, from the package's data file, and only
from rows whose split is `tune`: held-out messages never shape it.
"""

from __future__ import annotations

import json
import math
from collections import Counter
from collections.abc import Iterable, Sequence
from functools import cache
from importlib.resources import files

from alfred_ai.provider import Intent
from alfred_ai.providers._text import BOUNDARY, prepare

__all__ = ["MODEL_WEIGHT", "IntentModel", "features", "intent_model"]

STEM = 5
"""Letters kept of each word: a crude stemmer that works for Portuguese and English alike."""
SMOOTHING = 0.5
"""Additive smoothing of the feature counts."""
MODEL_WEIGHT = 0.75
"""Weight of the model's log-probability against keyword scores (cross-validated by round)."""
FLOOR = -20.0
"""Lowest log-probability counted, so that one unlikely intent cannot dominate a sum."""
_NEGATORS = frozenset({"nao", "nunca", "nem", "sem", "jamais", "not", "never", "no", "without"})
_NEGATION_REACH = 3


def features(tokens: Sequence[str]) -> set[str]:
    """The model's features of prepared, typo-corrected tokens."""
    found: set[str] = set()
    previous: str | None = None
    negated = 0
    for token in tokens:
        if token == BOUNDARY:
            previous, negated = None, 0
            continue
        if token in _NEGATORS:
            found.add("NEG")
            previous, negated = token[:STEM], _NEGATION_REACH
            continue
        stem = token[:STEM]
        found.add(f"n_{stem}" if negated else stem)
        if previous is not None:
            found.add(f"{previous}_{stem}")
        previous, negated = stem, max(0, negated - 1)
    return found


class IntentModel:
    """Naive Bayes over feature presence, trained from (tokens, intent) examples."""

    def __init__(self, examples: Iterable[tuple[Sequence[str], Intent]]) -> None:
        counts: dict[Intent, Counter[str]] = {intent: Counter() for intent in Intent}
        messages: Counter[Intent] = Counter()
        for tokens, intent in examples:
            messages[intent] += 1
            counts[intent].update(features(tokens))
        vocabulary = set().union(*counts.values())
        total = sum(messages.values())
        self.intents = tuple(Intent)
        self.prior = {i: math.log((messages[i] + 1) / (total + len(self.intents))) for i in Intent}
        denominators = {
            i: sum(counts[i].values()) + SMOOTHING * len(vocabulary) for i in self.intents
        }
        self.weights: dict[str, tuple[float, ...]] = {
            feature: tuple(
                math.log((counts[i][feature] + SMOOTHING) / denominators[i]) for i in self.intents
            )
            for feature in vocabulary
        }
        self.size = total

    def log_posterior(self, tokens: Sequence[str]) -> dict[Intent, float] | None:
        """Log P(intent | features) for every intent, or None when no feature is known.

        Unknown features are ignored; with none known the model has no opinion (its prior is
        flat), and saying so keeps it from deciding by tie-break.
        """
        sums = [self.prior[i] for i in self.intents]
        known = False
        for feature in features(tokens):
            weights = self.weights.get(feature)
            if weights is not None:
                known = True
                sums = [s + w for s, w in zip(sums, weights, strict=True)]
        if not known:
            return None
        top = max(sums)
        log_total = top + math.log(sum(math.exp(s - top) for s in sums))
        return {i: max(FLOOR, s - log_total) for i, s in zip(self.intents, sums, strict=True)}


def training_examples() -> list[tuple[tuple[str, ...], Intent]]:
    """The tune split of the labelled data set, prepared as the heuristics prepare messages."""
    from alfred_ai.providers._heuristics import correct_typos  # imports this module

    data = files("alfred_ai") / "data" / "triage_labelled.jsonl"
    examples = []
    for line in data.read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        if row["split"] != "tune":
            continue
        tokens, _ = correct_typos(prepare(row["text"]).tokens)
        examples.append((tokens, Intent(row["intent"])))
    return examples


@cache
def intent_model() -> IntentModel:
    """The model trained on the package's tune split (once per process)."""
    return IntentModel(training_examples())
