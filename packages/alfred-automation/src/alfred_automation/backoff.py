"""The retry schedule of deliveries: what an attempt's result means, and when to try again.

The schedule is exponential with jitter, in the spirit of Svix's (seconds, then minutes, then
hours). After ``n`` failed attempts the step's ceiling is ``min(cap, base * factor ** (n - 1))``
and the delay is drawn uniformly between ``ceiling / factor`` and ``ceiling``: full jitter within
the step, with the previous step's ceiling as a floor, so that a burst of failures spreads out
without a retry ever coming almost at once. It needs no state beyond the attempt count (unlike
AWS's decorrelated jitter, which needs the previous delay).

With the defaults (base 5 s, factor 4, cap 6 h) and ``AUTOMATION_MAX_ATTEMPTS=8``, the waits after
attempts 1 to 7 fall in [1.25, 5] s, [5, 20] s, [20, 80] s, [80, 320] s, [5.3, 21.3] min,
[21.3, 85.3] min and [1.4, 5.7] h: from about 1.9 h to 7.6 h in all before the delivery fails.
"""

from __future__ import annotations

import random
import re
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from enum import StrEnum

import httpx

from alfred_automation.errors import SecretDecryptError, UnsafeURLError

__all__ = [
    "DEFAULT_RETRY_BASE_SECONDS",
    "DEFAULT_RETRY_FACTOR",
    "DEFAULT_RETRY_MAX_SECONDS",
    "Outcome",
    "classify",
    "next_delay",
    "retry_after_seconds",
]

DEFAULT_RETRY_BASE_SECONDS = 5.0
DEFAULT_RETRY_MAX_SECONDS = 6 * 3600.0
DEFAULT_RETRY_FACTOR = 4.0

_MAX_EXPONENT = 64  # far past any cap; keeps factor ** n from overflowing a float
_MAX_RETRY_AFTER = 10**9
_DELTA_SECONDS = re.compile(r"[0-9]+")
_SYSTEM_RNG = random.SystemRandom()
# A stored URL refused for these reasons may become acceptable (DNS changes); the others are
# properties of the URL itself and waiting will not change them.
_TRANSIENT_URL_REASONS = frozenset({"blocked_ip", "blocked_host", "unresolvable"})


class Outcome(StrEnum):
    """What one delivery attempt means for the delivery."""

    SUCCEEDED = "succeeded"
    """2xx: the delivery is done."""
    RETRY = "retry"
    """A transient failure: schedule another attempt (`next_delay`) unless attempts ran out."""
    FAILED = "failed"
    """A permanent failure: no more attempts."""
    GONE = "gone"
    """410: fail the delivery and disable the destination."""


def classify(status_code: int | None, error: BaseException | None = None) -> Outcome:
    """Decide what an attempt's response status, or the error that replaced it, means.

    Statuses: 2xx succeeded; 410 gone; 408, 429 and 5xx retry; 3xx retry (redirects are not
    followed, the attempt counts as failed and the schedule goes on); other 4xx failed; anything
    else (1xx, non-standard) retry.

    Errors: network errors and timeouts (``httpx.TransportError``) retry, except an unsupported
    protocol or an invalid URL, which fail. `UnsafeURLError` retries when the address was refused
    or did not resolve (DNS may change; each attempt is vetted again and opens no socket to a
    refused address) and fails for a refused scheme, port or credentials. `SecretDecryptError`
    retries for an unknown key (an operator can deploy it) and fails otherwise. Any other error
    retries: attempts are bounded anyway.

    Args:
        status_code: The response status, or None when there was no response.
        error: The exception raised instead of a response.

    Raises:
        ValueError: Both arguments are None.
    """
    if status_code is not None:
        if 200 <= status_code < 300:
            return Outcome.SUCCEEDED
        if status_code == 410:
            return Outcome.GONE
        if 400 <= status_code < 500 and status_code not in (408, 429):
            return Outcome.FAILED
        return Outcome.RETRY
    if error is None:
        raise ValueError("classify needs a status code or an error")
    if isinstance(error, httpx.UnsupportedProtocol | httpx.InvalidURL):
        return Outcome.FAILED
    if isinstance(error, UnsafeURLError):
        return Outcome.RETRY if error.reason in _TRANSIENT_URL_REASONS else Outcome.FAILED
    if isinstance(error, SecretDecryptError):
        return Outcome.RETRY if error.reason == "unknown_key" else Outcome.FAILED
    return Outcome.RETRY


def next_delay(
    attempt: int,
    *,
    base: float = DEFAULT_RETRY_BASE_SECONDS,
    cap: float = DEFAULT_RETRY_MAX_SECONDS,
    factor: float = DEFAULT_RETRY_FACTOR,
    rng: random.Random | None = None,
    retry_after: float | None = None,
) -> float:
    """Seconds to wait after ``attempt`` failed attempts before the next one.

    See the module docstring for the schedule. A ``Retry-After`` from the receiver is honoured
    up to ``cap``: the delay is never shorter than it, and never shortened by it.

    Args:
        attempt: How many attempts have been made (1 after the first failure).
        base: ``AUTOMATION_RETRY_BASE_SECONDS``, the first step's ceiling.
        cap: ``AUTOMATION_RETRY_MAX_SECONDS``, the longest delay.
        factor: The growth per attempt (at least 1).
        rng: The source of jitter; a shared ``random.SystemRandom`` when None. Pass a seeded
            ``random.Random`` in tests.
        retry_after: Seconds from `retry_after_seconds`, if the response had the header.

    Raises:
        ValueError: ``attempt`` < 1, ``base`` or ``cap`` not positive, or ``factor`` < 1.
    """
    if attempt < 1:
        raise ValueError("attempt counts the attempts made, from 1")
    if base <= 0 or cap <= 0 or factor < 1:
        raise ValueError("base and cap must be positive and factor at least 1")
    ceiling = min(cap, base * factor ** min(attempt - 1, _MAX_EXPONENT))
    delay = (rng or _SYSTEM_RNG).uniform(ceiling / factor, ceiling)
    if retry_after is not None:
        delay = max(delay, min(retry_after, cap))
    return delay


def retry_after_seconds(header_value: str | None, now: datetime) -> float | None:
    """Read a ``Retry-After`` header: delta-seconds (``120``) or an HTTP-date.

    Args:
        header_value: The header, or None when absent.
        now: The current time, timezone-aware (a date in the past gives 0).

    Returns:
        Seconds to wait (at least 0, at most 10**9), or None when absent or unreadable.
    """
    if header_value is None:
        return None
    value = header_value.strip()
    if _DELTA_SECONDS.fullmatch(value):
        return float(min(int(value), _MAX_RETRY_AFTER))
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if when.tzinfo is None:  # asctime and "-0000" dates carry no zone; HTTP-dates are GMT
        when = when.replace(tzinfo=UTC)
    return min(max(0.0, (when - now).total_seconds()), float(_MAX_RETRY_AFTER))
