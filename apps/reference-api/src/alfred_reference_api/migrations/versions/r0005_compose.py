"""compose: merge crm_core's API keys and consent revisions and automation's hub revision.

Revision ID: r0005
Revises: r0004, c0006, a0002
Create Date: 2026-11-27
"""

from collections.abc import Sequence

revision: str = "r0005"
down_revision: str | Sequence[str] | None = ("r0004", "c0006", "a0002")
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """A merge point; no schema of its own."""


def downgrade() -> None:
    """Nothing to undo."""
