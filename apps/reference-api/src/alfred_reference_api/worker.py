"""The worker: the webhook dispatcher and the scheduler of background jobs.

`alfred-api worker` runs it as its own process; `alfred-api serve --with-worker` runs it inside
the API process (what `make run` does), so a newcomer sees the whole system with one command.
Several workers may run at once: deliveries are claimed with `FOR UPDATE SKIP LOCKED` and every
job run claims its work in the database.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import UTC, datetime

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from alfred_automation.worker import Dispatcher
from alfred_reference_api.jobs import JOBS, JobContext, run_job

__all__ = ["Worker"]

_log = logging.getLogger("alfred.worker")


class Worker:
    """Runs every registered job on its interval, and the dispatcher when one is given."""

    def __init__(self, ctx: JobContext, dispatcher: Dispatcher | None = None) -> None:
        self.ctx = ctx
        self.dispatcher = dispatcher
        self._scheduler = AsyncIOScheduler(timezone=UTC)
        self._dispatching: asyncio.Task[None] | None = None

    async def start(self) -> None:
        """Start the dispatcher and schedule the jobs (each first runs right away)."""
        if self.dispatcher is not None:
            self._dispatching = asyncio.create_task(self.dispatcher.run(), name="dispatcher")
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
        _log.info(
            "worker started",
            extra={"jobs": sorted(JOBS), "dispatcher": self.dispatcher is not None},
        )

    async def stop(self) -> None:
        """Stop scheduling and let the dispatcher finish the sends in flight."""
        self._scheduler.shutdown(wait=False)
        if self.dispatcher is not None and self._dispatching is not None:
            self.dispatcher.stop()
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(asyncio.shield(self._dispatching), timeout=15)
            if not self._dispatching.done():
                self._dispatching.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await self._dispatching
            await self.dispatcher.aclose()
        _log.info("worker stopped")
