"""The background jobs: what `alfred-api jobs run NAME` and the worker's scheduler run.

Every job is safe with several workers: a run first takes a PostgreSQL advisory lock named after
the job (a second runner at the same moment skips), and the work itself claims rows with single
`UPDATE ... RETURNING` statements, so nothing is notified twice even across runs. Jobs walk the
tenants in batches, each tenant in its own transaction confined by row-level security; a tenant
that fails is logged and skipped, the others go on.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import text

from alfred_automation import rotate_encryption
from alfred_automation.callbacks import prune
from alfred_crm_core import Database, EventSink, NullEventSink, UnitOfWork
from alfred_crm_core.alerts.service import AlertService
from alfred_reference_api import bootstrap
from alfred_reference_api.automation import hub_config
from alfred_reference_api.settings import Settings

__all__ = ["JOBS", "Job", "JobContext", "JobReport", "UnknownJobError", "get_job", "run_job"]

_log = logging.getLogger("alfred.jobs")
TENANT_BATCH = 200


@dataclass
class JobContext:
    """What a job runs with."""

    database: Database
    settings: Settings
    events: EventSink = field(default_factory=NullEventSink)


@dataclass
class JobReport:
    """What one run did."""

    job: str
    ran: bool = True
    tenants: int = 0
    items: int = 0
    failed_tenants: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        if not self.ran:
            return f"{self.job}: skipped, another run holds the lock"
        failed = f", {len(self.failed_tenants)} tenant(s) failed" if self.failed_tenants else ""
        return f"{self.job}: {self.items} item(s) across {self.tenants} tenant(s){failed}"


TenantWork = Callable[[UnitOfWork, JobContext], Awaitable[int]]
GlobalWork = Callable[[JobContext], Awaitable[int]]


@dataclass(frozen=True)
class Job:
    """A named background job and how often the scheduler runs it.

    `work` runs once per tenant inside that tenant's transaction; `global_work` (for tables
    without tenants, such as refresh tokens) runs once on the system path.
    """

    name: str
    interval_seconds: Callable[[Settings], float]
    description: str
    work: TenantWork | None = None
    global_work: GlobalWork | None = None


async def _tenant_ids(database: Database, after: uuid.UUID | None) -> list[uuid.UUID]:
    # Cross-tenant by design: only the list of tenant ids, read on the documented system path.
    async with database.system_transaction() as session:
        rows = await session.execute(
            text(
                "SELECT id FROM tenants WHERE CAST(:after AS uuid) IS NULL OR id > :after "
                "ORDER BY id LIMIT :n"
            ),
            {"after": after, "n": TENANT_BATCH},
        )
        return list(rows.scalars().all())


async def _each_tenant(job: Job, work: TenantWork, ctx: JobContext, report: JobReport) -> None:
    after: uuid.UUID | None = None
    while batch := await _tenant_ids(ctx.database, after):
        for tenant_id in batch:
            report.tenants += 1
            try:
                async with ctx.database.transaction(tenant_id) as session:
                    uow = UnitOfWork(session=session, tenant_id=tenant_id, events=ctx.events)
                    report.items += await work(uow, ctx)
            except Exception:  # one tenant's failure must not stop the others
                _log.exception(
                    "job failed for a tenant", extra={"job": job.name, "tenant_id": str(tenant_id)}
                )
                report.failed_tenants.append(str(tenant_id))
        after = batch[-1]


async def run_job(job: Job, ctx: JobContext) -> JobReport:
    """Run `job` once over every tenant, unless another runner holds its lock right now."""
    report = JobReport(job.name)
    async with ctx.database.engine.connect() as lock_conn:
        got = (
            await lock_conn.execute(
                text("SELECT pg_try_advisory_lock(hashtextextended(:k, 0))"),
                {"k": f"alfred-job:{job.name}"},
            )
        ).scalar()
        await lock_conn.commit()
        if not got:
            report.ran = False
            return report
        try:
            if job.global_work is not None:
                report.items += await job.global_work(ctx)
            if job.work is not None:
                await _each_tenant(job, job.work, ctx, report)
        finally:
            await lock_conn.execute(
                text("SELECT pg_advisory_unlock(hashtextextended(:k, 0))"),
                {"k": f"alfred-job:{job.name}"},
            )
            await lock_conn.commit()
    _log.info(
        "job finished",
        extra={
            "job": job.name,
            "tenants": report.tenants,
            "items": report.items,
            "failed": len(report.failed_tenants),
        },
    )
    return report


async def _overdue_tasks(uow: UnitOfWork, ctx: JobContext) -> int:
    return await AlertService(uow).overdue_tasks()


async def _stalled_leads(uow: UnitOfWork, ctx: JobContext) -> int:
    after = timedelta(days=ctx.settings.lead_stalled_after_days)
    return await AlertService(uow).stalled_leads(after=after)


async def _housekeeping(ctx: JobContext) -> int:
    # Cross-tenant maintenance on the system path: expired refresh-token families, finished
    # login counters, old callback receipts and rate-limit windows, expired previous secrets.
    identity = await bootstrap.authenticator(ctx.settings, ctx.database).purge_expired()
    async with ctx.database.system_transaction() as session:
        hub = await prune(session, hub_config(ctx.settings))
    return identity + hub.receipts + hub.rate_limits + hub.previous_secrets


async def _rotate_secrets(ctx: JobContext) -> int:
    # After deploying AUTOMATION_SECRET_ENCRYPTION_KEY=new,old: re-encrypt every destination
    # secret under the first key (cross-tenant, on the system path).
    async with ctx.database.system_transaction() as session:
        result = await rotate_encryption(session, hub_config(ctx.settings).secret_box)
    if result.failed:
        _log.error("secrets that did not decrypt", extra={"destinations": result.failed})
    return result.rotated


JOBS: dict[str, Job] = {
    job.name: job
    for job in (
        Job(
            "overdue-tasks",
            lambda s: s.job_overdue_tasks_interval_seconds,
            "notify assignees (or owners) once when an open task passes its due time",
            work=_overdue_tasks,
        ),
        Job(
            "stalled-leads",
            lambda s: s.job_stalled_leads_interval_seconds,
            "notify once when an open lead has no activity for LEAD_STALLED_AFTER_DAYS",
            work=_stalled_leads,
        ),
        Job(
            "housekeeping",
            lambda s: s.job_housekeeping_interval_seconds,
            "delete expired refresh tokens, login throttles, callback receipts, rate windows",
            global_work=_housekeeping,
        ),
        Job(
            "rotate-secrets",
            # Run by hand after a key change (`make job NAME=rotate-secrets`); daily otherwise.
            lambda s: 86400,
            "re-encrypt destination secrets under the first AUTOMATION_SECRET_ENCRYPTION_KEY",
            global_work=_rotate_secrets,
        ),
    )
}
"""Jobs by name."""


class UnknownJobError(LookupError):
    """No job has that name; the message lists the jobs there are."""

    def __init__(self, name: str) -> None:
        super().__init__(f"unknown job {name!r}; jobs: {', '.join(sorted(JOBS))}")


def get_job(name: str) -> Job:
    """Return the job called `name`.

    Raises:
        UnknownJobError: No job has that name.
    """
    try:
        return JOBS[name]
    except KeyError:
        raise UnknownJobError(name) from None
