from alfred_crm_core import migrate
from alfred_reference_api.bootstrap import MIGRATION_LOCATIONS


def test_the_composed_branches_have_a_single_head() -> None:
    heads = migrate.head_revisions(MIGRATION_LOCATIONS)
    assert len(heads) == 1, (
        f"several heads {sorted(heads)}: add a merge revision to the app's branch "
        "(see apps/reference-api/src/alfred_reference_api/migrations/versions/r0001_compose.py)"
    )


def test_the_head_is_a_merge_in_the_apps_own_branch() -> None:
    heads = migrate.head_revisions(MIGRATION_LOCATIONS)
    assert all(h.startswith("r") for h in heads), f"{sorted(heads)}: not the app's compose branch"
