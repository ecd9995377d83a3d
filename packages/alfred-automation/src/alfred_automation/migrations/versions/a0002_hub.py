"""automation hub: destinations, the event outbox, deliveries and their attempts, callbacks.

Every table with `tenant_id` gets core's tenant policy (`tenant_isolation`, enabled and forced,
granted to `alfred_app`); the DDL is repeated here because other packages may not import core's
private `_db` modules. `automation_rate_limits` holds only a counter per destination and minute,
so it has no tenant column and no policy.

Revision ID: a0002
Revises: a0001
Create Date: 2026-11-27
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "a0002"
down_revision: str | Sequence[str] | None = "a0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = "c0002"  # the `tenants` table

_TENANT_PREDICATE = "tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid"
_TENANT_TABLES = (
    "automation_destinations",
    "automation_events",
    "automation_deliveries",
    "automation_delivery_attempts",
    "automation_callback_receipts",
)


def _timestamps() -> list[sa.Column]:  # type: ignore[type-arg]  # Column's type varies
    return [
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    ]


def _tenant_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["tenant_id"], ["tenants.id"], name=f"fk_{table}_tenant", ondelete="CASCADE"
    )


def _newest_first(table: str) -> None:
    # The keyset order of the tenant's list endpoints.
    op.create_index(
        f"ix_{table}_tenant_created",
        table,
        ["tenant_id", sa.text("created_at DESC"), sa.text("id DESC")],
    )


def _enable_tenant_rls(table: str) -> None:
    op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
    op.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
    op.execute(
        f"CREATE POLICY tenant_isolation ON {table} "
        f"USING ({_TENANT_PREDICATE}) WITH CHECK ({_TENANT_PREDICATE})"
    )
    op.execute(f"GRANT SELECT, INSERT, UPDATE, DELETE ON {table} TO alfred_app")


def upgrade() -> None:
    op.create_table(
        "automation_destinations",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("url", sa.String(2048), nullable=False),
        sa.Column("secret_encrypted", sa.Text(), nullable=False),
        sa.Column("secret_masked", sa.String(32), nullable=False),
        sa.Column("previous_secret_encrypted", sa.Text(), nullable=True),
        sa.Column("previous_secret_expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("enabled", sa.Boolean(), nullable=False, server_default=sa.true()),
        sa.Column(
            "event_types",
            postgresql.ARRAY(sa.Text()),
            nullable=False,
            server_default=sa.text("'{*}'::text[]"),
        ),
        sa.Column("disabled_reason", sa.String(200), nullable=True),
        *_timestamps(),
        sa.PrimaryKeyConstraint("id", name="pk_automation_destinations"),
        _tenant_fk("automation_destinations"),
    )
    _newest_first("automation_destinations")

    op.create_table(
        "automation_events",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("type", sa.String(100), nullable=False),
        sa.Column("source_event_id", sa.String(255), nullable=True),
        sa.Column("payload", postgresql.JSONB(), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("origin", sa.String(100), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_automation_events"),
        # NULL source ids never collide: only events that carry one are deduplicated.
        sa.UniqueConstraint(
            "tenant_id",
            "type",
            "source_event_id",
            name="uq_automation_events_tenant_id_type_source_event_id",
        ),
        _tenant_fk("automation_events"),
    )
    _newest_first("automation_events")

    op.create_table(
        "automation_deliveries",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("event_id", sa.Uuid(), nullable=False),
        sa.Column("destination_id", sa.Uuid(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False, server_default="pending"),
        sa.Column("attempts", sa.Integer(), nullable=False, server_default=sa.text("0")),
        sa.Column("next_retry_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_status_code", sa.Integer(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("claimed_until", sa.DateTime(timezone=True), nullable=True),
        *_timestamps(),
        sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_automation_deliveries"),
        sa.UniqueConstraint(
            "event_id", "destination_id", name="uq_automation_deliveries_event_id_destination_id"
        ),
        sa.CheckConstraint(
            "status IN ('pending', 'succeeded', 'failed')", name="ck_automation_deliveries_status"
        ),
        _tenant_fk("automation_deliveries"),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["automation_events.id"],
            name="fk_automation_deliveries_event",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["destination_id"],
            ["automation_destinations.id"],
            name="fk_automation_deliveries_destination",
            ondelete="CASCADE",
        ),
    )
    # The dispatcher's queue: due work in order, pending rows only (a literal predicate, so the
    # claim query's `status = 'pending'` matches the index).
    op.create_index(
        "ix_automation_deliveries_due",
        "automation_deliveries",
        ["next_retry_at"],
        postgresql_where=sa.text("status = 'pending'"),
    )
    _newest_first("automation_deliveries")
    op.create_index(
        "ix_automation_deliveries_destination_id", "automation_deliveries", ["destination_id"]
    )

    op.create_table(
        "automation_delivery_attempts",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("delivery_id", sa.Uuid(), nullable=False),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("duration_ms", sa.Integer(), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("response_excerpt", sa.String(2048), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_automation_delivery_attempts"),
        _tenant_fk("automation_delivery_attempts"),
        sa.ForeignKeyConstraint(
            ["delivery_id"],
            ["automation_deliveries.id"],
            name="fk_automation_delivery_attempts_delivery",
            ondelete="CASCADE",
        ),
    )
    op.create_index(
        "ix_automation_delivery_attempts_delivery_started",
        "automation_delivery_attempts",
        ["delivery_id", "started_at"],
    )

    op.create_table(
        "automation_callback_receipts",
        sa.Column("destination_id", sa.Uuid(), nullable=False),
        sa.Column("event_id", sa.String(255), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("signature", sa.String(64), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=False),
        sa.Column("response_body", postgresql.JSONB(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint(
            "destination_id", "event_id", name="pk_automation_callback_receipts"
        ),
        # A signature covers only the timestamp and body: the same one under another event id is
        # a replay with the id changed.
        sa.UniqueConstraint(
            "destination_id",
            "signature",
            name="uq_automation_callback_receipts_destination_id_signature",
        ),
        _tenant_fk("automation_callback_receipts"),
        sa.ForeignKeyConstraint(
            ["destination_id"],
            ["automation_destinations.id"],
            name="fk_automation_callback_receipts_destination",
            ondelete="CASCADE",
        ),
    )
    op.create_index(
        "ix_automation_callback_receipts_created_at", "automation_callback_receipts", ["created_at"]
    )

    op.create_table(
        "automation_rate_limits",
        sa.Column("destination_id", sa.Uuid(), nullable=False),
        sa.Column("window_start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("destination_id", "window_start", name="pk_automation_rate_limits"),
        sa.ForeignKeyConstraint(
            ["destination_id"],
            ["automation_destinations.id"],
            name="fk_automation_rate_limits_destination",
            ondelete="CASCADE",
        ),
    )
    op.execute("GRANT SELECT, INSERT, UPDATE, DELETE ON automation_rate_limits TO alfred_app")

    for table in _TENANT_TABLES:
        _enable_tenant_rls(table)


def downgrade() -> None:
    for table in ("automation_rate_limits", *reversed(_TENANT_TABLES)):
        op.drop_table(table)  # dropping a table drops its policy too
