"""The `alfred-api` command: serve, worker, migrate, seed, jobs run NAME."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import signal
import sys
from collections.abc import Sequence

from pydantic import ValidationError as SettingsError

from alfred_crm_core import CRMError, Database, migrate
from alfred_reference_api import bootstrap
from alfred_reference_api.app import IN_PROCESS_WORKER_ENV
from alfred_reference_api.jobs import JobContext, UnknownJobError, get_job, run_job
from alfred_reference_api.logs import configure_logging
from alfred_reference_api.seed import seed_demo
from alfred_reference_api.settings import Settings
from alfred_reference_api.worker import Worker

__all__ = ["main"]

_log = logging.getLogger("alfred.cli")


def _settings() -> Settings:
    try:
        settings = Settings()
    except SettingsError as exc:
        messages = "; ".join(str(e["msg"]).removeprefix("Value error, ") for e in exc.errors())
        raise SystemExit(f"alfred-api: invalid configuration: {messages}") from None
    configure_logging(settings.log_level)
    return bootstrap.prepare(settings)


async def _migrate(settings: Settings) -> set[str]:
    database = Database.from_url(settings.database_url or "", pool_size=1)
    try:
        await bootstrap.apply_migrations(database)
        return await migrate.current_revisions(database.engine)
    finally:
        await database.dispose()


def cmd_serve(args: argparse.Namespace) -> int:
    """Apply migrations (unless told not to) and serve the API with uvicorn."""
    import uvicorn

    settings = _settings()
    if args.migrate:
        asyncio.run(_migrate(settings))
    if args.with_worker:
        if args.workers != 1:
            raise SystemExit("alfred-api: --with-worker needs --workers 1 (run `worker` apart)")
        os.environ[IN_PROCESS_WORKER_ENV] = "1"
    host = args.host or settings.host
    port = args.port or settings.port
    _log.info("serving", extra={"host": host, "port": port, "workers": args.workers})
    uvicorn.run(
        "alfred_reference_api.app:app_factory",
        factory=True,
        host=host,
        port=port,
        workers=args.workers,
        log_config=None,
        access_log=False,
        proxy_headers=False,
    )
    return 0


def cmd_worker(_: argparse.Namespace) -> int:
    """Run the background worker until SIGINT/SIGTERM."""
    settings = _settings()

    async def run() -> None:
        await _migrate(settings)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        database = Database.from_url(settings.database_url or "", pool_size=settings.db_pool_size)
        worker = Worker(
            JobContext(database, settings, bootstrap.event_sink(settings)),
            bootstrap.dispatcher(settings, database),
        )
        await worker.start()
        try:
            await stop.wait()
        finally:
            await worker.stop()
            await database.dispose()

    asyncio.run(run())
    return 0


def cmd_migrate(_: argparse.Namespace) -> int:
    """Apply every migration branch up to its head."""
    settings = _settings()
    revisions = asyncio.run(_migrate(settings))
    print(f"database at {', '.join(sorted(revisions))}")
    return 0


def cmd_seed(_: argparse.Namespace) -> int:
    """Load the demo data (idempotent)."""
    settings = _settings()

    async def run() -> list[str]:
        await _migrate(settings)
        database = Database.from_url(settings.database_url or "", pool_size=1)
        try:
            return await seed_demo(database, settings)
        finally:
            await database.dispose()

    for line in asyncio.run(run()):
        print(line)
    return 0


def cmd_jobs_run(args: argparse.Namespace) -> int:
    """Run one background job once, now (after applying any pending migrations)."""
    try:
        job = get_job(args.name)
    except UnknownJobError as exc:
        print(f"alfred-api: {exc.args[0]}", file=sys.stderr)
        return 2
    settings = _settings()

    async def run() -> str:
        await _migrate(settings)
        database = Database.from_url(settings.database_url or "", pool_size=2)
        try:
            ctx = JobContext(database, settings, bootstrap.event_sink(settings))
            return str(await run_job(job, ctx))
        finally:
            await database.dispose()

    print(asyncio.run(run()))
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The argument parser (exposed for tests and docs)."""
    parser = argparse.ArgumentParser(prog="alfred-api", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="serve the HTTP API")
    serve.add_argument("--host", help="bind address (default: HOST or 127.0.0.1)")
    serve.add_argument("--port", type=int, help="port (default: PORT or 8000)")
    serve.add_argument("--workers", type=int, default=1, help="uvicorn worker processes")
    serve.add_argument(
        "--no-migrate", dest="migrate", action="store_false", help="do not apply migrations first"
    )
    serve.add_argument(
        "--with-worker",
        action="store_true",
        help="also run the background worker in this process (one uvicorn worker only)",
    )
    serve.set_defaults(func=cmd_serve)

    sub.add_parser("worker", help="run the delivery worker and scheduler").set_defaults(
        func=cmd_worker
    )
    sub.add_parser("migrate", help="apply database migrations").set_defaults(func=cmd_migrate)
    sub.add_parser("seed", help="load demo data (idempotent)").set_defaults(func=cmd_seed)

    jobs = sub.add_parser("jobs", help="background jobs")
    jobs_sub = jobs.add_subparsers(dest="jobs_command", required=True)
    run = jobs_sub.add_parser("run", help="run one job once, now")
    run.add_argument("name", help="job name")
    run.set_defaults(func=cmd_jobs_run)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `alfred-api` console script."""
    args = build_parser().parse_args(argv)
    try:
        code: int = args.func(args)
    except CRMError as exc:
        print(f"alfred-api: {exc}", file=sys.stderr)
        return 1
    return code


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    sys.exit(main())
