"""POST /auth/login and /auth/token: checklist row 1, and the per-account throttle in-process.

Rows 21 and 22 (two server processes) are in test_auth_throttle.py.
"""

import statistics
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable

import asyncpg
import httpx
import pytest

from alfred_crm_core import Database
from alfred_reference_api import Settings, create_app
from alfred_reference_api.testing import Account, sign_up

pytestmark = pytest.mark.anyio

Signup = Callable[..., Awaitable[Account]]
LOGIN = "/api/v1/auth/login"


@pytest.fixture
async def realistic_client(settings: Settings, db: Database) -> AsyncIterator[httpx.AsyncClient]:
    """An app with a production-like argon2 cost and a throttle that stays out of the way."""
    tuned = settings.model_copy(
        update={
            "password_hash_time_cost": 2,
            "password_hash_memory_kib": 19 * 1024,
            "login_max_failures": 1000,
        }
    )
    transport = httpx.ASGITransport(app=create_app(tuned, database=db))
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as c:
        yield c


async def test_unknown_email_and_wrong_password_look_the_same(  # row 1
    realistic_client: httpx.AsyncClient,
) -> None:
    account = await sign_up(realistic_client)
    known = {"email": account.email, "password": "wrong-password"}
    unknown_bodies: list[dict[str, object]] = []
    known_bodies: list[dict[str, object]] = []
    unknown_times: list[float] = []
    known_times: list[float] = []
    for _ in range(30):  # interleaved, so that drift in machine load hits both alike
        for payload, bodies, times in (
            (
                {"email": f"{uuid.uuid4().hex}@example.com", "password": "pw"},
                unknown_bodies,
                unknown_times,
            ),
            (known, known_bodies, known_times),
        ):
            started = time.perf_counter()
            r = await realistic_client.post(LOGIN, json=payload)
            times.append(time.perf_counter() - started)
            assert r.status_code == 401 and r.headers["www-authenticate"] == "Bearer"
            bodies.append(r.json())
    assert all(b == known_bodies[0] for b in unknown_bodies + known_bodies)
    assert known_bodies[0]["code"] == "invalid_credentials"
    slow, fast = sorted([statistics.median(unknown_times), statistics.median(known_times)])
    assert (slow - fast) / slow < 0.2, (unknown_times, known_times)


async def test_disabled_user_gets_the_same_401(
    client: httpx.AsyncClient, signup: Signup, database_url: str
) -> None:
    account = await signup()
    wrong = await client.post(LOGIN, json={"email": account.email, "password": "nope-nope"})
    conn = await asyncpg.connect(database_url)
    await conn.execute("UPDATE users SET is_active = false")
    await conn.close()
    disabled = await client.post(LOGIN, json={"email": account.email, "password": account.password})
    assert disabled.status_code == 401 and disabled.json() == wrong.json()


async def test_sixth_attempt_is_429_with_an_integer_retry_after(
    client: httpx.AsyncClient, signup: Signup
) -> None:
    victim, bystander = await signup(), await signup()
    for _ in range(5):
        r = await client.post(LOGIN, json={"email": victim.email, "password": "wrong-one"})
        assert r.status_code == 401
    for password in ("wrong-one", victim.password):  # the right password is refused too
        r = await client.post(LOGIN, json={"email": victim.email, "password": password})
        assert r.status_code == 429 and r.json()["code"] == "too_many_attempts"
        assert r.headers["retry-after"].isdigit() and 0 < int(r.headers["retry-after"]) <= 900
    r = await client.post(LOGIN, json={"email": bystander.email, "password": bystander.password})
    assert r.status_code == 200


async def test_unknown_emails_are_throttled_too(client: httpx.AsyncClient) -> None:
    statuses = [
        (await client.post(LOGIN, json={"email": "ghost@example.com", "password": "x"})).status_code
        for _ in range(6)
    ]
    assert statuses == [401] * 5 + [429]


async def test_oauth2_password_form_logs_in(client: httpx.AsyncClient, signup: Signup) -> None:
    account = await signup()
    r = await client.post(
        "/api/v1/auth/token", data={"username": account.email, "password": account.password}
    )
    assert r.status_code == 200 and r.json()["token_type"] == "bearer"
    me = await client.get(
        "/api/v1/auth/me", headers={"Authorization": f"Bearer {r.json()['access_token']}"}
    )
    assert me.json()["user"]["email"] == account.email
    bad = await client.post("/api/v1/auth/token", data={"username": account.email, "password": "x"})
    assert bad.status_code == 401


@pytest.mark.parametrize(
    "body",
    [{}, {"email": "a@example.com"}, {"password": "x"}, {"email": "a@example.com", "password": ""}],
)
async def test_incomplete_bodies_are_422(client: httpx.AsyncClient, body: dict[str, str]) -> None:
    assert (await client.post(LOGIN, json=body)).status_code == 422


async def test_me_shows_the_user_and_the_tenant_with_role(
    client: httpx.AsyncClient, signup: Signup
) -> None:
    account = await signup(name="Grace")
    body = (await client.get("/api/v1/auth/me", headers=account.headers)).json()
    assert body["user"]["id"] == str(account.user_id) and body["user"]["name"] == "Grace"
    assert body["tenant"] == {"id": str(account.tenant_id), "name": "Grace", "role": "owner"}
