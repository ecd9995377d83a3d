"""crm: contacts, conversations, messages, comments, tasks, leads (all with row-level security).

Revision ID: c0003
Revises: c0002
Create Date: 2026-11-26
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql as pg

from alfred_crm_core._db.rls import disable_tenant_rls, enable_tenant_rls

revision: str = "c0003"
down_revision: str | Sequence[str] | None = "c0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ENUMS = {
    "channel": ("email", "whatsapp", "sms", "webchat"),
    "conversation_status": ("open", "pending", "resolved", "snoozed"),
    "message_direction": ("inbound", "outbound"),
    "priority": ("low", "medium", "high", "urgent"),
    "task_status": ("todo", "in_progress", "done", "canceled"),
    "lead_stage": ("new", "qualified", "proposal", "negotiation", "won", "lost"),
}
TABLES = ("contacts", "conversations", "messages", "conversation_comments", "leads", "tasks")


def _enum(name: str) -> pg.ENUM:
    return pg.ENUM(*ENUMS[name], name=name, create_type=False)


def _ts(name: str, nullable: bool = False) -> sa.Column:  # type: ignore[type-arg]
    return sa.Column(
        name,
        sa.DateTime(timezone=True),
        nullable=nullable,
        server_default=None if nullable else sa.text("now()"),
    )


def _user_fk(name: str) -> sa.Column:  # type: ignore[type-arg]
    return sa.Column(name, sa.Uuid(), sa.ForeignKey("users.id", ondelete="SET NULL"), nullable=True)


def upgrade() -> None:
    for name, values in ENUMS.items():
        pg.ENUM(*values, name=name).create(op.get_bind(), checkfirst=True)

    op.create_table(
        "contacts",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("email", sa.String(254)),
        sa.Column("phone", sa.String(32)),
        sa.Column("tags", pg.ARRAY(sa.Text()), nullable=False, server_default=sa.text("'{}'")),
        sa.Column("attributes", pg.JSONB(), nullable=False, server_default=sa.text("'{}'::jsonb")),
        _ts("created_at"),
        _ts("updated_at"),
        sa.UniqueConstraint("tenant_id", "email", name="uq_contacts_tenant_id_email"),
        sa.UniqueConstraint("tenant_id", "phone", name="uq_contacts_tenant_id_phone"),
    )
    op.execute(
        "CREATE INDEX ix_contacts_tenant_created ON contacts (tenant_id, created_at DESC, id DESC)"
    )
    op.create_index("ix_contacts_tags", "contacts", ["tags"], postgresql_using="gin")

    op.create_table(
        "conversations",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column(
            "contact_id",
            sa.Uuid(),
            sa.ForeignKey("contacts.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("channel", _enum("channel"), nullable=False),
        sa.Column("status", _enum("conversation_status"), nullable=False),
        _ts("snoozed_until", nullable=True),
        _user_fk("assignee_id"),
        sa.Column("subject", sa.String(300)),
        _ts("last_message_at", nullable=True),
        _ts("last_activity_at"),
        sa.Column("latest_intent", sa.String(32)),
        sa.Column("latest_priority", sa.String(16)),
        sa.Column("latest_sentiment", sa.String(16)),
        _ts("created_at"),
        _ts("updated_at"),
    )
    op.execute(
        "CREATE UNIQUE INDEX uq_conversations_active"
        " ON conversations (tenant_id, contact_id, channel) WHERE status <> 'resolved'"
    )
    op.execute(
        "CREATE INDEX ix_conversations_tenant_activity"
        " ON conversations (tenant_id, last_activity_at DESC, id DESC)"
    )
    op.create_index("ix_conversations_tenant_contact", "conversations", ["tenant_id", "contact_id"])

    op.create_table(
        "messages",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column(
            "conversation_id",
            sa.Uuid(),
            sa.ForeignKey("conversations.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("direction", _enum("message_direction"), nullable=False),
        sa.Column("channel", _enum("channel"), nullable=False),
        sa.Column("external_id", sa.String(255), nullable=False),
        sa.Column("sender", sa.String(320)),
        sa.Column("subject", sa.String(300)),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("in_reply_to", sa.String(255)),
        _user_fk("author_id"),
        _ts("sent_at"),
        sa.Column("triage", pg.JSONB()),
        _ts("created_at"),
        sa.UniqueConstraint(
            "tenant_id", "channel", "external_id", name="uq_messages_tenant_id_channel_external_id"
        ),
    )
    op.execute(
        "CREATE INDEX ix_messages_conversation"
        " ON messages (tenant_id, conversation_id, sent_at DESC, id DESC)"
    )

    op.create_table(
        "conversation_comments",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column(
            "conversation_id",
            sa.Uuid(),
            sa.ForeignKey("conversations.id", ondelete="CASCADE"),
            nullable=False,
        ),
        _user_fk("author_id"),
        sa.Column("body", sa.Text(), nullable=False),
        _ts("created_at"),
    )
    op.execute(
        "CREATE INDEX ix_comments_conversation"
        " ON conversation_comments (tenant_id, conversation_id, created_at DESC, id DESC)"
    )

    op.create_table(
        "leads",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column(
            "contact_id",
            sa.Uuid(),
            sa.ForeignKey("contacts.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("title", sa.String(300)),
        sa.Column("stage", _enum("lead_stage"), nullable=False),
        sa.Column("value", sa.Numeric(14, 2)),
        sa.Column("currency", sa.CHAR(3)),
        _user_fk("owner_id"),
        _ts("last_activity_at"),
        sa.Column("price_guidance", pg.JSONB()),
        _ts("won_at", nullable=True),
        sa.Column("lost_reason", sa.Text()),
        _ts("created_at"),
        _ts("updated_at"),
    )
    op.execute(
        "CREATE INDEX ix_leads_tenant_created ON leads (tenant_id, created_at DESC, id DESC)"
    )
    op.create_index("ix_leads_tenant_contact", "leads", ["tenant_id", "contact_id"])
    op.execute(
        "CREATE INDEX ix_leads_open_activity ON leads (tenant_id, last_activity_at)"
        " WHERE stage NOT IN ('won', 'lost')"
    )

    op.create_table(
        "tasks",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("title", sa.String(300), nullable=False),
        sa.Column("description", sa.Text()),
        _ts("due_at", nullable=True),
        sa.Column("priority", _enum("priority"), nullable=False),
        sa.Column("status", _enum("task_status"), nullable=False),
        sa.Column("contact_id", sa.Uuid(), sa.ForeignKey("contacts.id", ondelete="SET NULL")),
        sa.Column(
            "conversation_id", sa.Uuid(), sa.ForeignKey("conversations.id", ondelete="SET NULL")
        ),
        sa.Column("lead_id", sa.Uuid(), sa.ForeignKey("leads.id", ondelete="SET NULL")),
        _user_fk("assignee_id"),
        _user_fk("created_by"),
        _ts("closed_at", nullable=True),
        _ts("created_at"),
        _ts("updated_at"),
    )
    op.execute(
        "CREATE INDEX ix_tasks_tenant_created ON tasks (tenant_id, created_at DESC, id DESC)"
    )
    op.execute(
        "CREATE INDEX ix_tasks_open_due ON tasks (tenant_id, due_at)"
        " WHERE status IN ('todo', 'in_progress')"
    )

    for table in TABLES:
        enable_tenant_rls(table)


def downgrade() -> None:
    for table in reversed(TABLES):
        disable_tenant_rls(table)
        op.drop_table(table)
    for name in reversed(ENUMS):
        op.execute(f"DROP TYPE IF EXISTS {name}")
