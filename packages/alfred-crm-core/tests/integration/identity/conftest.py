import pytest

from alfred_crm_core import AuthConfig, Authenticator, Database, PasswordHasher

CONFIG = AuthConfig(
    jwt_secret="integration-secret-0123456789abcdef012345",
    password_min_length=6,
    hash_time_cost=1,
    hash_memory_kib=1024,
)


@pytest.fixture(scope="session")
def hasher() -> PasswordHasher:
    return PasswordHasher(time_cost=1, memory_kib=1024, parallelism=1)


@pytest.fixture
def auth_config() -> AuthConfig:
    return CONFIG


@pytest.fixture
def auth(db: Database, hasher: PasswordHasher) -> Authenticator:
    return Authenticator(db, CONFIG, hasher=hasher)
