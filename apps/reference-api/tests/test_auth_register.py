"""POST /auth/register: checklist rows 2 to 5, and the README's sample request."""

import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import asyncpg
import httpx
import pytest

from alfred_reference_api.testing import Account

pytestmark = pytest.mark.anyio

Signup = Callable[..., Awaitable[Account]]


async def _register(client: httpx.AsyncClient, **body: Any) -> httpx.Response:
    payload = {"name": "Ada", "email": f"{uuid.uuid4().hex[:10]}@example.com", "password": "secret"}
    payload.update(body)
    return await client.post("/api/v1/auth/register", json=payload)


async def _login(client: httpx.AsyncClient, email: str, password: str) -> httpx.Response:
    return await client.post("/api/v1/auth/login", json={"email": email, "password": password})


async def _scalar(url: str, sql: str, *args: object) -> Any:
    conn = await asyncpg.connect(url)
    try:
        return await conn.fetchval(sql, *args)
    finally:
        await conn.close()


async def test_readme_sample_registers_with_201_and_a_token_pair(
    client: httpx.AsyncClient,
) -> None:
    r = await client.post(
        "/api/v1/auth/register",
        headers={"Content-Type": "application/json"},
        content=b'{"name":"Ada","email":"ada@example.com","password":"secret"}',
    )
    assert r.status_code == 201, r.text
    body = r.json()
    assert set(body) == {
        "access_token",
        "refresh_token",
        "token_type",
        "expires_in",
        "user",
        "tenant",
    }
    assert body["token_type"] == "bearer" and body["expires_in"] == 900
    assert body["user"]["email"] == "ada@example.com" and body["user"]["name"] == "Ada"
    assert body["tenant"]["role"] == "owner"
    assert "password" not in r.text and "hash" not in r.text


class TestEmailVariants:  # row 2
    async def test_login_with_spaces_and_capitals_reaches_the_same_account(
        self, client: httpx.AsyncClient, signup: Signup
    ) -> None:
        alice = await signup(email="alice@example.com")
        r = await _login(client, " Alice@EXAMPLE.com ", "secret")
        assert r.status_code == 200
        assert r.json()["user"]["id"] == str(alice.user_id)

    @pytest.mark.parametrize(
        "variant", ["alice@example.com", " Alice@EXAMPLE.com ", "ALICE@example.com"]
    )
    async def test_registering_a_variant_again_is_409_and_keeps_one_row(
        self, client: httpx.AsyncClient, signup: Signup, database_url: str, variant: str
    ) -> None:
        await signup(email="alice@example.com")
        r = await _register(client, email=variant, password="other-password")
        assert r.status_code == 409 and r.json()["code"] == "conflict"
        assert r.headers["content-type"] == "application/problem+json"
        assert await _scalar(database_url, "SELECT count(*) FROM users") == 1
        assert await _scalar(database_url, "SELECT count(*) FROM tenants") == 1
        assert (await _login(client, "alice@example.com", "secret")).status_code == 200


class TestPasswordRules:  # rows 3 and 4
    async def test_shorter_than_the_minimum_is_422_naming_the_field(
        self, client: httpx.AsyncClient, database_url: str
    ) -> None:
        r = await _register(client, password="12345")  # the minimum is 6 outside production
        assert r.status_code == 422
        assert [e["field"] for e in r.json()["errors"]] == ["password"]
        assert await _scalar(database_url, "SELECT count(*) FROM users") == 0

    @pytest.mark.parametrize(
        "password",
        [
            "p" * 64,
            "p" * 1024,
            "  leading and trailing spaces  ",
            "\U0001f511\U0001f510 emoji \u00e7\u00e3o",
            "tab\tand\nnewline",
        ],
    )
    async def test_accepted_passwords_log_in_with_exactly_the_same_string(
        self, client: httpx.AsyncClient, password: str
    ) -> None:
        email = f"{uuid.uuid4().hex[:10]}@example.com"
        assert (await _register(client, email=email, password=password)).status_code == 201
        assert (await _login(client, email, password)).status_code == 200
        if password != password.strip():
            assert (await _login(client, email, password.strip())).status_code == 401

    async def test_over_the_cap_is_422_not_500(self, client: httpx.AsyncClient) -> None:
        r = await _register(client, password="p" * 1025)
        assert r.status_code == 422 and r.json()["code"] == "validation_error"

    async def test_no_truncation_at_72_bytes(self, client: httpx.AsyncClient) -> None:
        email = f"{uuid.uuid4().hex[:10]}@example.com"
        password = "".join(chr(ord("a") + i % 26) for i in range(80))
        assert (await _register(client, email=email, password=password)).status_code == 201
        assert (await _login(client, email, password[:72])).status_code == 401
        assert (await _login(client, email, password)).status_code == 200


class TestEmailRulesAndExtraFields:  # row 5
    @pytest.mark.parametrize(
        "email",
        [
            "a" * 64 + "@example.com",  # local part over 63 (checklist row 5)
            "a@" + "b" * 63 + "." + "c" * 63 + "." + "d" * 63 + "." + "e" * 60 + ".com",
            "not-an-email",
            "",
        ],
    )
    async def test_overlong_or_invalid_emails_are_422(
        self, client: httpx.AsyncClient, database_url: str, email: str
    ) -> None:
        r = await _register(client, email=email)
        assert r.status_code == 422
        assert "email" in {e["field"].split(".")[-1] for e in r.json()["errors"]}
        assert await _scalar(database_url, "SELECT count(*) FROM users") == 0

    async def test_is_admin_and_tenant_id_in_the_body_are_ignored(
        self, client: httpx.AsyncClient, signup: Signup, database_url: str
    ) -> None:
        victim = await signup()
        r = await _register(client, is_admin=True, tenant_id=str(victim.tenant_id), role="admin")
        assert r.status_code == 201
        body = r.json()
        assert body["tenant"]["id"] != str(victim.tenant_id) and body["tenant"]["role"] == "owner"
        members_of_victim = await _scalar(
            database_url, "SELECT count(*) FROM memberships WHERE tenant_id = $1", victim.tenant_id
        )
        assert members_of_victim == 1


async def test_register_and_login_are_documented_with_problem_responses(
    client: httpx.AsyncClient,
) -> None:
    paths = (await client.get("/api/v1/openapi.json")).json()["paths"]
    assert {"201", "409", "422"} <= set(paths["/api/v1/auth/register"]["post"]["responses"])
    assert {"200", "401", "422", "429"} <= set(paths["/api/v1/auth/login"]["post"]["responses"])
    assert "bearer" in str(paths["/api/v1/notifications"]["get"]["security"])
