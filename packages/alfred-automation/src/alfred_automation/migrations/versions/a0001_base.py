"""automation base: opens the `automation` branch on top of crm_core.

Revision ID: a0001
Revises:
Create Date: 2026-11-26
"""

from collections.abc import Sequence

revision: str = "a0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = ("automation",)
depends_on: str | Sequence[str] | None = "c0001"


def upgrade() -> None:
    """The branch's tables arrive with the automation hub issue."""


def downgrade() -> None:
    """Nothing to undo."""
