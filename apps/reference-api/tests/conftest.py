from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI
from pydantic import SecretStr

from alfred_crm_core import Database
from alfred_reference_api import Settings, create_app
from alfred_reference_api.bootstrap import MIGRATION_LOCATIONS

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
    )


@pytest.fixture
def app(settings: Settings, db: Database) -> FastAPI:
    return create_app(settings, database=db)


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as c:
        yield c
