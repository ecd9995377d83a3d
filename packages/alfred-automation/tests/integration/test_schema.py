"""The migrated schema: the models match migration a0002, and row-level security holds."""

import uuid
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Connection, text

from alfred_automation import OutboxSink
from alfred_automation._models import Base
from alfred_crm_core import Database

from .conftest import MakeDestination, Publish

pytestmark = pytest.mark.anyio

TABLES = {
    "automation_destinations",
    "automation_events",
    "automation_deliveries",
    "automation_delivery_attempts",
    "automation_callback_receipts",
    "automation_rate_limits",
}


def _table_of(diff: Any) -> str:
    # compare_metadata yields tuples (op, object, ...) or lists of them for column changes.
    item = diff[0] if isinstance(diff, list) else diff
    for part in item[1:]:
        name = getattr(part, "name", None)
        table = getattr(part, "table", None)
        if table is not None:
            return str(table.name)
        if isinstance(part, str) and part.startswith("automation_"):
            return part
        if name is not None and str(name).startswith("automation_"):
            return str(name)
    return ""


async def test_models_match_the_migration(db: Database) -> None:
    def compare(connection: Connection) -> list[Any]:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return list(compare_metadata(context, Base.metadata))

    async with db.engine.connect() as conn:
        diff = await conn.run_sync(compare)
    ours = [d for d in diff if _table_of(d) in TABLES]
    assert ours == []


async def test_every_hub_table_with_a_tenant_id_has_forced_row_level_security(
    db: Database,
) -> None:
    async with db.system_transaction() as session:
        rows = (
            await session.execute(
                text(
                    "SELECT c.relname, c.relrowsecurity AND c.relforcerowsecurity AS forced,"
                    " EXISTS (SELECT FROM pg_policy p WHERE p.polrelid = c.oid"
                    "   AND p.polname = 'tenant_isolation') AS has_policy,"
                    " has_table_privilege('alfred_app', c.oid, 'SELECT,INSERT,UPDATE,DELETE')"
                    "   AS granted,"
                    " EXISTS (SELECT FROM pg_attribute a WHERE a.attrelid = c.oid"
                    "   AND a.attname = 'tenant_id' AND NOT a.attisdropped) AS has_tenant"
                    " FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
                    " WHERE n.nspname = 'public' AND c.relkind = 'r'"
                    "   AND c.relname LIKE 'automation%'"
                )
            )
        ).all()
    assert {r.relname for r in rows} == TABLES
    assert all(r.granted for r in rows)
    tenant_tables = [r for r in rows if r.has_tenant]
    assert {r.relname for r in tenant_tables} == TABLES - {"automation_rate_limits"}
    assert all(r.forced and r.has_policy for r in tenant_tables)


async def test_a_tenant_transaction_sees_none_of_another_tenants_rows(
    db: Database,
    tenant: uuid.UUID,
    other_tenant: uuid.UUID,
    make_destination: MakeDestination,
    publish: Publish,
) -> None:
    await make_destination("http://127.0.0.1:9/hook")
    await publish()
    for scope in (other_tenant, None):
        async with db.transaction(scope) as session:
            for table in sorted(TABLES - {"automation_rate_limits"}):
                count = (await session.execute(text(f"SELECT count(*) FROM {table}"))).scalar()
                assert count == 0, table
    async with db.transaction(tenant) as session:
        seen = (await session.execute(text("SELECT count(*) FROM automation_deliveries"))).scalar()
    assert seen == 1


async def test_a_tenant_transaction_cannot_write_rows_of_another_tenant(
    db: Database, tenant: uuid.UUID, other_tenant: uuid.UUID
) -> None:
    with pytest.raises(Exception, match="row-level security"):
        async with db.transaction(tenant) as session:
            await OutboxSink().publish(session, tenant_id=other_tenant, type="x.y", payload={})
