"""Row-level security DDL for migrations: one call per tenant table.

The policy compares `tenant_id` with the transaction-local `app.tenant_id`; unset or empty, it
matches nothing (fails closed). FORCE makes it apply to the table owner too.
"""

from __future__ import annotations

import re

from alembic import op

__all__ = ["disable_tenant_rls", "enable_tenant_rls"]

_POLICY = "tenant_isolation"
_IDENTIFIER = re.compile(r"[a-z_][a-z0-9_]{0,62}")


def _predicate(column: str) -> str:
    return f"\"{column}\" = NULLIF(current_setting('app.tenant_id', true), '')::uuid"


def enable_tenant_rls(table: str, column: str = "tenant_id") -> None:
    """Enable and force RLS on `table` with the tenant policy, and grant it to the app role.

    Args:
        table: The table to protect.
        column: The column holding the tenant id: `tenant_id` on every tenant table, `id` on
            `tenants` itself (a tenant sees only its own row).
    """
    for name in (table, column):
        if not _IDENTIFIER.fullmatch(name):
            raise ValueError(f"not a plain identifier: {name!r}")
    predicate = _predicate(column)
    op.execute(f'ALTER TABLE "{table}" ENABLE ROW LEVEL SECURITY')
    op.execute(f'ALTER TABLE "{table}" FORCE ROW LEVEL SECURITY')
    op.execute(f'CREATE POLICY {_POLICY} ON "{table}" USING ({predicate}) WITH CHECK ({predicate})')
    op.execute(f'GRANT SELECT, INSERT, UPDATE, DELETE ON "{table}" TO alfred_app')


def disable_tenant_rls(table: str) -> None:
    """Undo `enable_tenant_rls` (for downgrades)."""
    op.execute(f'DROP POLICY IF EXISTS {_POLICY} ON "{table}"')
    op.execute(f'ALTER TABLE "{table}" NO FORCE ROW LEVEL SECURITY')
    op.execute(f'ALTER TABLE "{table}" DISABLE ROW LEVEL SECURITY')
