"""compose: merge every package branch into the app's single head.

The app owns this branch so that `alembic upgrade head` (one head) works as the product README
says. When a package adds a revision, add a merge here (a test fails until you do):
`cd apps/reference-api && alembic merge heads -m compose --rev-id rNNNN
--version-path src/alfred_reference_api/migrations/versions`.

Revision ID: r0001
Revises: c0001, a0001
Create Date: 2026-11-26
"""

from collections.abc import Sequence

revision: str = "r0001"
down_revision: str | Sequence[str] | None = ("c0001", "a0001")
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """A merge point; no schema of its own."""


def downgrade() -> None:
    """Nothing to undo."""
