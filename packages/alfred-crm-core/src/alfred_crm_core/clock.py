"""The clock every domain reads, replaceable in tests (the one fake our tests allow besides DNS)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

__all__ = ["frozen_clock", "utcnow"]

_source: Callable[[], datetime] = lambda: datetime.now(UTC)  # noqa: E731  # swapped in tests


def utcnow() -> datetime:
    """The current time, timezone-aware in UTC."""
    return _source()


@contextmanager
def frozen_clock(at: datetime | Callable[[], datetime]) -> Iterator[None]:
    """Make `utcnow()` return `at` (or call it) inside the block."""
    global _source
    previous = _source
    _source = at if callable(at) else (lambda: at)
    try:
        yield
    finally:
        _source = previous
