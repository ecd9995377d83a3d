"""consent: append-only consent records per contact, and the inferences made under them.

The application role may only read and insert `consent_records` (no UPDATE, no DELETE): the
history cannot be rewritten by the API. Deleting a contact still removes its records, because
foreign-key cascades run as the table owner.

Revision ID: c0006
Revises: c0005
Create Date: 2026-11-27
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql as pg

from alfred_crm_core._db.rls import disable_tenant_rls, enable_tenant_rls

revision: str = "c0006"
down_revision: str | Sequence[str] | None = "c0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "consent_records",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("seq", sa.BigInteger(), sa.Identity(always=True), nullable=False),
        sa.Column("contact_id", sa.Uuid(), nullable=False),
        sa.Column("purpose", sa.String(64), nullable=False),
        sa.Column("action", sa.String(16), nullable=False),
        sa.Column("purpose_text_version", sa.String(64), nullable=False),
        sa.Column("source", sa.String(100), nullable=False),
        sa.Column("recorded_by", sa.Uuid(), nullable=True),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_consent_records"),
        sa.CheckConstraint("purpose IN ('financial_inference')", name="ck_consent_records_purpose"),
        sa.CheckConstraint("action IN ('granted', 'revoked')", name="ck_consent_records_action"),
        sa.ForeignKeyConstraint(
            ["contact_id"],
            ["contacts.id"],
            name="fk_consent_records_contact_id_contacts",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by"],
            ["users.id"],
            name="fk_consent_records_recorded_by_users",
            ondelete="SET NULL",
        ),
    )
    op.execute(
        "CREATE INDEX ix_consent_records_contact"
        " ON consent_records (tenant_id, contact_id, purpose, seq DESC)"
    )
    enable_tenant_rls("consent_records")
    op.execute("REVOKE UPDATE, DELETE, TRUNCATE ON consent_records FROM alfred_app")

    op.create_table(
        "inferences",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("contact_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("consent_id", sa.Uuid(), nullable=False),
        sa.Column("purpose_text_version", sa.String(64), nullable=False),
        sa.Column("message_id", sa.Uuid(), nullable=True),
        sa.Column("result", pg.JSONB(), nullable=False),
        sa.Column("created_by", sa.Uuid(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_inferences"),
        sa.CheckConstraint("kind IN ('income')", name="ck_inferences_kind"),
        sa.ForeignKeyConstraint(
            ["contact_id"],
            ["contacts.id"],
            name="fk_inferences_contact_id_contacts",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["consent_id"],
            ["consent_records.id"],
            name="fk_inferences_consent_id_consent_records",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["message_id"],
            ["messages.id"],
            name="fk_inferences_message_id_messages",
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["created_by"], ["users.id"], name="fk_inferences_created_by_users", ondelete="SET NULL"
        ),
    )
    op.execute(
        "CREATE INDEX ix_inferences_contact"
        " ON inferences (tenant_id, contact_id, created_at DESC, id DESC)"
    )
    enable_tenant_rls("inferences")


def downgrade() -> None:
    for table in ("inferences", "consent_records"):
        disable_tenant_rls(table)
        op.drop_table(table)
