from collections import Counter

import pytest

from alfred_ai import Intent, Language, MockProvider
from alfred_ai.evaluation import EvaluationReport, evaluate, load_labelled, main
from alfred_ai.testing import FakeProvider, make_triage

pytestmark = pytest.mark.anyio


class TestLabelledSet:
    def test_is_large_enough_and_holds_out_more_than_30_percent(self) -> None:
        rows = load_labelled("all")
        holdout = load_labelled("holdout")
        assert len(rows) >= 150
        assert len(holdout) / len(rows) >= 0.3
        assert len(load_labelled("tune")) + len(holdout) == len(rows)

    def test_every_intent_is_well_represented_in_both_languages(self) -> None:
        for split in ("tune", "holdout"):
            counts = Counter((r.language, r.intent) for r in load_labelled(split))
            for language in (Language.PT, Language.EN):
                for intent in Intent:
                    assert counts[language, intent] >= 10, (split, language, intent)

    def test_ids_and_texts_are_unique(self) -> None:
        rows = load_labelled("all")
        assert len({r.id for r in rows}) == len(rows)
        assert len({(r.language, r.text) for r in rows}) == len(rows)  # "ok" is in both


class TestMockAccuracy:
    """Measured properties of deterministic code: these figures are what `make bench` reports."""

    async def test_holdout_accuracy_is_at_least_85_percent_per_language(self) -> None:
        report = await evaluate(MockProvider(), "holdout")
        for language in (Language.PT, Language.EN):
            assert report.per_language[language].accuracy >= 0.85, report.render()

    async def test_detects_the_language_of_nearly_every_holdout_message(self) -> None:
        report = await evaluate(MockProvider(), "holdout")
        assert report.language_detection.accuracy >= 0.95


class TestReport:
    async def test_scores_every_breakdown(self) -> None:
        report = await evaluate(FakeProvider(result=make_triage(intent=Intent.OTHER)), "tune")
        rows = load_labelled("tune")
        others = sum(r.intent is Intent.OTHER for r in rows)
        assert (report.overall.correct, report.overall.total) == (others, len(rows))
        assert report.per_intent[Intent.OTHER].accuracy == 1.0
        assert report.per_intent[Intent.PRICING].accuracy == 0.0
        assert sum(s.total for s in report.per_language.values()) == len(rows)
        assert sum(s.total for s in report.per_round.values()) == len(rows)
        assert len(report.misses) == len(rows) - others
        assert report.provider == "fake"

    async def test_renders_a_table(self) -> None:
        report = await evaluate(MockProvider(), "holdout")
        text = report.render()
        for label in ("overall", "pt", "en", "pricing", "round 5", "language detection"):
            assert label in text
        assert " misses" not in text
        assert " misses" in report.render(misses=True)

    async def test_round_trips_through_json(self) -> None:
        report = await evaluate(MockProvider(), "tune")
        assert EvaluationReport.model_validate_json(report.model_dump_json()) == report


class TestMain:
    def test_prints_the_holdout_report(self, capsys: pytest.CaptureFixture[str]) -> None:
        assert main([]) == 0
        assert "on the holdout split" in capsys.readouterr().out

    def test_lists_misses_for_the_tune_split(self, capsys: pytest.CaptureFixture[str]) -> None:
        assert main(["--split", "tune", "--misses"]) == 0
        assert " misses" in capsys.readouterr().out

    def test_refuses_to_list_holdout_misses(self, capsys: pytest.CaptureFixture[str]) -> None:
        with pytest.raises(SystemExit):
            main(["--misses"])
        assert "tune split only" in capsys.readouterr().err

    def test_prints_json(self, capsys: pytest.CaptureFixture[str]) -> None:
        assert main(["--json", "--provider", "income"]) == 0
        report = EvaluationReport.model_validate_json(capsys.readouterr().out)
        assert report.provider == "income"
        assert report.misses == ()
