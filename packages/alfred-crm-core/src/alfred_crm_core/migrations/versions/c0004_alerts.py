"""alerts: remember which crossing was notified (overdue tasks, stalled leads).

Revision ID: c0004
Revises: c0003
Create Date: 2026-11-26
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "c0004"
down_revision: str | Sequence[str] | None = "c0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("tasks", sa.Column("overdue_notified_for", sa.DateTime(timezone=True)))
    op.add_column("leads", sa.Column("stalled_notified_for", sa.DateTime(timezone=True)))


def downgrade() -> None:
    op.drop_column("leads", "stalled_notified_for")
    op.drop_column("tasks", "overdue_notified_for")
