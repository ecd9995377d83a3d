"""Tenant isolation at the database: checklist rows 26 to 28, and auth on every route.

The cross-tenant API checks (rows 23 to 25) are in test_cross_tenant.py.
"""

import re
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable

import asyncpg
import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from alfred_crm_core import APP_ROLE, Database
from alfred_reference_api import Settings, create_app
from alfred_reference_api.testing import Account, sign_up

pytestmark = pytest.mark.anyio

Signup = Callable[..., Awaitable[Account]]

PUBLIC_ROUTES = {
    ("GET", "/api/v1/health"),
    ("GET", "/api/v1/health/ready"),
    ("POST", "/api/v1/auth/register"),
    ("POST", "/api/v1/auth/login"),
    ("POST", "/api/v1/auth/token"),
    ("POST", "/api/v1/auth/refresh"),
    ("POST", "/api/v1/auth/logout"),
    ("POST", "/api/v1/automations/callbacks"),  # authenticated by its HMAC signature
}
"""Routes anyone may call. Append a route here only if it authenticates some other way."""


async def _tenant_tables(conn: asyncpg.Connection) -> list[str]:
    rows = await conn.fetch(
        "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
        " JOIN pg_attribute a ON a.attrelid = c.oid AND a.attname = 'tenant_id'"
        " WHERE n.nspname = 'public' AND c.relkind = 'r' AND NOT a.attisdropped ORDER BY 1"
    )
    return [r["relname"] for r in rows]


@pytest.fixture
async def owner(database_url: str) -> AsyncIterator[asyncpg.Connection]:
    """A connection as the connecting role (the schema owner), for looking under the hood."""
    conn = await asyncpg.connect(database_url)
    try:
        yield conn
    finally:
        await conn.close()


async def test_the_app_role_sees_nothing_without_a_tenant(  # row 26
    signup: Signup, owner: asyncpg.Connection
) -> None:
    a, b = await signup(), await signup()
    tables = await _tenant_tables(owner)
    assert {"memberships", "notifications"} <= set(tables)
    for table in tables:
        total = await owner.fetchval(f'SELECT count(*) FROM "{table}"')
        for setting in (None, ""):  # never set, and set to empty
            async with owner.transaction():
                await owner.execute(f"SET LOCAL ROLE {APP_ROLE}")
                if setting is not None:
                    await owner.execute("SELECT set_config('app.tenant_id', $1, true)", setting)
                seen = await owner.fetchval(f'SELECT count(*) FROM "{table}"')
            assert seen == 0, f"{table}: {seen} of {total} rows visible without a tenant"
        async with owner.transaction():
            await owner.execute(f"SET LOCAL ROLE {APP_ROLE}")
            await owner.execute("SELECT set_config('app.tenant_id', $1, true)", str(a.tenant_id))
            foreign = await owner.fetchval(
                f'SELECT count(*) FROM "{table}" WHERE tenant_id <> $1', a.tenant_id
            )
        assert foreign == 0, table
    assert b.tenant_id != a.tenant_id


async def test_the_app_role_cannot_write_into_another_tenant(
    signup: Signup, owner: asyncpg.Connection
) -> None:
    a, b = await signup(), await signup()
    with pytest.raises(asyncpg.InsufficientPrivilegeError):
        async with owner.transaction():
            await owner.execute(f"SET LOCAL ROLE {APP_ROLE}")
            await owner.execute("SELECT set_config('app.tenant_id', $1, true)", str(a.tenant_id))
            await owner.execute(
                "INSERT INTO notifications (id, tenant_id, user_id, type, entity_type, title,"
                " message, created_at, updated_at) VALUES ($1, $2, $3, 'x', 'system', 't', 'm',"
                " now(), now())",
                uuid.uuid4(),
                b.tenant_id,
                b.user_id,
            )


async def test_rls_is_forced_on_every_tenant_table_and_the_role_cannot_bypass_it(  # row 27
    owner: asyncpg.Connection,
) -> None:
    tables = await _tenant_tables(owner)
    flags = await owner.fetch(
        "SELECT relname, relrowsecurity, relforcerowsecurity FROM pg_class"
        " WHERE relname = ANY($1::text[]) AND relkind = 'r'",
        [*tables, "tenants"],
    )
    assert len(flags) == len(tables) + 1
    assert [
        f["relname"] for f in flags if not (f["relrowsecurity"] and f["relforcerowsecurity"])
    ] == []
    role = await owner.fetchrow(
        "SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = $1", APP_ROLE
    )
    assert role is not None and (role["rolsuper"], role["rolbypassrls"]) == (False, False)


async def test_one_pooled_connection_carries_nothing_from_a_to_b(  # row 28
    settings: Settings, database_url: str
) -> None:
    dsn = database_url

    async def connect() -> asyncpg.Connection:
        return await asyncpg.connect(dsn)

    engine = create_async_engine(
        "postgresql+asyncpg://", async_creator=connect, pool_size=1, max_overflow=0
    )
    database = Database(engine)
    app = create_app(settings, database=database)
    try:
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://t"
        ) as client:
            a, b = await sign_up(client), await sign_up(client)
            a_items = (await client.get("/api/v1/notifications", headers=a.headers)).json()
            b_items = (await client.get("/api/v1/notifications", headers=b.headers)).json()
            me_b = (await client.get("/api/v1/auth/me", headers=b.headers)).json()
        assert me_b["tenant"]["id"] == str(b.tenant_id)
        a_ids = {n["id"] for n in a_items["items"]}
        b_ids = {n["id"] for n in b_items["items"]}
        assert len(a_ids) == len(b_ids) == 1 and not a_ids & b_ids
        async with engine.connect() as conn:  # the one connection both requests used
            leftover = (
                await conn.execute(
                    text("SELECT current_setting('app.tenant_id', true), current_user")
                )
            ).one()
        assert leftover[0] in (None, "") and leftover[1] != APP_ROLE
    finally:
        await engine.dispose()


def _protected_routes(app: FastAPI) -> list[tuple[str, str]]:
    """Every documented operation (from the OpenAPI document) that is not public."""
    return [
        (method.upper(), path)
        for path, operations in app.openapi()["paths"].items()
        for method in operations
        if (method.upper(), path) not in PUBLIC_ROUTES
    ]


async def test_every_other_route_answers_the_generic_401_without_a_token(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    routes = _protected_routes(app)
    assert ("GET", "/api/v1/notifications") in routes and ("GET", "/api/v1/conversations") in routes
    reference = (await client.get("/api/v1/auth/me")).json()
    for method, path in routes:
        concrete = re.sub(r"\{[^}]+\}", str(uuid.uuid4()), path)
        for headers in ({}, {"Authorization": "Bearer nope"}):
            r = await client.request(method, concrete, headers=headers, json={})
            assert r.status_code == 401, (method, path, r.text)
            assert r.json() == {**reference, "instance": concrete}
            assert r.headers["www-authenticate"] == "Bearer"
