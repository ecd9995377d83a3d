import socket
import subprocess
import sys
import uuid
from pathlib import Path

import asyncpg
import pytest
from sqlalchemy import text

from alfred_crm_core import APP_ROLE, Database, EmbeddedPostgres
from alfred_crm_core.db import driver_connection
from alfred_crm_core.testing import database_url_for

pytestmark = pytest.mark.anyio


async def test_tenant_transaction_runs_as_the_app_role_with_the_tenant_set(db: Database) -> None:
    tenant = uuid.uuid4()
    async with db.transaction(tenant) as session:
        row = (
            await session.execute(text("SELECT current_user, current_setting('app.tenant_id')"))
        ).one()
    assert row == (APP_ROLE, str(tenant))


async def test_no_setting_survives_the_transaction_on_a_reused_connection(
    database_url: str,
) -> None:
    database = Database.from_url(database_url, pool_size=1)
    try:
        first, second = uuid.uuid4(), uuid.uuid4()
        async with database.transaction(first):
            pass
        async with database.transaction(second) as session:
            seen = (await session.execute(text("SELECT current_setting('app.tenant_id')"))).scalar()
        async with database.system_transaction() as session:
            leftover = (
                await session.execute(
                    text("SELECT current_user, current_setting('app.tenant_id', true)")
                )
            ).one()
        assert seen == str(second)
        assert leftover[0] != APP_ROLE
        assert leftover[1] in (None, "")
    finally:
        await database.dispose()


async def test_row_level_security_fails_closed_without_a_tenant(
    db: Database, database_url: str
) -> None:
    # A throwaway tenant table with the same policy shape the migrations use.
    a, b = uuid.uuid4(), uuid.uuid4()
    owner = await asyncpg.connect(database_url)
    try:
        await owner.execute(
            """
            CREATE TABLE rls_probe (id serial PRIMARY KEY, tenant_id uuid NOT NULL);
            ALTER TABLE rls_probe ENABLE ROW LEVEL SECURITY;
            ALTER TABLE rls_probe FORCE ROW LEVEL SECURITY;
            CREATE POLICY tenant_isolation ON rls_probe
                USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid);
            GRANT SELECT ON rls_probe TO alfred_app;
            """
        )
        await owner.execute("INSERT INTO rls_probe (tenant_id) VALUES ($1), ($1), ($2)", a, b)
        async with db.transaction(a) as session:
            seen_a = (await session.execute(text("SELECT count(*) FROM rls_probe"))).scalar()
        async with db.transaction(None) as session:
            seen_none = (await session.execute(text("SELECT count(*) FROM rls_probe"))).scalar()
        assert (seen_a, seen_none) == (2, 0)
    finally:
        await owner.execute("DROP TABLE IF EXISTS rls_probe")
        await owner.close()


async def test_transaction_rolls_back_when_the_block_raises(
    db: Database, database_url: str
) -> None:
    owner = await asyncpg.connect(database_url)
    try:
        await owner.execute("CREATE TABLE rollback_probe (n int)")
        await owner.execute("GRANT INSERT, SELECT ON rollback_probe TO alfred_app")
        with pytest.raises(RuntimeError):
            async with db.transaction(uuid.uuid4()) as session:
                await session.execute(text("INSERT INTO rollback_probe VALUES (1)"))
                raise RuntimeError("boom")
        assert await owner.fetchval("SELECT count(*) FROM rollback_probe") == 0
    finally:
        await owner.execute("DROP TABLE IF EXISTS rollback_probe")
        await owner.close()


async def test_driver_connection_statements_belong_to_the_session_transaction(
    db: Database, database_url: str
) -> None:
    # A system transaction sends nothing before its block: the driver connection must still
    # be inside the transaction, so that a failure rolls its statements back too.
    owner = await asyncpg.connect(database_url)
    try:
        await owner.execute("CREATE TABLE driver_probe (n int)")
        with pytest.raises(RuntimeError):
            async with db.system_transaction() as session:
                conn = await driver_connection(session)
                assert conn.is_in_transaction()
                await conn.execute("INSERT INTO driver_probe VALUES (1)")
                raise RuntimeError("boom")
        assert await owner.fetchval("SELECT count(*) FROM driver_probe") == 0
        async with db.system_transaction() as session:
            await (await driver_connection(session)).execute("INSERT INTO driver_probe VALUES (2)")
        assert await owner.fetchval("SELECT n FROM driver_probe") == 2
    finally:
        await owner.execute("DROP TABLE IF EXISTS driver_probe")
        await owner.close()


async def test_ping_reports_an_unreachable_server() -> None:
    from alfred_crm_core import DatabaseError

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    database = Database.from_url(f"postgresql://nobody@127.0.0.1:{port}/none", pool_size=1)
    with pytest.raises(DatabaseError, match="unreachable"):
        await database.ping()
    await database.dispose()


def _tcp_postgres_available() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 5432), timeout=0.5):
            return True
    except OSError:
        return False


@pytest.mark.skipif(not _tcp_postgres_available(), reason="no PostgreSQL on 127.0.0.1:5432")
async def test_tcp_url_connects() -> None:
    database = Database.from_url("postgresql://postgres@127.0.0.1:5432/postgres", pool_size=1)
    try:
        async with database.system_transaction() as session:
            assert (await session.execute(text("SELECT 1"))).scalar() == 1
    finally:
        await database.dispose()


_PROBE = """
import asyncio, sys
from pathlib import Path
import asyncpg
from alfred_crm_core import EmbeddedPostgres

async def main(url, mode):
    conn = await asyncpg.connect(url)
    if mode == "write":
        await conn.execute("CREATE TABLE IF NOT EXISTS kept (v text)")
        await conn.execute("INSERT INTO kept VALUES ('x')")
    print(await conn.fetchval("SELECT count(*) FROM kept"))
    await conn.close()

url = EmbeddedPostgres(Path(sys.argv[1]), database="probe").start()
print(url)
asyncio.run(main(url, sys.argv[2]))
"""


def test_embedded_server_starts_on_a_socket_url_and_keeps_data_across_restarts(
    tmp_path: Path,
) -> None:
    runs = [
        subprocess.run(
            [sys.executable, "-c", _PROBE, str(tmp_path / "data"), mode],
            capture_output=True,
            text=True,
            timeout=120,
            check=True,
        ).stdout.split()
        for mode in ("write", "read")
    ]
    (url1, count1), (url2, count2) = runs
    assert url1.startswith("postgresql://") and "?host=/" in url1  # a unix-socket URL
    assert url1 == url2
    assert (count1, count2) == ("1", "1")


def test_embedded_start_is_idempotent_in_process(tmp_path: Path) -> None:
    server = EmbeddedPostgres(tmp_path / "data", database="twice")
    assert server.start() == server.start()


def test_database_url_for_swaps_only_the_database() -> None:
    assert (
        database_url_for("postgresql://u@/postgres?host=/tmp/x", "other")
        == "postgresql://u@/other?host=/tmp/x"
    )
