"""POST /auth/refresh and /auth/logout: checklist rows 16 to 20."""

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import timedelta

import asyncpg
import httpx
import pytest

from alfred_crm_core.clock import frozen_clock, utcnow
from alfred_reference_api.testing import Account

pytestmark = pytest.mark.anyio

Signup = Callable[..., Awaitable[Account]]
REFRESH = "/api/v1/auth/refresh"


async def _refresh(client: httpx.AsyncClient, token: str) -> httpx.Response:
    return await client.post(REFRESH, json={"refresh_token": token})


async def _token_states(url: str) -> list[tuple[bool, bool]]:
    """(used, revoked) of every refresh token, oldest first."""
    conn = await asyncpg.connect(url)
    try:
        rows = await conn.fetch(
            "SELECT used_at IS NOT NULL AS used, revoked_at IS NOT NULL AS revoked"
            " FROM refresh_tokens ORDER BY created_at, id"
        )
        return [(r["used"], r["revoked"]) for r in rows]
    finally:
        await conn.close()


async def test_refresh_returns_a_new_pair_and_marks_the_old_token_used(  # row 16
    client: httpx.AsyncClient, signup: Signup, database_url: str
) -> None:
    account = await signup()
    r = await _refresh(client, account.refresh_token)
    assert r.status_code == 200
    body = r.json()
    assert body["refresh_token"] != account.refresh_token
    assert body["access_token"] != account.access_token
    assert body["user"]["id"] == str(account.user_id)
    headers = {"Authorization": f"Bearer {body['access_token']}"}
    assert (await client.get("/api/v1/auth/me", headers=headers)).status_code == 200
    assert await _token_states(database_url) == [(True, False), (False, False)]


async def test_replay_revokes_the_family_and_logs_a_security_event(  # row 17
    client: httpx.AsyncClient,
    signup: Signup,
    database_url: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    account = await signup()
    rt2 = (await _refresh(client, account.refresh_token)).json()["refresh_token"]
    with caplog.at_level(logging.WARNING, logger="alfred_crm_core"):
        replay = await _refresh(client, account.refresh_token)
    assert replay.status_code == 401 and replay.json()["code"] == "invalid_grant"
    after = await _refresh(client, rt2)
    assert after.status_code == 401 and after.json() == replay.json()
    assert await _token_states(database_url) == [(True, True), (False, True)]
    events = [
        r for r in caplog.records if getattr(r, "event", None) == "security.refresh_token_reuse"
    ]
    assert len(events) == 1 and getattr(events[0], "user_id", None) == str(account.user_id)
    assert account.refresh_token not in caplog.text and rt2 not in caplog.text


async def test_ten_concurrent_refreshes_let_exactly_one_through(  # row 18
    client: httpx.AsyncClient, signup: Signup, database_url: str
) -> None:
    account = await signup()
    responses = await asyncio.gather(*(_refresh(client, account.refresh_token) for _ in range(10)))
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [200] + [401] * 9
    live = [s for s in await _token_states(database_url) if s == (False, False)]
    assert len(live) <= 1


async def test_rotation_stops_at_the_familys_absolute_lifetime(  # row 19
    client: httpx.AsyncClient, signup: Signup
) -> None:
    start = utcnow()
    with frozen_clock(start):
        token = (await signup()).refresh_token
    for day in (29, 58, 87, 89):
        with frozen_clock(start + timedelta(days=day)):
            r = await _refresh(client, token)
            assert r.status_code == 200, day
            token = r.json()["refresh_token"]
    with frozen_clock(start + timedelta(days=90)):
        assert (await _refresh(client, token)).status_code == 401


async def test_logout_ends_the_session_and_its_access_tokens(  # row 20
    client: httpx.AsyncClient, signup: Signup
) -> None:
    account = await signup()
    r = await client.post("/api/v1/auth/logout", json={"refresh_token": account.refresh_token})
    assert r.status_code == 204 and r.content == b""
    assert (await _refresh(client, account.refresh_token)).status_code == 401
    me = await client.get("/api/v1/auth/me", headers=account.headers)
    assert me.status_code == 401  # token_version: old access tokens die at logout
    again = await client.post("/api/v1/auth/logout", json={"refresh_token": account.refresh_token})
    assert again.status_code == 204
    unknown = await client.post("/api/v1/auth/logout", json={"refresh_token": "never-issued"})
    assert unknown.status_code == 204


async def test_other_sessions_survive_a_logout_by_refreshing(
    client: httpx.AsyncClient, signup: Signup
) -> None:
    account = await signup()
    login = await client.post(
        "/api/v1/auth/login", json={"email": account.email, "password": account.password}
    )
    await client.post("/api/v1/auth/logout", json={"refresh_token": account.refresh_token})
    assert (await _refresh(client, login.json()["refresh_token"])).status_code == 200


@pytest.mark.parametrize("body", [{}, {"refresh_token": ""}, {"refresh_token": "x" * 513}])
async def test_malformed_refresh_bodies_are_422(
    client: httpx.AsyncClient, body: dict[str, str]
) -> None:
    assert (await client.post(REFRESH, json=body)).status_code == 422
