import pytest
from sqlalchemy import text

from alfred_automation import migrate as automation_migrate
from alfred_crm_core import Database, migrate

pytestmark = pytest.mark.anyio

BRANCHES = [migrate.VERSIONS, automation_migrate.VERSIONS]
HEAD = "a0002"  # the app's compose branch merges this head (see the CHANGELOG)


async def test_branch_applies_on_top_of_core(db: Database) -> None:
    current = await migrate.current_revisions(db.engine)
    assert HEAD in current
    assert HEAD in migrate.head_revisions(BRANCHES)
    assert migrate.pending_heads(current, BRANCHES) == set()
    assert HEAD in migrate.pending_heads(set(), BRANCHES)
    async with db.system_transaction() as session:
        query = text("SELECT count(*) FROM pg_roles WHERE rolname = 'alfred_app'")
        role = (await session.execute(query)).scalar()
    assert role == 1


def test_the_branch_is_one_line_of_revisions() -> None:
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(migrate.alembic_config(BRANCHES))
    ours = [r for r in script.walk_revisions() if r.revision.startswith("a")]
    assert [r.revision for r in ours] == ["a0002", "a0001"]
    assert script.get_revision("a0002").down_revision == "a0001"
