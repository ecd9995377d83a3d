"""The retry schedule: outcomes, jittered exponential delays, Retry-After."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from alfred_automation import (
    Outcome,
    SecretDecryptError,
    UnsafeURLError,
    classify,
    next_delay,
    retry_after_seconds,
)
from alfred_automation.backoff import (
    DEFAULT_RETRY_BASE_SECONDS,
    DEFAULT_RETRY_FACTOR,
    DEFAULT_RETRY_MAX_SECONDS,
)

NOW = datetime(2024, 7, 15, 12, 0, 0, tzinfo=UTC)


class TestClassify:
    @pytest.mark.parametrize("status", [200, 201, 202, 204, 299])
    def test_2xx_succeeds(self, status: int) -> None:
        assert classify(status) is Outcome.SUCCEEDED

    @pytest.mark.parametrize("status", [408, 429, 500, 502, 503, 504, 599])
    def test_408_429_and_5xx_are_retried(self, status: int) -> None:
        assert classify(status) is Outcome.RETRY

    @pytest.mark.parametrize("status", [300, 301, 302, 303, 307, 308])
    def test_3xx_is_a_failed_attempt_retried_per_schedule(self, status: int) -> None:
        # Checklist row 37: not followed, marked failed, retried per schedule.
        assert classify(status) is Outcome.RETRY

    def test_410_means_the_destination_is_gone(self) -> None:
        assert classify(410) is Outcome.GONE

    @pytest.mark.parametrize("status", [400, 401, 403, 404, 405, 409, 413, 422, 499])
    def test_other_4xx_fail_without_retry(self, status: int) -> None:
        assert classify(status) is Outcome.FAILED

    @pytest.mark.parametrize("status", [100, 600, 999])
    def test_unexpected_statuses_are_retried(self, status: int) -> None:
        assert classify(status) is Outcome.RETRY

    def test_a_status_wins_over_an_error(self) -> None:
        assert classify(200, httpx.ReadError("late")) is Outcome.SUCCEEDED

    @pytest.mark.parametrize(
        ("error", "outcome"),
        [
            (httpx.ConnectError("refused"), Outcome.RETRY),
            (httpx.ConnectTimeout("slow"), Outcome.RETRY),
            (httpx.ReadTimeout("slow"), Outcome.RETRY),
            (httpx.WriteTimeout("slow"), Outcome.RETRY),
            (httpx.PoolTimeout("busy"), Outcome.RETRY),
            (httpx.ReadError("reset"), Outcome.RETRY),
            (httpx.RemoteProtocolError("bad"), Outcome.RETRY),
            (OSError("unreachable"), Outcome.RETRY),
            (RuntimeError("anything else"), Outcome.RETRY),
            (httpx.UnsupportedProtocol("ftp"), Outcome.FAILED),
            (httpx.InvalidURL("bad"), Outcome.FAILED),
            (UnsafeURLError("blocked_ip"), Outcome.RETRY),
            (UnsafeURLError("blocked_host"), Outcome.RETRY),
            (UnsafeURLError("unresolvable"), Outcome.RETRY),
            (UnsafeURLError("scheme_not_allowed"), Outcome.FAILED),
            (UnsafeURLError("credentials_in_url"), Outcome.FAILED),
            (UnsafeURLError("https_required"), Outcome.FAILED),
            (SecretDecryptError("unknown_key"), Outcome.RETRY),
            (SecretDecryptError("authentication_failed"), Outcome.FAILED),
            (SecretDecryptError("malformed"), Outcome.FAILED),
        ],
    )
    def test_errors_without_a_response(self, error: BaseException, outcome: Outcome) -> None:
        assert classify(None, error) is outcome

    def test_needs_a_status_or_an_error(self) -> None:
        with pytest.raises(ValueError, match="status code or an error"):
            classify(None)


class TestNextDelay:
    def test_the_same_seed_gives_the_same_schedule(self) -> None:
        first = [next_delay(n, rng=random.Random(7)) for n in range(1, 9)]
        second = [next_delay(n, rng=random.Random(7)) for n in range(1, 9)]
        assert first == second

    def test_the_default_schedule_with_a_seeded_rng(self) -> None:
        rng = random.Random(2024)
        delays = [round(next_delay(n, rng=rng), 1) for n in range(1, 8)]
        assert delays == [3.0, 15.9, 38.2, 293.0, 713.7, 4031.8, 9193.8]

    @pytest.mark.parametrize("seed", range(20))
    def test_each_delay_lies_between_the_previous_and_the_current_ceiling(self, seed: int) -> None:
        rng = random.Random(seed)
        for attempt in range(1, 12):
            ceiling = min(
                DEFAULT_RETRY_MAX_SECONDS,
                DEFAULT_RETRY_BASE_SECONDS * DEFAULT_RETRY_FACTOR ** (attempt - 1),
            )
            delay = next_delay(attempt, rng=rng)
            assert ceiling / DEFAULT_RETRY_FACTOR <= delay <= ceiling

    def test_the_ceiling_is_capped_even_for_absurd_attempt_counts(self) -> None:
        rng = random.Random(1)
        for attempt in (9, 50, 10_000):
            delay = next_delay(attempt, base=2, cap=600, rng=rng)
            assert 150 <= delay <= 600

    def test_jitter_spreads_a_burst_of_failures(self) -> None:
        rng = random.Random(3)
        delays = {round(next_delay(3, rng=rng), 3) for _ in range(100)}
        assert len(delays) > 90
        assert min(delays) < 30
        assert max(delays) > 70

    def test_retry_after_is_honoured_up_to_the_cap(self) -> None:
        rng = random.Random(5)
        assert next_delay(1, rng=random.Random(5), retry_after=120) == 120
        assert next_delay(1, cap=60, rng=rng, retry_after=3600) == 60
        # A shorter Retry-After never shortens the schedule.
        assert next_delay(4, rng=random.Random(5), retry_after=1) == next_delay(
            4, rng=random.Random(5)
        )

    def test_base_and_factor_are_configurable(self) -> None:
        delay = next_delay(3, base=1, factor=2, cap=100, rng=random.Random(0))
        assert 2 <= delay <= 4
        assert next_delay(5, base=1, factor=1, cap=100, rng=random.Random(0)) == 1

    def test_the_default_rng_stays_within_the_step(self) -> None:
        assert 1.25 <= next_delay(1) <= 5

    @pytest.mark.parametrize(
        ("attempt", "base", "cap", "factor"),
        [(0, 5, 60, 4), (-1, 5, 60, 4), (1, 0, 60, 4), (1, 5, -1, 4), (1, 5, 60, 0.5)],
    )
    def test_refuses_nonsense(self, attempt: int, base: float, cap: float, factor: float) -> None:
        with pytest.raises(ValueError, match=r"attempt|positive"):
            next_delay(attempt, base=base, cap=cap, factor=factor)


class TestRetryAfter:
    @pytest.mark.parametrize(
        ("value", "seconds"),
        [("120", 120.0), ("0", 0.0), (" 5 ", 5.0), ("9" * 30, 1e9)],
    )
    def test_reads_delta_seconds(self, value: str, seconds: float) -> None:
        assert retry_after_seconds(value, NOW) == seconds

    @pytest.mark.parametrize(
        "value",
        [
            "Mon, 15 Jul 2024 12:01:30 GMT",  # IMF-fixdate
            "Monday, 15-Jul-24 12:01:30 GMT",  # RFC 850
            "Mon Jul 15 12:01:30 2024",  # asctime
        ],
    )
    def test_reads_every_http_date_format(self, value: str) -> None:
        assert retry_after_seconds(value, NOW) == 90.0

    def test_a_date_in_the_past_means_now(self) -> None:
        assert retry_after_seconds("Mon, 15 Jul 2024 11:00:00 GMT", NOW) == 0.0

    def test_a_far_date_is_bounded(self) -> None:
        assert retry_after_seconds("Fri, 31 Dec 9999 23:59:59 GMT", NOW) == 1e9

    @pytest.mark.parametrize(
        "value", [None, "", "-1", "1.5", "soon", "Mon, 99 Foo 2024 GMT", "\u0661\u0662"]
    )
    def test_anything_else_is_none(self, value: str | None) -> None:
        assert retry_after_seconds(value, NOW) is None

    def test_relative_to_the_given_now(self) -> None:
        later = NOW + timedelta(seconds=30)
        assert retry_after_seconds("Mon, 15 Jul 2024 12:01:30 GMT", later) == 60.0
