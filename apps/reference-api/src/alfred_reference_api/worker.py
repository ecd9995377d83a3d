"""The worker: the scheduler of background jobs (and, with the automation hub, the dispatcher).

`alfred-api worker` runs it as its own process; `alfred-api serve` runs it inside the API process
when `--with-worker` is given (what `make run` does), so a newcomer sees the whole system.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from alfred_reference_api.jobs import JOBS, JobContext, run_job

__all__ = ["Worker"]

_log = logging.getLogger("alfred.worker")


class Worker:
    """Runs every registered job on its interval until stopped."""

    def __init__(self, ctx: JobContext) -> None:
        self.ctx = ctx
        self._scheduler = AsyncIOScheduler(timezone=UTC)

    async def start(self) -> None:
        """Schedule the jobs (each first runs right away) and start the scheduler."""
        for job in JOBS.values():
            self._scheduler.add_job(
                run_job,
                "interval",
                seconds=job.interval_seconds(self.ctx.settings),
                args=[job, self.ctx],
                id=job.name,
                max_instances=1,  # a slow run is never overlapped by the next one
                coalesce=True,
                next_run_time=datetime.now(UTC),
            )
        self._scheduler.start()
        _log.info("worker started", extra={"jobs": sorted(JOBS)})

    async def stop(self) -> None:
        """Stop scheduling; a run in progress finishes on its own."""
        self._scheduler.shutdown(wait=False)
        await asyncio.sleep(0)
        _log.info("worker stopped")
