"""compose: merge crm_core's identity revision into the app's single head.

Revision ID: r0002
Revises: r0001, c0002
Create Date: 2026-11-26
"""

from collections.abc import Sequence

revision: str = "r0002"
down_revision: str | Sequence[str] | None = ("r0001", "c0002")
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """A merge point; no schema of its own."""


def downgrade() -> None:
    """Nothing to undo."""
