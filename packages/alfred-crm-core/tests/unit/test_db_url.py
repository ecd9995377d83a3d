import pytest

from alfred_crm_core import ConfigurationError, normalize_url
from alfred_crm_core.db import redact_url


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("postgresql://u:p@db:5432/alfred", "postgresql://u:p@db:5432/alfred"),
        ("postgres://u@db/alfred", "postgresql://u@db/alfred"),
        ("postgresql+asyncpg://u:p@db/alfred", "postgresql://u:p@db/alfred"),
        ("postgresql+psycopg://u@/alfred?host=/run/pg", "postgresql://u@/alfred?host=/run/pg"),
        (
            " postgresql://u@/db?host=/tmp/x&sslmode=disable ",
            "postgresql://u@/db?host=/tmp/x&sslmode=disable",
        ),
    ],
)
def test_normalize_url_accepts_libpq_and_sqlalchemy_forms(given: str, expected: str) -> None:
    assert normalize_url(given) == expected


@pytest.mark.parametrize("given", ["mysql://u@h/db", "sqlite:///x.db", "db.example.com", ""])
def test_normalize_url_rejects_what_is_not_postgresql(given: str) -> None:
    with pytest.raises(ConfigurationError, match="DATABASE_URL"):
        normalize_url(given)


def test_redact_url_hides_the_password_only() -> None:
    assert redact_url("postgresql://alice:s3cr%40t@db:5432/x") == "postgresql://alice:***@db:5432/x"
    assert redact_url("postgresql://alice@db/x") == "postgresql://alice@db/x"
