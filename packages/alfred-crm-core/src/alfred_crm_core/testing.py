"""Test support shipped with the package: a pytest plugin that gives tests a real PostgreSQL.

Enable it with `-p alfred_crm_core.testing`. The server is, in order of preference:
`ALFRED_TEST_DATABASE_URL`, `DATABASE_URL`, or an embedded `pgserver` instance kept in the system
temp folder (shared by concurrent test runs, started in about a second). Every test session gets a
fresh database of its own, dropped at the end; every test starts with empty tables.

Packages that add migration branches override the `migration_locations` fixture.
"""

from __future__ import annotations

import asyncio
import os
import tempfile
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from alfred_crm_core import migrate
from alfred_crm_core.db import Database, EmbeddedPostgres, create_engine, normalize_url
from alfred_crm_core.events import DomainEvent

__all__ = ["RecordingEventSink", "database_url_for", "server_url"]


class RecordingEventSink:
    """An `EventSink` that keeps every event it is given, in order (for assertions)."""

    def __init__(self) -> None:
        self.events: list[DomainEvent] = []

    async def emit(self, session: AsyncSession, event: DomainEvent) -> None:
        """Keep `event`."""
        self.events.append(event)

    def names(self) -> list[str]:
        """The wire names of the events kept so far."""
        return [e.name for e in self.events]


def server_url() -> str:
    """Return the URL of the PostgreSQL server tests should use (starting one if needed)."""
    url = os.environ.get("ALFRED_TEST_DATABASE_URL") or os.environ.get("DATABASE_URL")
    if url:
        return normalize_url(url)
    base = Path(tempfile.gettempdir()) / f"alfred-test-pg-{os.getuid()}"
    return EmbeddedPostgres(base, database="postgres").start()


def database_url_for(url: str, database: str) -> str:
    """Return `url` pointing at another database on the same server."""
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, "/" + database, parts.query, parts.fragment))


async def _admin(url: str, sql: str) -> None:
    conn = await asyncpg.connect(url)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


@pytest.fixture(scope="session")
def anyio_backend() -> str:
    """Run async tests on asyncio (the backend the app runs on)."""
    return "asyncio"


@pytest.fixture(scope="session")
def postgres_server() -> str:
    """URL of the server hosting the test databases."""
    return server_url()


@pytest.fixture(scope="session")
def migration_locations() -> list[str]:
    """The migration branches to apply to the test database; override to add branches."""
    return [migrate.VERSIONS]


@pytest.fixture(scope="session")
def database_url(postgres_server: str, migration_locations: list[str]) -> Iterator[str]:
    """A fresh database for this test session, migrated to every listed branch's head."""
    name = f"alfred_test_{uuid.uuid4().hex[:12]}"
    asyncio.run(_admin(postgres_server, f'CREATE DATABASE "{name}"'))
    url = database_url_for(postgres_server, name)

    async def prepare() -> None:
        engine = create_engine(url, pool_size=1)
        try:
            await migrate.upgrade(engine, migration_locations)
        finally:
            await engine.dispose()

    asyncio.run(prepare())
    try:
        yield url
    finally:
        asyncio.run(_admin(postgres_server, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


async def truncate_all(url: str) -> None:
    """Empty every table but Alembic's and restart the sequences, as the connecting role.

    A test leaves a few rows: DELETE empties them in milliseconds, where TRUNCATE of the
    twenty-odd tables takes over 0.1 s (a quarter of a suite's time). DELETE needs a superuser
    (FORCE ROW LEVEL SECURITY hides the rows from a mere owner; `replica` skips the foreign-key
    triggers, so the order does not matter); any other role gets TRUNCATE ... CASCADE.
    """
    conn = await asyncpg.connect(url)
    try:
        tables = [
            r["t"]
            for r in await conn.fetch(
                "SELECT quote_ident(tablename) AS t FROM pg_tables "
                "WHERE schemaname = 'public' AND tablename <> 'alembic_version'"
            )
        ]
        if not tables:
            return
        if not await conn.fetchval("SELECT rolsuper FROM pg_roles WHERE rolname = current_user"):
            await conn.execute(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE")
            return
        # Table names come from pg_tables through quote_ident: no input reaches this SQL.
        deletes = "".join(f"DELETE FROM {t};" for t in tables)  # noqa: S608
        async with conn.transaction():
            await conn.execute("SET LOCAL session_replication_role = replica")
            await conn.execute(deletes)
            await conn.execute(
                "SELECT setval(format('%I.%I', schemaname, sequencename), start_value, false)"
                " FROM pg_sequences WHERE schemaname = 'public'"
            )
    finally:
        await conn.close()


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[Database]:
    """A `Database` on the session's test database; every table is emptied after the test."""
    database = Database.from_url(database_url, pool_size=5)
    try:
        yield database
    finally:
        await database.dispose()
        await truncate_all(database_url)
