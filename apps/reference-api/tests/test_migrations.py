from alfred_crm_core import migrate
from alfred_reference_api.bootstrap import MIGRATION_LOCATIONS


def test_the_composed_branches_have_a_single_head() -> None:
    heads = migrate.head_revisions(MIGRATION_LOCATIONS)
    assert len(heads) == 1, (
        f"several heads {sorted(heads)}: add a merge revision to the app's branch "
        "(see apps/reference-api/src/alfred_reference_api/migrations/versions/r0001_compose.py)"
    )
