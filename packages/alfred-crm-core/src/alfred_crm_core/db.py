"""Connecting to PostgreSQL: URLs, engines, the embedded server and tenant-scoped transactions.

Row-level security is the second layer of tenant isolation (the first is the service layer's
explicit `tenant_id` filters). Every tenant table has a policy that compares `tenant_id` with the
transaction-local setting `app.tenant_id`; when it is unset the policy matches nothing. When the
connecting role could bypass the policies (a superuser or a BYPASSRLS role, as with the embedded
server), every tenant transaction also switches to `APP_ROLE`, which cannot.
"""

from __future__ import annotations

import logging
import re
import warnings
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit
from uuid import UUID

import asyncpg
from sqlalchemy import text
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from alfred_crm_core.errors import ConfigurationError, DatabaseError

__all__ = [
    "APP_ROLE",
    "Database",
    "EmbeddedPostgres",
    "create_engine",
    "driver_connection",
    "normalize_url",
]

_log = logging.getLogger(__name__)

APP_ROLE = "alfred_app"
"""The role tenant transactions run as: neither superuser nor BYPASSRLS (created by migrations)."""

_SCHEMES = ("postgresql", "postgres")


def normalize_url(url: str) -> str:
    """Return a libpq-style `postgresql://` URL for any PostgreSQL URL we accept.

    Accepts `postgresql://`, `postgres://` and SQLAlchemy's `postgresql+<driver>://` forms, with a
    host or with a unix-socket directory (`postgresql://user@/db?host=/run/postgresql`).

    Args:
        url: The URL as configured (e.g. `DATABASE_URL`).

    Returns:
        The same URL with the plain `postgresql` scheme, which asyncpg parses natively.

    Raises:
        ConfigurationError: The URL is not a PostgreSQL URL.
    """
    parts = urlsplit(url.strip())
    scheme = parts.scheme.split("+", 1)[0].lower()
    if scheme not in _SCHEMES:
        raise ConfigurationError(
            "DATABASE_URL must be a PostgreSQL URL such as postgresql://user:pass@host:5432/db "
            f"or postgresql://user@/db?host=/socket/dir (got scheme {parts.scheme!r})"
        )
    return urlunsplit(("postgresql", *parts[1:]))


def redact_url(url: str) -> str:
    """Return `url` with any password replaced by `***`, for logs."""
    return re.sub(r"(//[^:/@]*:)[^@]*@", r"\1***@", url)


def create_engine(url: str, *, pool_size: int = 10, echo: bool = False) -> AsyncEngine:
    """Create an async SQLAlchemy engine over asyncpg for a libpq-style URL.

    asyncpg parses the URL itself (so every libpq form works, including unix sockets and
    `sslmode`); SQLAlchemy only pools the connections.

    Args:
        url: Any URL `normalize_url` accepts.
        pool_size: Connections kept open per process.
        echo: Log every statement (debugging only).

    Returns:
        The engine; nothing connects until first use.
    """
    dsn = normalize_url(url)

    async def connect() -> asyncpg.Connection:
        return await asyncpg.connect(dsn)

    return create_async_engine(
        "postgresql+asyncpg://",
        async_creator=connect,
        pool_size=pool_size,
        max_overflow=pool_size,
        pool_pre_ping=False,
        echo=echo,
    )


async def driver_connection(session: AsyncSession) -> asyncpg.Connection:
    """The asyncpg connection under `session`, inside the session's transaction.

    For hot paths that send hand-written SQL (docs/performance.md): such statements belong to
    the session's transaction and tenant scope and skip SQLAlchemy's compilation. SQLAlchemy
    sends BEGIN lazily, with its first statement; when the session has sent none yet, a no-op
    statement is sent through it first, so that nothing runs outside the transaction.
    """
    connection = await session.connection()
    raw = await connection.get_raw_connection()
    driver = raw.driver_connection
    assert isinstance(driver, asyncpg.Connection)  # create_engine's dialect is asyncpg
    if not driver.is_in_transaction():
        await session.execute(text("SELECT 1"))
    return driver


@dataclass
class Database:
    """An engine plus the rules for opening transactions on it.

    The caller of `transaction` owns the unit of work: services only `flush()`; the context manager
    commits when the block ends normally and rolls back when it raises.
    """

    engine: AsyncEngine
    _sessions: async_sessionmaker[AsyncSession] = field(init=False, repr=False)
    _switch_role: bool | None = field(default=None, init=False, repr=False)

    def __post_init__(self) -> None:
        self._sessions = async_sessionmaker(self.engine, expire_on_commit=False, autoflush=False)

    @classmethod
    def from_url(cls, url: str, *, pool_size: int = 10) -> Database:
        """Create a `Database` for `url` (see `create_engine`)."""
        return cls(create_engine(url, pool_size=pool_size))

    async def _needs_role_switch(self, session: AsyncSession) -> bool:
        if self._switch_role is None:
            row = await session.execute(
                text("SELECT rolsuper OR rolbypassrls FROM pg_roles WHERE rolname = current_user")
            )
            self._switch_role = bool(row.scalar())
        return self._switch_role

    @asynccontextmanager
    async def transaction(self, tenant_id: UUID | None) -> AsyncIterator[AsyncSession]:
        """Open one transaction that row-level security confines to `tenant_id`.

        With `tenant_id=None` the transaction sees no tenant rows at all (used for lookups that
        precede knowing the tenant, such as finding a user by e-mail).

        Yields:
            A session inside the open transaction; committed on normal exit.
        """
        async with self._sessions() as session, session.begin():
            role = APP_ROLE if await self._needs_role_switch(session) else None
            await session.execute(
                text(
                    "SELECT set_config('app.tenant_id', :tenant, true),"
                    " CASE WHEN CAST(:role AS text) IS NULL THEN NULL"
                    " ELSE set_config('role', :role, true) END"
                ),
                {"tenant": str(tenant_id) if tenant_id else "", "role": role},
            )
            yield session

    @asynccontextmanager
    async def system_transaction(self) -> AsyncIterator[AsyncSession]:
        """Open a transaction that crosses tenants: the documented path for workers and jobs.

        It runs as the connecting role, which must be the schema owner with BYPASSRLS (or a
        superuser) for cross-tenant reads; the API's request path never uses it.

        Yields:
            A session inside the open transaction; committed on normal exit.
        """
        async with self._sessions() as session, session.begin():
            yield session

    async def ping(self) -> None:
        """Run `SELECT 1`.

        Raises:
            DatabaseError: The database did not answer.
        """
        try:
            async with self.engine.connect() as conn:
                await conn.execute(text("SELECT 1"))
        except (OSError, asyncpg.PostgresError) as exc:
            raise DatabaseError(f"database unreachable: {exc}") from exc

    async def dispose(self) -> None:
        """Close every pooled connection."""
        await self.engine.dispose()


class EmbeddedPostgres:
    """A PostgreSQL server run from the `pgserver` wheel, kept under `data_dir`.

    The first start runs `initdb` (about a second); later starts reuse the same data. The server
    listens only on a unix socket inside the data directory.
    """

    def __init__(self, data_dir: Path, database: str = "alfred") -> None:
        if not re.fullmatch(r"[a-z_][a-z0-9_]{0,62}", database):
            raise ConfigurationError(f"invalid embedded database name {database!r}")
        self.data_dir = data_dir
        self.database = database
        self._server: object | None = None

    def start(self) -> str:
        """Start (or attach to) the server and make sure `database` exists.

        Returns:
            A libpq-style socket URL for `database`.

        Raises:
            ConfigurationError: The `embedded` extra (pgserver) is not installed.
            DatabaseError: The server did not start.
        """
        with warnings.catch_warnings():
            # platformdirs warns at import time when XDG_RUNTIME_DIR is unset; harmless here.
            warnings.simplefilter("ignore")
            try:
                import pgserver
            except ImportError as exc:
                raise ConfigurationError(
                    "the embedded PostgreSQL needs the 'embedded' extra: "
                    "pip install 'alfred-crm-core[embedded]', or set DATABASE_URL"
                ) from exc
        pgdata = self.data_dir.resolve() / "pgdata"
        pgdata.parent.mkdir(parents=True, exist_ok=True)
        try:
            server = pgserver.get_server(pgdata, cleanup_mode="stop")
            # The name matched a strict identifier pattern in __init__: safe to interpolate.
            exists = server.psql(f"SELECT 1 FROM pg_database WHERE datname = '{self.database}';")  # noqa: S608
            if "(1 row)" not in exists:
                server.psql(f'CREATE DATABASE "{self.database}";')
        except Exception as exc:  # pgserver raises bare exceptions of several kinds
            raise DatabaseError(
                f"the embedded PostgreSQL under {pgdata} did not start: {exc}"
            ) from exc
        self._server = server
        url: str = server.get_uri(self.database)
        _log.info("embedded PostgreSQL ready", extra={"pgdata": str(pgdata)})
        return url
