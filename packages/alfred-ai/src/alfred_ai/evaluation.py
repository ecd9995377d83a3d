"""Measure a provider's intent accuracy on the labelled data set shipped with this package.

The data set (`alfred_ai/data/triage_labelled.jsonl`) holds Portuguese and English CRM messages,
each labelled with its language and intent, a `split` (`tune` or `holdout`) and the `round` in
which it was written; docs/ai-providers.md tells how the rounds were written and scored.

    python -m alfred_ai.evaluation --split holdout       # what `make bench` reports
    python -m alfred_ai.evaluation --split tune --misses  # misses are shown for tune only
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections import defaultdict
from collections.abc import Sequence
from importlib.resources import files
from typing import Literal

from pydantic import BaseModel, ConfigDict, computed_field

from alfred_ai.provider import Channel, Intent, Language, MessageInput, Provider, TriageContext
from alfred_ai.registry import load_provider

__all__ = [
    "EvaluationReport",
    "LabelledMessage",
    "Miss",
    "Score",
    "Split",
    "evaluate",
    "load_labelled",
    "main",
]

Split = Literal["tune", "holdout", "all"]
DATA_FILE = "triage_labelled.jsonl"


class LabelledMessage(BaseModel):
    """One message of the labelled set."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str
    text: str
    language: Language
    intent: Intent
    channel: Channel
    split: Literal["tune", "holdout"]
    round: int


class Score(BaseModel):
    """Correct answers out of a total."""

    model_config = ConfigDict(frozen=True)

    correct: int = 0
    total: int = 0

    @computed_field  # type: ignore[prop-decorator]  # pydantic's documented computed_field idiom
    @property
    def accuracy(self) -> float:
        """Share of correct answers; 0 when there is nothing to score."""
        return self.correct / self.total if self.total else 0.0

    def add(self, correct: bool) -> Score:
        """This score with one more answer counted."""
        return Score(correct=self.correct + int(correct), total=self.total + 1)


class Miss(BaseModel):
    """A message whose intent the provider got wrong."""

    model_config = ConfigDict(frozen=True)

    id: str
    text: str
    expected: Intent
    predicted: Intent


class EvaluationReport(BaseModel):
    """Intent accuracy overall, per intent, per language and per writing round.

    Attributes:
        provider: The provider's name.
        split: Which part of the data set was scored.
        overall: All messages.
        per_intent: By labelled intent.
        per_language: By labelled language.
        per_round: By the round the messages were written in (see docs/ai-providers.md).
        language_detection: How often the detected language matched the label.
        misses: The wrongly classified messages.
    """

    model_config = ConfigDict(frozen=True)

    provider: str
    split: Split
    overall: Score
    per_intent: dict[Intent, Score]
    per_language: dict[Language, Score]
    per_round: dict[int, Score]
    language_detection: Score
    misses: tuple[Miss, ...] = ()

    def render(self, *, misses: bool = False) -> str:
        """A plain-text table, as `make bench` prints it.

        Args:
            misses: Also list the misclassified messages.
        """

        def line(label: str, score: Score) -> str:
            return f"  {label:<20} {score.correct:>4}/{score.total:<4} {score.accuracy:7.1%}"

        out = [f"Intent accuracy of provider {self.provider!r} on the {self.split} split"]
        out.append(line("overall", self.overall))
        out.append(" per language")
        out.extend(line(k.value, v) for k, v in self.per_language.items())
        out.append(" per intent")
        out.extend(line(k.value, v) for k, v in self.per_intent.items())
        out.append(" per writing round")
        out.extend(line(f"round {k}", v) for k, v in sorted(self.per_round.items()))
        out.append(line("language detection", self.language_detection))
        if misses:
            out.append(" misses")
            out.extend(
                f"  {m.id:<24} {m.expected.value:>12} -> {m.predicted.value:<12} {m.text[:70]}"
                for m in self.misses
            )
        return "\n".join(out)


def load_labelled(split: Split = "all") -> list[LabelledMessage]:
    """The labelled messages of one split (or all of them), in file order.

    Args:
        split: `tune`, `holdout` or `all`.
    """
    text = files("alfred_ai").joinpath("data", DATA_FILE).read_text(encoding="utf-8")
    rows = [LabelledMessage.model_validate(json.loads(line)) for line in text.splitlines() if line]
    return [row for row in rows if split == "all" or row.split == split]


async def evaluate(provider: Provider, split: Split = "holdout") -> EvaluationReport:
    """Triage every labelled message of `split` with `provider` and score the intents.

    Each message is triaged on its own, with an empty context.

    Args:
        provider: Any provider.
        split: `holdout` (the default: what accuracy claims rest on), `tune` or `all`.

    Returns:
        The report.
    """
    overall = Score()
    detection = Score()
    per_intent: dict[Intent, Score] = {intent: Score() for intent in Intent}
    per_language: dict[Language, Score] = defaultdict(Score)
    per_round: dict[int, Score] = defaultdict(Score)
    misses: list[Miss] = []
    name = str(getattr(provider, "name", None) or type(provider).__name__)
    for row in load_labelled(split):
        triage = await provider.triage(
            MessageInput(body=row.text, channel=row.channel), TriageContext()
        )
        hit = triage.intent is row.intent
        overall = overall.add(hit)
        per_intent[row.intent] = per_intent[row.intent].add(hit)
        per_language[row.language] = per_language[row.language].add(hit)
        per_round[row.round] = per_round[row.round].add(hit)
        detection = detection.add(triage.language is row.language)
        if not hit:
            misses.append(
                Miss(id=row.id, text=row.text, expected=row.intent, predicted=triage.intent)
            )
    return EvaluationReport(
        provider=name,
        split=split,
        overall=overall,
        per_intent={k: v for k, v in per_intent.items() if v.total},
        per_language=dict(per_language),
        per_round=dict(per_round),
        language_detection=detection,
        misses=tuple(misses),
    )


def main(argv: Sequence[str] | None = None) -> int:
    """`python -m alfred_ai.evaluation`: print a report (and with --json, the report as JSON)."""
    parser = argparse.ArgumentParser(prog="python -m alfred_ai.evaluation", description=__doc__)
    parser.add_argument("--provider", default="mock", help="an installed provider's name")
    parser.add_argument("--split", choices=["tune", "holdout", "all"], default="holdout")
    parser.add_argument("--misses", action="store_true", help="list misses (tune split only)")
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    args = parser.parse_args(argv)
    if args.misses and args.split != "tune":
        parser.error("misses are listed for the tune split only, so nobody tunes on the holdout")
    report = asyncio.run(evaluate(load_provider(args.provider), args.split))
    if args.json:
        sys.stdout.write(report.model_dump_json(indent=2, exclude={"misses"}) + "\n")
    else:
        sys.stdout.write(report.render(misses=args.misses) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
