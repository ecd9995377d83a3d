import pytest

from alfred_automation import migrate as automation_migrate
from alfred_crm_core import migrate
from alfred_crm_core.testing import anyio_backend as anyio_backend  # wins over anyio's own


@pytest.fixture(scope="session")
def migration_locations() -> list[str]:
    """Core's branch and this package's, as the app composes them."""
    return [migrate.VERSIONS, automation_migrate.VERSIONS]
