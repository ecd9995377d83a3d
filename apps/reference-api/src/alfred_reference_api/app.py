"""The app factory."""

from __future__ import annotations

import gc
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from importlib.metadata import version

from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse
from starlette.staticfiles import StaticFiles
from swagger_ui_bundle import swagger_ui_path

from alfred_automation.callbacks import CallbackProcessor
from alfred_crm_core import Database
from alfred_reference_api import bootstrap
from alfred_reference_api.api import v1
from alfred_reference_api.api.v1 import automations
from alfred_reference_api.api.v1.automations import Automation
from alfred_reference_api.automation import CrmActionRunner, hub_config
from alfred_reference_api.deps import Runtime
from alfred_reference_api.errors import install_error_handlers
from alfred_reference_api.jobs import JobContext
from alfred_reference_api.middleware import BodyLimitMiddleware, RequestIdMiddleware
from alfred_reference_api.settings import Settings
from alfred_reference_api.worker import Worker

__all__ = ["API_PREFIX", "IN_PROCESS_WORKER_ENV", "app_factory", "create_app"]

API_PREFIX = "/api/v1"
IN_PROCESS_WORKER_ENV = "ALFRED_IN_PROCESS_WORKER"
"""Set to 1 by `alfred-api serve --with-worker` for the uvicorn process it starts."""


def create_app(
    settings: Settings, *, database: Database | None = None, with_worker: bool = False
) -> FastAPI:
    """Build the ASGI app.

    Args:
        settings: Resolved settings (`bootstrap.prepare` fills in the URL and secrets).
        database: An existing `Database` to use (tests); otherwise one is made from the settings
            and disposed of at shutdown. Nothing connects until the first request.
        with_worker: Also run the background worker inside this process (`make run`).

    Returns:
        The FastAPI app serving `/api/v1`.
    """
    if settings.database_url is None and database is None:
        raise ValueError("settings.database_url is unset: call bootstrap.prepare(settings) first")
    owns_database = database is None
    db = database or Database.from_url(settings.database_url or "", pool_size=settings.db_pool_size)
    # One outbox: services emit into it, and the automation routes publish custom events to it.
    outbox = bootstrap.event_sink(settings)
    runtime = Runtime(
        settings=settings,
        database=db,
        migration_locations=tuple(bootstrap.MIGRATION_LOCATIONS),
        auth=bootstrap.authenticator(settings, db),
        triager=bootstrap.triager(settings),
        events=outbox,
        consent=bootstrap.consent_check(settings),
        consent_versions=bootstrap.consent_versions(settings),
        income_provider=bootstrap.income_provider(settings),
    )

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        worker = (
            Worker(JobContext(db, settings, runtime.events), bootstrap.dispatcher(settings, db))
            if with_worker
            else None
        )
        if worker is not None:
            await worker.start()
        try:
            yield
        finally:
            if worker is not None:
                await worker.stop()
            if owns_database:
                await db.dispose()

    app = FastAPI(
        title="Alfred CRM API",
        version=version("alfred-reference-api"),
        description=(
            "API-first AI CRM backend: contacts, conversations across e-mail, WhatsApp, SMS and "
            "web chat, tasks, leads, AI triage and an automation hub. Errors are RFC 9457 "
            "`application/problem+json` documents with a stable `code`."
        ),
        openapi_url=f"{API_PREFIX}/openapi.json",
        docs_url=None,  # served below, with Swagger UI's files from this process, not a CDN
        redoc_url=None,
        lifespan=lifespan,
    )
    app.state.runtime = runtime
    install_error_handlers(app)
    _serve_swagger_ui(app)
    app.include_router(v1.router, prefix=API_PREFIX)
    hub = hub_config(settings)
    app.state.automation = Automation(
        config=hub,
        sink=outbox,
        callbacks=CallbackProcessor(db, hub, CrmActionRunner()),
    )
    if hub.enabled:  # off: the routes answer 404, events are still recorded
        app.include_router(automations.router, prefix=API_PREFIX)
        # The alias external integrations (Activepieces, n8n) are configured with.
        app.include_router(automations.router, prefix="/v1", include_in_schema=False)
    app.add_middleware(BodyLimitMiddleware, max_bytes=settings.max_body_bytes)
    app.add_middleware(RequestIdMiddleware)  # added last = outermost: sees every response
    return app


def _serve_swagger_ui(app: FastAPI) -> None:
    """Swagger UI at `/api/v1/docs`, its JS and CSS from the `swagger-ui-bundle` package.

    FastAPI's default page loads them from a CDN, so the docs would render only with internet
    access; these machines (and many private deployments) have none.
    """
    assets = f"{API_PREFIX}/docs/assets"
    app.mount(assets, StaticFiles(directory=swagger_ui_path), name="swagger-ui-assets")

    async def swagger_ui() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=f"{API_PREFIX}/openapi.json",
            title=f"{app.title} - Swagger UI",
            swagger_js_url=f"{assets}/swagger-ui-bundle.js",
            swagger_css_url=f"{assets}/swagger-ui.css",
            swagger_favicon_url=f"{assets}/favicon-32x32.png",
        )

    app.add_api_route(f"{API_PREFIX}/docs", swagger_ui, include_in_schema=False)


def app_factory() -> FastAPI:
    """Build the app from the environment (uvicorn's `--factory` entry point).

    What exists once the app is built (modules, routes, the lexicon, the word model, ...) lives
    as long as the process, so it is frozen out of the garbage collector's sight: a full
    collection then no longer walks it, which removed a pause of about 100 ms every second or
    so under load (the p99 of `GET /conversations`, docs/performance.md).
    """
    with_worker = os.environ.get(IN_PROCESS_WORKER_ENV) == "1"
    app = create_app(bootstrap.prepare(Settings()), with_worker=with_worker)
    gc.collect()
    gc.freeze()
    return app
