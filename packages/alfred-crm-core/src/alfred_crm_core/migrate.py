"""The Alembic runner shared by every package's migration branch.

Each package keeps its revisions in its own `migrations/versions` folder (shipped in the wheel)
under a branch label (`crm_core`, `automation`, ...). This module owns the one `env.py` they all run
through, so a caller only lists the folders it composes:

    await upgrade(engine, [alfred_crm_core.migrate.VERSIONS, alfred_automation.migrate.VERSIONS])
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

__all__ = [
    "SCRIPT_LOCATION",
    "VERSIONS",
    "alembic_config",
    "current_revisions",
    "head_revisions",
    "pending_heads",
    "upgrade",
]

SCRIPT_LOCATION = str(Path(__file__).parent / "_alembic")
"""The folder holding the shared `env.py` and revision template."""

VERSIONS = str(Path(__file__).parent / "migrations" / "versions")
"""This package's migration branch (label `crm_core`)."""


def alembic_config(version_locations: Sequence[str]) -> Config:
    """Build an Alembic `Config` over the given version folders.

    Args:
        version_locations: Every migration branch to compose (core's must be among them).

    Returns:
        A config usable with `alembic.command`; pass a connection in `attributes["connection"]`.
    """
    cfg = Config()
    cfg.set_main_option("script_location", SCRIPT_LOCATION)
    cfg.set_main_option("path_separator", "os")
    cfg.set_main_option("version_locations", ":".join(version_locations))
    return cfg


def head_revisions(version_locations: Sequence[str]) -> set[str]:
    """Return the head revision ids of the composed branches."""
    return set(ScriptDirectory.from_config(alembic_config(version_locations)).get_heads())


def pending_heads(current: set[str], version_locations: Sequence[str]) -> set[str]:
    """Return the heads the database has not reached, given its `current` revisions.

    A head counts as reached when it is current or an ancestor (through `down_revision` or
    `depends_on`) of a current revision: Alembic records only the tips it stands on.
    """
    script = ScriptDirectory.from_config(alembic_config(version_locations))
    applied = (
        {
            rev.revision
            for rev in script.revision_map.iterate_revisions(
                tuple(current), "base", implicit_base=True, inclusive=True
            )
        }
        if current
        else set()
    )
    return set(script.get_heads()) - applied


def _current(connection: Connection) -> set[str]:
    return set(MigrationContext.configure(connection).get_current_heads())


async def current_revisions(engine: AsyncEngine) -> set[str]:
    """Return the revisions the database is at (empty when never migrated)."""
    async with engine.connect() as conn:
        return await conn.run_sync(_current)


async def upgrade(
    engine: AsyncEngine, version_locations: Sequence[str], revision: str = "heads"
) -> None:
    """Apply migrations up to `revision` (default: every branch's head) in one transaction.

    Concurrent callers (several replicas starting at once) are serialised by an advisory lock, so
    each revision runs exactly once.

    Args:
        engine: Engine connected as the schema owner.
        version_locations: The branches to apply.
        revision: Target revision, as `alembic upgrade` takes it.
    """
    cfg = alembic_config(version_locations)

    def run(connection: Connection) -> None:
        cfg.attributes["connection"] = connection
        command.upgrade(cfg, revision)

    async with engine.begin() as conn:
        # Same key for every Alfred process: "alfred migrate" as a 63-bit number.
        await conn.exec_driver_sql("SELECT pg_advisory_xact_lock(7226584211300218981)")
        await conn.run_sync(run)
