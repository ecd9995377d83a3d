"""Demo data for `alfred-api seed` (idempotent: run it as often as you like)."""

from __future__ import annotations

from alfred_crm_core import Database, UserCreate
from alfred_reference_api import bootstrap
from alfred_reference_api.settings import Settings

__all__ = ["DEMO_EMAIL", "DEMO_PASSWORD", "seed_demo"]

DEMO_EMAIL = "demo@alfred.ai"
DEMO_PASSWORD = "password"  # noqa: S105  # the product README's published demo login


async def seed_demo(database: Database, settings: Settings) -> list[str]:
    """Create the demo user (`demo@alfred.ai` / `password`) and its workspace, unless present.

    No token is issued, so the demo user's first login gets the onboarding notification.

    Returns:
        One line per thing created or found, for the command to print.
    """
    auth = bootstrap.authenticator(settings, database)
    user, created = await auth.ensure_account(
        UserCreate(name="Alfred Demo", email=DEMO_EMAIL, password=DEMO_PASSWORD)
    )
    if created:
        return [f"seed: created user {user.email} (password: {DEMO_PASSWORD}) with its workspace"]
    return [f"seed: user {user.email} already exists; left as it is"]
