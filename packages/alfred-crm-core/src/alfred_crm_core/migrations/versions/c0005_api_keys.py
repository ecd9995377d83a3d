"""api keys: hashed, tenant-scoped bearer credentials for integrations.

`api_keys` gets the tenant policy like every tenant table, plus `api_key_lookup`: a read-only
policy that shows a transaction the one key whose SHA-256 it names in `app.api_key_hash`. That is
how a request authenticated by a key finds its tenant without any role bypassing row-level
security; knowing the hash requires knowing the key.

Revision ID: c0005
Revises: c0004
Create Date: 2026-11-27
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from alfred_crm_core._db.rls import disable_tenant_rls, enable_tenant_rls

revision: str = "c0005"
down_revision: str | Sequence[str] | None = "c0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "api_keys",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("key_hash", sa.LargeBinary(32), nullable=False),
        sa.Column("last4", sa.String(4), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_api_keys"),
        sa.UniqueConstraint("key_hash", name="uq_api_keys_key_hash"),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name="fk_api_keys_tenant_id_tenants", ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name="fk_api_keys_user_id_users", ondelete="CASCADE"
        ),
    )
    op.execute(
        "CREATE INDEX ix_api_keys_tenant_created ON api_keys (tenant_id, created_at DESC, id DESC)"
    )
    enable_tenant_rls("api_keys")
    op.execute(
        "CREATE POLICY api_key_lookup ON api_keys FOR SELECT USING ("
        "key_hash = decode(NULLIF(current_setting('app.api_key_hash', true), ''), 'hex'))"
    )


def downgrade() -> None:
    op.execute("DROP POLICY IF EXISTS api_key_lookup ON api_keys")
    disable_tenant_rls("api_keys")
    op.drop_table("api_keys")
