"""The migrated schema: what the models declare, and row-level security on every tenant table."""

import importlib
import pkgutil
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Connection, text

import alfred_crm_core
from alfred_crm_core import Database
from alfred_crm_core._db import Base

pytestmark = pytest.mark.anyio


def _import_every_model() -> None:
    for module in pkgutil.walk_packages(alfred_crm_core.__path__, "alfred_crm_core."):
        if module.name.endswith(".models"):
            importlib.import_module(module.name)


async def test_models_match_the_migrations(db: Database) -> None:
    _import_every_model()

    def compare(connection: Connection) -> list[Any]:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return list(compare_metadata(context, Base.metadata))

    async with db.engine.connect() as conn:
        diff = await conn.run_sync(compare)
    assert diff == []


async def test_every_table_with_a_tenant_id_has_forced_row_level_security(db: Database) -> None:
    async with db.system_transaction() as session:
        rows = (
            await session.execute(
                text(
                    "SELECT c.relname, c.relrowsecurity, c.relforcerowsecurity,"
                    " EXISTS (SELECT FROM pg_policy p WHERE p.polrelid = c.oid) AS has_policy"
                    " FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
                    " JOIN pg_attribute a ON a.attrelid = c.oid AND a.attname = 'tenant_id'"
                    " WHERE n.nspname = 'public' AND c.relkind = 'r' AND NOT a.attisdropped"
                )
            )
        ).all()
        tenants = (
            await session.execute(
                text(
                    "SELECT relrowsecurity AND relforcerowsecurity FROM pg_class"
                    " WHERE relname = 'tenants'"
                )
            )
        ).scalar()
    names = {row.relname for row in rows}
    assert {"memberships", "notifications"} <= names
    assert [r.relname for r in rows if not (r.relrowsecurity and r.relforcerowsecurity)] == []
    assert [r.relname for r in rows if not r.has_policy] == []
    assert tenants is True
