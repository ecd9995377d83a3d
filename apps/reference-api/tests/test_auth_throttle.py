"""Checklist rows 21 and 22: the login throttle is shared by two real server processes.

Two `alfred-api serve` processes on the same database take turns: the per-account counter lives
in PostgreSQL, so the sixth attempt is refused whichever process gets it, and a client-supplied
`X-Forwarded-For` changes nothing.
"""

import asyncio
import base64
import itertools
import secrets
import uuid
from collections.abc import AsyncIterator

import httpx
import pytest

from alfred_crm_core.testing import truncate_all
from alfred_reference_api.testing import Server, child_env, serve, stop

pytestmark = pytest.mark.anyio


@pytest.fixture(scope="module")
async def two_servers(
    database_url: str, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[list[Server]]:
    """Two servers on the session's (migrated) database, shared by this module's tests."""
    tmp_path = tmp_path_factory.mktemp("two-servers")
    env = child_env(
        DATABASE_URL=database_url,
        ALFRED_DATA_DIR=str(tmp_path),
        JWT_SECRET=secrets.token_urlsafe(32),
        AUTOMATION_SECRET_ENCRYPTION_KEY=base64.urlsafe_b64encode(secrets.token_bytes(32)).decode(),
        PASSWORD_HASH_TIME_COST="1",
        PASSWORD_HASH_MEMORY_KIB="1024",
        LOG_LEVEL="WARNING",
    )
    servers = await asyncio.gather(
        *(
            asyncio.to_thread(serve, env, tmp_path, "--no-migrate", probe="/api/v1/health")
            for _ in range(2)
        )
    )
    try:
        yield list(servers)
    finally:
        await asyncio.gather(*(asyncio.to_thread(stop, server) for server in servers))
        await truncate_all(database_url)


async def _login(server: Server, email: str, password: str, forwarded_for: str) -> httpx.Response:
    async with httpx.AsyncClient(base_url=server.url, timeout=10) as client:
        return await client.post(
            "/api/v1/auth/login",
            json={"email": email, "password": password},
            headers={"X-Forwarded-For": forwarded_for, "X-Real-IP": forwarded_for},
        )


async def test_the_counter_is_shared_by_both_processes_and_ignores_forwarded_for(
    two_servers: list[Server],
) -> None:
    accounts = []
    async with httpx.AsyncClient(base_url=two_servers[0].url, timeout=10) as client:
        for _ in range(2):
            email = f"{uuid.uuid4().hex[:10]}@example.com"
            r = await client.post(
                "/api/v1/auth/register", json={"name": "V", "email": email, "password": "secret"}
            )
            assert r.status_code == 201, r.text
            accounts.append(email)
    victim, bystander = accounts
    servers = itertools.cycle(two_servers)
    addresses = (f"203.0.113.{i}" for i in itertools.count(1))

    for _ in range(5):
        r = await _login(next(servers), victim, "wrong", next(addresses))
        assert r.status_code == 401

    for password in ("wrong", "secret"):
        for server in two_servers:
            r = await _login(server, victim, password, next(addresses))
            assert r.status_code == 429, r.text
            assert r.headers["retry-after"].isdigit()
            assert 0 < int(r.headers["retry-after"]) <= 900

    for server in two_servers:
        assert (await _login(server, bystander, "secret", next(addresses))).status_code == 200


async def test_an_oversized_authorization_header_is_refused_without_a_5xx(
    two_servers: list[Server],
) -> None:  # row 14 through a real server: its header limit may answer first
    async with httpx.AsyncClient(base_url=two_servers[0].url, timeout=10) as client:
        r = await client.get(
            "/api/v1/auth/me", headers={"Authorization": "Bearer " + "A" * 16 * 1024}
        )
    assert r.status_code in (400, 401, 413, 431)
