"""Liveness and readiness probes."""

from __future__ import annotations

from importlib.metadata import version
from typing import Literal

from fastapi import APIRouter
from pydantic import BaseModel

from alfred_crm_core import DatabaseError, migrate
from alfred_reference_api.deps import RuntimeDep
from alfred_reference_api.errors import Problem, ProblemError

router = APIRouter(tags=["health"])
_VERSION = version("alfred-reference-api")  # read once: metadata lookups cost ~1 ms each


class Health(BaseModel):
    """The service answers."""

    status: Literal["ok"] = "ok"
    version: str


class Readiness(BaseModel):
    """The service can serve traffic: database reachable and migrated to head."""

    status: Literal["ready"] = "ready"
    database: Literal["ok"] = "ok"
    migrations: list[str]


@router.get("/health", response_model=Health, summary="Liveness")
async def health() -> Health:
    """Answer 200 while the process serves requests; touches nothing else."""
    return Health(version=_VERSION)


@router.get(
    "/health/ready",
    response_model=Readiness,
    summary="Readiness",
    responses={503: {"model": Problem, "description": "Database down or not migrated to head."}},
)
async def ready(runtime: RuntimeDep) -> Readiness:
    """Answer 200 when the database answers and is at the head of every migration branch."""
    try:
        await runtime.database.ping()
        current = await migrate.current_revisions(runtime.database.engine)
    except DatabaseError as exc:
        raise ProblemError(503, "database_unavailable", "the database is unreachable") from exc
    pending = migrate.pending_heads(current, runtime.migration_locations)
    if pending:
        raise ProblemError(
            503,
            "migrations_pending",
            f"database at {sorted(current) or 'no revision'}, heads {sorted(pending)} not "
            "applied; run `alfred-api migrate`",
        )
    return Readiness(migrations=sorted(current))
