from collections.abc import AsyncIterator, Awaitable, Callable

import httpx
import pytest
from fastapi import FastAPI
from pydantic import SecretStr

from alfred_crm_core import Database
from alfred_reference_api import Settings, create_app
from alfred_reference_api.bootstrap import MIGRATION_LOCATIONS
from alfred_reference_api.testing import Account, sign_up

TEST_KEY = "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY="  # base64 of 32 ASCII bytes


@pytest.fixture(scope="session")
def migration_locations() -> list[str]:
    return list(MIGRATION_LOCATIONS)


@pytest.fixture
def settings(database_url: str) -> Settings:
    return Settings(
        _env_file=None,  # a developer's .env must not leak into the tests
        database_url=database_url,
        jwt_secret=SecretStr("test-jwt-secret-0123456789abcdef0123456789"),
        automation_secret_encryption_key=SecretStr(TEST_KEY),
        automation_allow_private_urls=True,
        # argon2id at its cheapest keeps the suite fast; production keeps the defaults.
        password_hash_time_cost=1,
        password_hash_memory_kib=1024,
    )


@pytest.fixture
def app(settings: Settings, db: Database) -> FastAPI:
    return create_app(settings, database=db)


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as c:
        yield c


@pytest.fixture
def signup(client: httpx.AsyncClient) -> Callable[..., Awaitable[Account]]:
    """Register a fresh account through the API: `await signup()` or `await signup(email=...)`."""

    async def make(**kwargs: str) -> Account:
        return await sign_up(client, **kwargs)

    return make
