import pytest
from sqlalchemy import text

from alfred_automation import migrate as automation_migrate
from alfred_crm_core import Database, migrate

pytestmark = pytest.mark.anyio

BRANCHES = [migrate.VERSIONS, automation_migrate.VERSIONS]


@pytest.fixture(scope="session")
def migration_locations() -> list[str]:
    return BRANCHES


async def test_branch_applies_on_top_of_core(db: Database) -> None:
    current = await migrate.current_revisions(db.engine)
    assert "a0001" in current
    assert migrate.pending_heads(current, BRANCHES) == set()
    assert "a0001" in migrate.pending_heads(set(), BRANCHES)
    async with db.system_transaction() as session:
        query = text("SELECT count(*) FROM pg_roles WHERE rolname = 'alfred_app'")
        role = (await session.execute(query)).scalar()
    assert role == 1
