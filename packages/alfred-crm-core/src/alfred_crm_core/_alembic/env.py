"""Alembic environment shared by every Alfred migration branch.

Two ways in:
- programmatic (`alfred_crm_core.migrate.upgrade`, `alfred-api migrate`): the caller passes an open
  connection in `config.attributes["connection"]`;
- the `alembic` command with the reference app's `alembic.ini`: the URL comes from `DATABASE_URL`.
"""

from __future__ import annotations

import asyncio
import os

from alembic import context
from sqlalchemy import Connection

from alfred_crm_core.db import create_engine

config = context.config


def _run(connection: Connection) -> None:
    context.configure(connection=connection, target_metadata=None, transaction_per_migration=False)
    with context.begin_transaction():
        context.run_migrations()


async def _run_from_env() -> None:
    url = os.environ.get("DATABASE_URL")
    if not url:
        raise SystemExit(
            "DATABASE_URL is not set: set it, or run `alfred-api migrate`, which also starts the "
            "embedded PostgreSQL"
        )
    engine = create_engine(url, pool_size=1)
    try:
        async with engine.begin() as conn:
            await conn.run_sync(_run)
    finally:
        await engine.dispose()


if context.is_offline_mode():
    raise SystemExit("offline (--sql) migrations are not supported; run against a database")

_connection = config.attributes.get("connection")
if _connection is not None:
    _run(_connection)
else:
    asyncio.run(_run_from_env())
