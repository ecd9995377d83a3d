"""compose: merge crm_core's alerts revision into the app's single head.

Revision ID: r0004
Revises: r0003, c0004
Create Date: 2026-11-26
"""

from collections.abc import Sequence

revision: str = "r0004"
down_revision: str | Sequence[str] | None = ("r0003", "c0004")
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """A merge point; no schema of its own."""


def downgrade() -> None:
    """Nothing to undo."""
