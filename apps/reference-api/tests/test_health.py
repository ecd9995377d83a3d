import uuid
from collections.abc import AsyncIterator

import asyncpg
import httpx
import pytest

from alfred_crm_core import Database, migrate
from alfred_crm_core.testing import database_url_for
from alfred_reference_api import Settings, create_app
from alfred_reference_api.bootstrap import MIGRATION_LOCATIONS

pytestmark = pytest.mark.anyio


async def test_liveness(client: httpx.AsyncClient) -> None:
    r = await client.get("/api/v1/health")
    assert r.status_code == 200 and r.json()["status"] == "ok"


async def test_ready_when_migrated_to_every_head(client: httpx.AsyncClient) -> None:
    r = await client.get("/api/v1/health/ready")
    assert r.status_code == 200
    heads = sorted(migrate.head_revisions(MIGRATION_LOCATIONS))  # one: see test_migrations
    assert r.json() == {"status": "ready", "database": "ok", "migrations": heads}


@pytest.fixture
async def unmigrated(postgres_server: str) -> AsyncIterator[str]:
    name = f"alfred_empty_{uuid.uuid4().hex[:10]}"
    admin = await asyncpg.connect(postgres_server)
    await admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield database_url_for(postgres_server, name)
    finally:
        await admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
        await admin.close()


async def test_not_ready_when_migrations_are_pending(settings: Settings, unmigrated: str) -> None:
    database = Database.from_url(unmigrated, pool_size=1)
    app = create_app(settings, database=database)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as c:
        r = await c.get("/api/v1/health/ready")
    await database.dispose()
    assert r.status_code == 503
    assert r.json()["code"] == "migrations_pending"


async def test_not_ready_when_the_database_is_down(settings: Settings) -> None:
    database = Database.from_url("postgresql://x@127.0.0.1:1/none", pool_size=1)
    app = create_app(settings, database=database)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as c:
        r = await c.get("/api/v1/health/ready")
        live = await c.get("/api/v1/health")
    await database.dispose()
    assert r.status_code == 503 and r.json()["code"] == "database_unavailable"
    assert live.status_code == 200
