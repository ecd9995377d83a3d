import asyncio
import uuid

import asyncpg
import pytest
from sqlalchemy import text

from alfred_crm_core import Database, create_engine, migrate
from alfred_crm_core.testing import database_url_for

pytestmark = pytest.mark.anyio


async def test_session_database_is_at_every_head(db: Database) -> None:
    assert await migrate.current_revisions(db.engine) == migrate.head_revisions([migrate.VERSIONS])


async def test_app_role_exists_and_cannot_bypass_row_level_security(db: Database) -> None:
    async with db.system_transaction() as session:
        row = (
            await session.execute(
                text(
                    "SELECT rolsuper, rolbypassrls, rolcanlogin FROM pg_roles"
                    " WHERE rolname = 'alfred_app'"
                )
            )
        ).one()
    assert tuple(row) == (False, False, False)


async def test_concurrent_upgrades_from_empty_apply_each_revision_once(
    postgres_server: str,
) -> None:
    name = f"alfred_mig_{uuid.uuid4().hex[:10]}"
    admin = await asyncpg.connect(postgres_server)
    await admin.execute(f'CREATE DATABASE "{name}"')
    url = database_url_for(postgres_server, name)
    engines = [create_engine(url, pool_size=1) for _ in range(3)]
    try:
        await asyncio.gather(*(migrate.upgrade(e, [migrate.VERSIONS]) for e in engines))
        assert await migrate.current_revisions(engines[0]) == migrate.head_revisions(
            [migrate.VERSIONS]
        )
        await migrate.upgrade(engines[0], [migrate.VERSIONS])  # at head: a no-op
    finally:
        for e in engines:
            await e.dispose()
        await admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
        await admin.close()
