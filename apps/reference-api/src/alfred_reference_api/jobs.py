"""The registry of background jobs: what `alfred-api jobs run NAME` and the scheduler can run.

A job is an async callable taking the `Database` and the settings; it must be safe to run from
several processes at once (it claims its run in the database).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from alfred_crm_core import Database
from alfred_reference_api.settings import Settings

__all__ = ["JOBS", "Job", "UnknownJobError", "get_job"]

JobFunc = Callable[[Database, Settings], Awaitable[str]]


@dataclass(frozen=True)
class Job:
    """A named background job and how often the scheduler runs it."""

    name: str
    run: JobFunc
    interval_seconds: Callable[[Settings], float]
    description: str


JOBS: dict[str, Job] = {}
"""Jobs by name. The jobs issue registers `overdue-tasks`, `stalled-leads` and housekeeping."""


class UnknownJobError(LookupError):
    """No job has that name; the message lists the jobs there are."""

    def __init__(self, name: str) -> None:
        known = ", ".join(sorted(JOBS)) or "(none registered)"
        super().__init__(f"unknown job {name!r}; jobs: {known}")


def get_job(name: str) -> Job:
    """Return the job called `name`.

    Raises:
        UnknownJobError: No job has that name.
    """
    try:
        return JOBS[name]
    except KeyError:
        raise UnknownJobError(name) from None
