"""The heuristic reading of a message, shared by the `mock` and `income` providers.

`read()` turns a message into a `Reading`: every intermediate figure with the evidence behind it.
`Reading.to_triage()` turns that into a `Triage`; the income provider adjusts a reading's lead
score, priority and price guidance before it does.
"""

from __future__ import annotations

import math
import re
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace

from alfred_ai.provider import (
    Direction,
    Intent,
    Language,
    MessageInput,
    PriceGuidance,
    Priority,
    Sentiment,
    SentimentLabel,
    Triage,
    TriageContext,
)
from alfred_ai.providers import _lexicon as lx
from alfred_ai.providers._model import MODEL_WEIGHT, intent_model
from alfred_ai.providers._text import BOUNDARY, Text, prepare

PRIORITIES = (Priority.LOW, Priority.MEDIUM, Priority.HIGH, Priority.URGENT)
TIERS = {"small": "starter", "medium": "growth", "large": "enterprise"}
DEFAULT_TIER = "growth"
CURRENCY_BY_LANGUAGE = {Language.PT: "BRL", Language.EN: "USD", Language.OTHER: "USD"}
PT_NEGATORS = frozenset({"nao", "nunca", "nem", "sem", "jamais"})
EN_NEGATORS = frozenset({"not", "never", "no", "without"})
_ACCENTED = re.compile(r"[ãõçáéíóúâêôà]", re.IGNORECASE)
_TIME = re.compile(lx.TIME_PATTERN)
_SHAPES = (
    (_TIME, Intent.SCHEDULING, lx.TIME_WEIGHT),
    (re.compile(lx.HOW_TO_PATTERN), Intent.SUPPORT, lx.HOW_TO_WEIGHT),
    (re.compile(lx.SEATS_PATTERN), Intent.PURCHASE, lx.SEATS_WEIGHT),
    (re.compile(lx.UPGRADE_PATTERN), Intent.PURCHASE, lx.UPGRADE_WEIGHT),
)
_HEADCOUNT = re.compile(lx.HEADCOUNT_PATTERN)
_SITES = re.compile(lx.SITES_PATTERN)


@dataclass(frozen=True)
class Match:
    """One occurrence of a lexicon pattern in the tokens."""

    pattern: str
    start: int
    end: int
    negated: bool


class Matcher:
    """Finds lexicon patterns in a token list, indexed by first word for speed."""

    def __init__(self, patterns: Iterable[str]) -> None:
        self._exact: dict[str, list[tuple[str, tuple[str, ...]]]] = defaultdict(list)
        self._prefix: dict[str, list[tuple[str, tuple[str, ...]]]] = defaultdict(list)
        for pattern in patterns:
            words = tuple(pattern.split())
            first = words[0]
            if first.endswith("*"):
                self._prefix[first[:-1]].append((pattern, words))
            else:
                self._exact[first].append((pattern, words))

    def find(self, tokens: Sequence[str], negators: frozenset[str]) -> Iterator[Match]:
        """Yield every match, marking those with a negator shortly before them."""
        for i, token in enumerate(tokens):
            candidates = list(self._exact.get(token, ()))
            for k in range(1, len(token) + 1):
                candidates.extend(self._prefix.get(token[:k], ()))
            for pattern, words in candidates:
                end = _match_at(words, tokens, i)
                if end is not None:
                    negated = words[0] not in negators and _negated(tokens, i, negators)
                    yield Match(pattern, i, end, negated)


def _word_matches(word: str, token: str) -> bool:
    return token.startswith(word[:-1]) if word.endswith("*") else token == word


def _match_at(words: tuple[str, ...], tokens: Sequence[str], i: int) -> int | None:
    j = i
    for k, word in enumerate(words):
        if k:
            skipped = 0
            while (
                j < len(tokens)
                and skipped < 2
                and tokens[j] in lx.FILLERS
                and not _word_matches(word, tokens[j])
            ):
                j += 1
                skipped += 1
        if j >= len(tokens) or not _word_matches(word, tokens[j]):
            return None
        j += 1
    return j


def _negated(tokens: Sequence[str], start: int, negators: frozenset[str]) -> bool:
    for j in range(start - 1, max(start - 1 - lx.NEGATION_WINDOW, -1), -1):
        if tokens[j] == BOUNDARY:
            return False
        if tokens[j] in negators:
            return True
    return False


_INTENT_MATCHER = Matcher(lx.INTENT_PATTERNS)
_SENTIMENT_MATCHER = Matcher(lx.SENTIMENT_PATTERNS)
_NEUTRAL_MATCHER = Matcher(lx.NEUTRAL_PHRASES)


def _deletions(word: str) -> set[str]:
    return {word[:i] + word[i + 1 :] for i in range(len(word))}


def _typo_index() -> dict[str, str]:
    """Map each one-letter deletion of a long lexicon word to the word (SymSpell's trick)."""
    vocabulary = {
        w
        for pattern in (*lx.INTENT_PATTERNS, *lx.SENTIMENT_PATTERNS)
        for w in pattern.split()
        if len(w) >= lx.TYPO_MIN_LENGTH and not w.endswith("*")
    }
    index: dict[str, str] = {}
    ambiguous: set[str] = set()
    for word in sorted(vocabulary):
        for key in _deletions(word) | {word}:
            if index.setdefault(key, word) != word:
                ambiguous.add(key)
    for key in ambiguous:
        del index[key]
    return index


_TYPOS = _typo_index()
_KNOWN = lx.PT_WORDS | lx.EN_WORDS | lx.TYPO_EXCEPTIONS


def correct_typos(tokens: Sequence[str]) -> tuple[tuple[str, ...], list[str]]:
    """Replace a long word one edit away from a lexicon word ("cancelr", "reuinao") by that word.

    Common words are never corrected ("quando" is not a typo of "quanto").
    """
    out: list[str] = []
    fixed: list[str] = []
    for token in tokens:
        word = None
        if len(token) >= lx.TYPO_MIN_LENGTH and token not in _KNOWN and token not in _TYPOS:
            word = next((_TYPOS[k] for k in sorted(_deletions(token)) if k in _TYPOS), None)
        if word and word != token:
            fixed.append(f"{token}->{word}")
            out.append(word)
        else:
            out.append(token)
    return tuple(out), fixed


def _contains(text: Text, phrases: Iterable[str]) -> list[str]:
    """The phrases that occur in the text as whole words."""
    joined = " " + " ".join(text.tokens) + " "
    return [p for p in phrases if f" {p} " in joined]


@dataclass
class Reading:
    """Everything the heuristics found in one message, with the evidence for each figure."""

    language: Language
    language_evidence: str
    intent: Intent
    intent_scores: dict[Intent, float]
    intent_evidence: list[str]
    negated: list[str]
    sentiment_score: float
    sentiment_evidence: list[str]
    priority_points: float
    priority_reasons: list[str]
    size_hint: str | None
    size_evidence: list[str]
    lead_points: dict[str, int]
    price_cues: list[str]
    currency: str
    signals: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    model_probability: float | None = None

    @property
    def sentiment(self) -> Sentiment:
        """The sentiment label and score."""
        score = round(max(-1.0, min(1.0, self.sentiment_score)), 3)
        if score >= lx.SENTIMENT_NEUTRAL_BAND:
            label = SentimentLabel.POSITIVE
        elif score <= -lx.SENTIMENT_NEUTRAL_BAND:
            label = SentimentLabel.NEGATIVE
        else:
            label = SentimentLabel.NEUTRAL
        return Sentiment(label=label, score=score)

    @property
    def priority(self) -> Priority:
        """The priority level the points reach."""
        return PRIORITIES[max(0, min(3, math.floor(self.priority_points)))]

    @property
    def lead_score(self) -> int:
        """The lead score: the sum of its parts, clamped to 0-100."""
        return max(0, min(100, sum(self.lead_points.values())))

    def price_guidance(
        self, tier: str | None = None, discount: tuple[int, int] | None = None, why: str = ""
    ) -> PriceGuidance | None:
        """Price guidance for pricing and purchase intents; None for any other intent.

        Args:
            tier: Overrides the tier the size hint suggests.
            discount: Overrides the discount range the cues suggest.
            why: Extra rationale, prepended.
        """
        if self.intent not in (Intent.PRICING, Intent.PURCHASE):
            return None
        reasons = [why] if why else []
        if tier is None:
            tier = TIERS.get(self.size_hint or "", DEFAULT_TIER)
            reasons.append(
                f"{tier} tier from a {self.size_hint} company-size hint in the text"
                if self.size_hint
                else f"{tier} tier: no company-size hint in the text"
            )
        if discount is None:
            discount, cue_reason = self._discount_from_cues()
            reasons.append(cue_reason)
        return PriceGuidance(
            tier=tier,
            discount_min_pct=discount[0],
            discount_max_pct=discount[1],
            currency=self.currency,
            rationale="; ".join(reasons) + ".",
        )

    def _discount_from_cues(self) -> tuple[tuple[int, int], str]:
        committed = self.intent is Intent.PURCHASE
        if "nonprofit" in self.price_cues:
            return (10, 20), "social-impact customer: nonprofit discount range"
        if "objection" in self.price_cues and not committed:
            return (5, 15), "price objection or competitor mentioned: room to negotiate"
        if self.size_hint == "large":
            return (5, 15), "volume discount for a large team"
        if "annual" in self.price_cues:
            return (5, 10), "annual prepayment discount"
        if committed:
            return (0, 5), "buyer has decided: protect the margin"
        return (0, 5), "no price objection: list price"

    def to_triage(self, provider: str) -> Triage:
        """Build the triage, with an explanation of every figure."""
        return Triage(
            intent=self.intent,
            sentiment=self.sentiment,
            priority=self.priority,
            language=self.language,
            lead_score=self.lead_score,
            price_guidance=self.price_guidance(),
            signals=tuple(dict.fromkeys(self.signals)),
            explanation=self.explain(),
            provider=provider,
        )

    def explain(self) -> str:
        """A sentence per figure, saying which evidence produced it."""
        top = sorted(self.intent_scores.items(), key=lambda kv: -kv[1])[:3]
        scores = ", ".join(f"{i.value} {s:.1f}" for i, s in top if s > 0) or "none"
        evidence = ", ".join(f"'{e}'" for e in self.intent_evidence[:6]) or "no keyword"
        parts = [
            f"Intent {self.intent.value} from keywords {evidence} (scores: {scores})"
            + (
                f" and the word model ({self.model_probability:.0%} {self.intent.value})."
                if self.model_probability is not None
                else "."
            ),
            f"Language {self.language.value} ({self.language_evidence}).",
            f"Sentiment {self.sentiment.label.value} {self.sentiment.score:+.2f}"
            + (
                f" from {', '.join(self.sentiment_evidence[:6])}."
                if self.sentiment_evidence
                else "."
            ),
            f"Priority {self.priority.value}: {'; '.join(self.priority_reasons)}.",
            "Lead score "
            + f"{self.lead_score} = "
            + " + ".join(f"{k} {v}" for k, v in self.lead_points.items() if v)
            + ".",
        ]
        if self.negated:
            parts.append(f"Negated, so ignored: {', '.join(repr(n) for n in self.negated[:4])}.")
        return " ".join(parts + self.notes)


def detect_language(text: Text) -> tuple[Language, str]:
    """Score Portuguese and English by function words, accents and word endings."""
    words = [t for t in text.tokens if t != BOUNDARY]
    pt = sum(1.0 for t in words if t in lx.PT_WORDS)
    en = sum(1.0 for t in words if t in lx.EN_WORDS)
    pt += 0.5 * min(3, len(_ACCENTED.findall(text.raw)))
    pt += 0.5 * sum(1 for t in words if len(t) > 4 and t.endswith(lx.PT_SUFFIXES))
    en += 0.5 * sum(1 for t in words if len(t) > 4 and t.endswith(lx.EN_SUFFIXES))
    evidence = f"Portuguese {pt:.1f} vs English {en:.1f} by stop words and spelling"
    if pt == en == 0:
        return Language.OTHER, "no Portuguese or English evidence"
    return (Language.PT if pt >= en else Language.EN), evidence


def _negators(language: Language) -> frozenset[str]:
    if language is Language.PT:
        return PT_NEGATORS  # "no" is Portuguese for "in the", never a negation
    if language is Language.EN:
        return EN_NEGATORS
    return PT_NEGATORS | (EN_NEGATORS - {"no"})


def score_intents(
    text: Text, negators: frozenset[str]
) -> tuple[dict[Intent, float], dict[Intent, list[str]], list[str]]:
    """Sum the weights of the intent patterns found, skipping negated ones."""
    scores: dict[Intent, float] = dict.fromkeys(Intent, 0.0)
    evidence: dict[Intent, list[str]] = defaultdict(list)
    negated: list[str] = []
    seen: set[str] = set()
    for match in _INTENT_MATCHER.find(text.tokens, negators):
        if match.pattern in seen:
            continue
        seen.add(match.pattern)
        if match.negated:
            negated.append(match.pattern)
            for intent, weight in lx.NEGATED_MEANS.get(match.pattern, {}).items():
                scores[intent] += weight
                evidence[intent].append(f"not {match.pattern}")
            continue
        for intent, weight in lx.INTENT_PATTERNS[match.pattern].items():
            scores[intent] += weight
            if weight > 0:
                evidence[intent].append(match.pattern)
    joined = " ".join(text.tokens)
    for regex, intent, weight in _SHAPES:
        found = regex.search(text.folded if regex is _TIME else joined)
        if found:
            scores[intent] += weight
            evidence[intent].append(found.group(0))
    return scores, evidence, negated


def choose_intent(scores: dict[Intent, float]) -> Intent:
    """The best keyword score, ties broken by precedence; `other` below the minimum."""
    best = min(lx.PRECEDENCE, key=lambda i: (-scores[i], lx.PRECEDENCE.index(i)))
    if best is not Intent.OTHER and scores[best] < lx.MIN_INTENT_SCORE:
        return Intent.OTHER
    return best


def combine_intents(scores: dict[Intent, float], posterior: dict[Intent, float] | None) -> Intent:
    """The best keyword score + `MODEL_WEIGHT` x the word model's log-probability.

    Ties are broken by precedence. When the model knows no word of the message
    (`posterior` is None), the keywords decide alone (`choose_intent`).
    """
    if posterior is None:
        return choose_intent(scores)
    combined = {i: scores[i] + MODEL_WEIGHT * posterior[i] for i in Intent}
    return min(lx.PRECEDENCE, key=lambda i: (-combined[i], lx.PRECEDENCE.index(i)))


def score_sentiment(text: Text, negators: frozenset[str]) -> tuple[float, list[str]]:
    """Sum word and emoji valences, with intensifiers, negation, `!` and caps; raw, unbounded."""
    neutral = {
        i for m in _NEUTRAL_MATCHER.find(text.tokens, frozenset()) for i in range(m.start, m.end)
    }
    total = 0.0
    evidence: list[str] = []
    for match in _SENTIMENT_MATCHER.find(text.tokens, negators):
        if match.start in neutral:
            continue
        valence = lx.SENTIMENT_PATTERNS[match.pattern]
        before = text.tokens[match.start - 1] if match.start else ""
        after = text.tokens[match.end] if match.end < len(text.tokens) else ""
        valence *= lx.INTENSIFIERS.get(before, 1.0)
        if after == "demais":
            valence *= 1.5
        if match.negated:
            valence *= -0.6
            evidence.append(f"not {match.pattern}")
        else:
            evidence.append(match.pattern)
        total += valence
    for emoji, valence in lx.EMOJI_VALENCE.items():
        count = text.raw.count(emoji)
        if count:
            total += valence * min(count, 3)
            evidence.append(emoji)
    if total:
        total += math.copysign(0.3 * min(text.exclamations, 4), total)
        if text.caps_ratio > 0.6 and text.letters >= 8:
            total *= 1.3
    return total, evidence


def normalise_sentiment(raw: float) -> float:
    """Squash an unbounded valence sum into [-1, 1] (VADER's normalisation)."""
    return raw / math.sqrt(raw * raw + 15)


def score_priority(
    text: Text, intent: Intent, sentiment: float, direction: Direction
) -> tuple[float, list[str], list[str]]:
    """Priority points: the intent's base, bumped by urgency words, outage, caps, `!!` and anger."""
    if direction is Direction.OUTBOUND:
        return 0.0, ["outbound message: nothing to answer"], []
    points = float(lx.BASE_PRIORITY[intent])
    reasons = [f"{intent.value} starts at {PRIORITIES[lx.BASE_PRIORITY[intent]].value}"]
    signals: list[str] = []
    strong = _contains(text, lx.URGENCY_STRONG)
    if strong:
        points += 1
        reasons.append(f"urgency word '{strong[0]}' +1")
        signals.append("urgency:keyword")
    timed = _contains(text, lx.URGENCY_TIME)
    if timed and not strong:
        points += 0.5
        reasons.append(f"time pressure '{timed[0]}' +0.5")
        signals.append("urgency:time")
    if intent is Intent.SUPPORT and _contains(text, lx.OUTAGE):
        points += 1
        reasons.append("outage +1")
        signals.append("urgency:outage")
    if text.caps_ratio > 0.6 and text.letters >= 8:
        points += 0.5
        reasons.append("written in capitals +0.5")
        signals.append("urgency:caps")
    if text.exclamations >= 2:
        points += 0.5
        reasons.append(f"{'!' * text.exclamations} +0.5")
        signals.append("urgency:exclamation")
    if sentiment <= -0.6:
        points += 0.5
        reasons.append("very negative tone +0.5")
    if intent is Intent.OTHER:
        points = min(points, 1.0)  # greetings, spam, auto-replies never jump the queue
    return points, reasons, signals


def size_hint(text: Text) -> tuple[str | None, list[str]]:
    """A company-size band (small, medium, large) from headcounts, sites and words in the text."""
    hints: list[tuple[int, str]] = []
    for number, thousands in _HEADCOUNT.findall(text.folded):
        digits = re.sub(r"\D", "", number)
        if digits:
            count = int(digits) * (1000 if thousands else 1)
            band = "large" if count >= 100 else "medium" if count >= 20 else "small"
            hints.append((("small", "medium", "large").index(band), f"{count} people/seats"))
    for sites in _SITES.findall(text.folded):
        if int(sites) >= 3:
            hints.append((1, f"{sites} sites"))
    hints.extend((2, f"'{w}'") for w in _contains(text, lx.LARGE_WORDS))
    hints.extend((0, f"'{w}'") for w in _contains(text, lx.SMALL_WORDS))
    if not hints:
        return None, []
    level = max(h[0] for h in hints)
    return ("small", "medium", "large")[level], [h[1] for h in hints]


def read(message: MessageInput, context: TriageContext) -> Reading:
    """Read a message with the heuristics alone; `context.contact_attributes` is never touched.

    Args:
        message: The message.
        context: Only `previous_intents` and `currency` are used.

    Returns:
        The reading, ready for `Reading.to_triage`.
    """
    text = prepare(message.body, message.subject)
    language, language_evidence = detect_language(text)
    negators = _negators(language)
    signals = ["language:stopwords", "intent:keywords", "sentiment:lexicon"]
    tokens, typos = correct_typos(text.tokens)
    if typos:
        text = replace(text, tokens=tokens)
        signals.append("intent:typo_correction")

    scores, evidence, negated = score_intents(text, negators)
    if negated:
        signals.append("intent:negation")
    raw_sentiment, sentiment_evidence = score_sentiment(text, negators)
    anger = lx.COMPLAINT_FROM_ANGER_THRESHOLD - raw_sentiment
    if anger > 0:
        scores[Intent.COMPLAINT] += anger * lx.COMPLAINT_FROM_ANGER_WEIGHT
        evidence[Intent.COMPLAINT].append(f"negative tone {raw_sentiment:+.1f}")
        signals.append("intent:tone")
    posterior = intent_model().log_posterior(text.tokens)
    intent = combine_intents(scores, posterior)
    if posterior is not None:
        signals.append("intent:model")
    if any(e in lx.EMOJI_VALENCE for e in sentiment_evidence):
        signals.append("sentiment:emoji")
    nudge = lx.SENTIMENT_BY_INTENT.get(intent, 0.0)
    sentiment = normalise_sentiment(raw_sentiment + nudge)
    if nudge:
        sentiment_evidence.append(f"{intent.value} intent {nudge:+.1f}")

    points, reasons, priority_signals = score_priority(text, intent, sentiment, message.direction)
    signals.extend(priority_signals)

    size, size_evidence = size_hint(text)
    lead = {
        "base": lx.LEAD_BASE,
        f"{intent.value} intent": lx.LEAD_BY_INTENT[intent],
        "tone": round(sentiment * lx.LEAD_SENTIMENT_SCALE),
    }
    if size:
        lead[f"{size} company hint"] = lx.LEAD_SIZE_POINTS[size]
        signals.append("size:text_hint")
    buying = intent in (Intent.PURCHASE, Intent.PRICING)
    if buying and ("urgency:keyword" in signals or "urgency:time" in signals):
        lead["buying soon"] = lx.LEAD_URGENT_BUYER
    if buying and any(i in (Intent.PURCHASE, Intent.PRICING) for i in context.previous_intents):
        lead["earlier buying intent"] = lx.LEAD_HISTORY
        signals.append("history:previous_intents")

    cues = []
    if _contains(text, lx.PRICE_OBJECTION):
        cues.append("objection")
    if _contains(text, lx.ANNUAL):
        cues.append("annual")
    if _contains(text, lx.NONPROFIT):
        cues.append("nonprofit")
    if buying:
        signals.append("price:cues")

    return Reading(
        language=language,
        language_evidence=language_evidence,
        intent=intent,
        intent_scores=scores,
        intent_evidence=evidence.get(intent, []),
        negated=negated,
        sentiment_score=sentiment,
        sentiment_evidence=sentiment_evidence,
        priority_points=points,
        priority_reasons=reasons,
        size_hint=size,
        size_evidence=size_evidence,
        lead_points=lead,
        price_cues=cues,
        currency=context.currency or CURRENCY_BY_LANGUAGE[language],
        signals=signals,
        notes=[f"Typos read as: {', '.join(typos[:4])}."] if typos else [],
        model_probability=math.exp(posterior[intent]) if posterior else None,
    )
