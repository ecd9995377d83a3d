"""API keys over HTTP: shown once, hashed, accepted as Bearer everywhere, revocable (issue 5).

Checklist row 30 holds for keys on the webhook route: a missing, invalid, revoked or
other-tenant key gets the generic 401 and nothing is stored.
"""

import hashlib
from collections.abc import Awaitable, Callable
from typing import Any

import asyncpg
import httpx
import pytest

from alfred_crm_core import Database
from alfred_reference_api.testing import Account, count_rows

pytestmark = pytest.mark.anyio
SignUp = Callable[..., Awaitable[Account]]

EMAIL = {
    "message_id": "k-1",
    "from": "customer@example.com",
    "from_name": "Customer",
    "body": "Need pricing",
    "sent_at": "2024-05-01T12:00:00Z",
}


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


async def _create(client: httpx.AsyncClient, owner: Account, name: str = "WhatsApp") -> Any:
    r = await client.post("/api/v1/api-keys", headers=owner.headers, json={"name": name})
    assert r.status_code == 201, r.text
    return r.json()


async def _fetch(url: str, sql: str, *args: object) -> Any:
    conn = await asyncpg.connect(url)
    try:
        return await conn.fetchval(sql, *args)
    finally:
        await conn.close()


@pytest.fixture
async def generic_401(client: httpx.AsyncClient) -> dict[str, Any]:
    r = await client.post("/api/v1/webhooks/email", json=EMAIL)
    assert r.status_code == 401
    body: dict[str, Any] = r.json()
    return body


async def test_create_shows_the_key_once_and_stores_only_its_hash(
    client: httpx.AsyncClient, signup: SignUp, database_url: str
) -> None:
    me = await signup()
    r = await client.post(
        "/api/v1/api-keys", headers=me.headers, json={"name": " Zapier ", "tenant_id": "x"}
    )
    assert r.status_code == 201 and r.headers["cache-control"] == "no-store"
    created = r.json()
    key = created["key"]
    assert key.startswith("alf_") and len(key) == 47
    assert created["name"] == "Zapier" and created["created_by"] == str(me.user_id)
    assert created["masked_key"] == f"alf_****{key[-4:]}" and created["last4"] == key[-4:]
    assert created["revoked_at"] is None and created["last_used_at"] is None
    stored = await _fetch(database_url, "SELECT key_hash FROM api_keys")
    assert stored == hashlib.sha256(key.encode()).digest()

    listed = (await client.get("/api/v1/api-keys", headers=me.headers)).json()
    assert [k["id"] for k in listed["items"]] == [created["id"]]
    assert "key" not in listed["items"][0] and key[4:-4] not in str(listed)


@pytest.mark.parametrize("body", [{}, {"name": ""}, {"name": "x" * 101}, {"name": 5}])
async def test_bad_names_are_422(
    client: httpx.AsyncClient, signup: SignUp, body: dict[str, Any], database_url: str
) -> None:
    me = await signup()
    r = await client.post("/api/v1/api-keys", headers=me.headers, json=body)
    assert r.status_code == 422
    assert await _fetch(database_url, "SELECT count(*) FROM api_keys") == 0


async def test_a_key_works_wherever_an_access_token_does(
    client: httpx.AsyncClient, signup: SignUp
) -> None:
    me = await signup()
    key = (await _create(client, me))["key"]
    r = await client.post("/api/v1/webhooks/email", headers=bearer(key), json=EMAIL)
    assert r.status_code == 201, r.text
    contacts = await client.get("/api/v1/contacts", headers=bearer(key))
    assert contacts.status_code == 200 and len(contacts.json()["items"]) == 1
    me_as_key = (await client.get("/api/v1/auth/me", headers=bearer(key))).json()
    assert me_as_key["user"]["id"] == str(me.user_id)
    assert me_as_key["tenant"]["role"] == "agent"  # the key's role, not its creator's (owner)
    # What the key writes is attributed to its creator.
    conv = contacts.json()["items"][0]["id"]
    task = await client.post(
        "/api/v1/tasks", headers=bearer(key), json={"title": "call back", "contact_id": conv}
    )
    assert task.status_code == 201
    listed = (await client.get("/api/v1/api-keys", headers=me.headers)).json()
    assert listed["items"][0]["last_used_at"] is not None


async def test_a_key_cannot_manage_keys(client: httpx.AsyncClient, signup: SignUp) -> None:
    me = await signup()
    created = await _create(client, me)
    key = created["key"]
    for method, path, body in [
        ("POST", "/api/v1/api-keys", {"name": "escalate"}),
        ("GET", "/api/v1/api-keys", None),
        ("DELETE", f"/api/v1/api-keys/{created['id']}", None),
    ]:
        r = await client.request(method, path, headers=bearer(key), json=body)
        assert r.status_code == 403, r.text
        assert r.json()["code"] == "forbidden"
    assert len((await client.get("/api/v1/api-keys", headers=me.headers)).json()["items"]) == 1


async def test_revoke_is_immediate_idempotent_and_keeps_the_row(
    client: httpx.AsyncClient, signup: SignUp, generic_401: dict[str, Any]
) -> None:
    me = await signup()
    created = await _create(client, me)
    assert (await client.get("/api/v1/contacts", headers=bearer(created["key"]))).status_code == 200
    for _ in range(2):
        r = await client.delete(f"/api/v1/api-keys/{created['id']}", headers=me.headers)
        assert r.status_code == 204 and r.content == b""
    r = await client.get("/api/v1/contacts", headers=bearer(created["key"]))
    assert r.status_code == 401
    assert r.json() == {**generic_401, "instance": "/api/v1/contacts"}
    (row,) = (await client.get("/api/v1/api-keys", headers=me.headers)).json()["items"]
    assert row["revoked_at"] is not None


async def test_unknown_key_id_is_404(client: httpx.AsyncClient, signup: SignUp) -> None:
    me = await signup()
    r = await client.delete(
        "/api/v1/api-keys/00000000-0000-0000-0000-000000000000", headers=me.headers
    )
    assert r.status_code == 404
    assert (await client.delete("/api/v1/api-keys/nope", headers=me.headers)).status_code == 422


class TestRow30OnTheWebhook:
    """Missing, invalid, revoked or other-tenant credentials: the generic 401, nothing stored."""

    async def _refused(
        self,
        client: httpx.AsyncClient,
        db: Database,
        generic_401: dict[str, Any],
        headers: dict[str, str] | dict[bytes, bytes],
    ) -> None:
        r = await client.post("/api/v1/webhooks/email", headers=headers, json=EMAIL)
        assert r.status_code == 401, r.text
        assert r.json() == {**generic_401, "instance": "/api/v1/webhooks/email"}
        assert r.headers["www-authenticate"] == "Bearer"
        tables = ("contacts", "conversations", "messages", "leads")
        assert await count_rows(db, *tables) == dict.fromkeys(tables, 0)

    @pytest.mark.parametrize(
        "key",
        ["alf_", "alf_" + "A" * 43, "alf_" + "A" * 5000, "alf_not valid", "ALF_x", "alf_\u00e9"],
    )
    async def test_invalid_keys(
        self,
        client: httpx.AsyncClient,
        db: Database,
        generic_401: dict[str, Any],
        key: str,
    ) -> None:
        headers = {b"Authorization": f"Bearer {key}".encode()}  # raw UTF-8 bytes for the é
        await self._refused(client, db, generic_401, headers)

    async def test_missing(
        self, client: httpx.AsyncClient, db: Database, generic_401: dict[str, Any]
    ) -> None:
        await self._refused(client, db, generic_401, {})

    async def test_a_slightly_altered_real_key(
        self,
        client: httpx.AsyncClient,
        signup: SignUp,
        db: Database,
        generic_401: dict[str, Any],
    ) -> None:
        me = await signup()
        key = (await _create(client, me))["key"]
        altered = key[:-1] + ("a" if key[-1] != "a" else "b")
        await self._refused(client, db, generic_401, bearer(altered))

    async def test_revoked(
        self,
        client: httpx.AsyncClient,
        signup: SignUp,
        db: Database,
        generic_401: dict[str, Any],
    ) -> None:
        me = await signup()
        created = await _create(client, me)
        await client.delete(f"/api/v1/api-keys/{created['id']}", headers=me.headers)
        await self._refused(client, db, generic_401, bearer(created["key"]))

    @pytest.mark.parametrize(
        "sql",
        [
            "DELETE FROM memberships WHERE user_id = $1",
            "UPDATE users SET is_active = false WHERE id = $1",
        ],
        ids=["creator-left-the-tenant", "creator-disabled"],
    )
    async def test_a_key_whose_creator_may_no_longer_act_in_the_tenant(
        self,
        client: httpx.AsyncClient,
        signup: SignUp,
        db: Database,
        database_url: str,
        generic_401: dict[str, Any],
        sql: str,
    ) -> None:
        me = await signup()
        key = (await _create(client, me))["key"]
        await _fetch(database_url, sql, me.user_id)
        await self._refused(client, db, generic_401, bearer(key))

    async def test_a_key_moved_to_another_tenant_is_refused(
        self,
        client: httpx.AsyncClient,
        signup: SignUp,
        db: Database,
        database_url: str,
        generic_401: dict[str, Any],
    ) -> None:
        """The key row claims tenant B, but its creator is a member of A only."""
        a, b = await signup(), await signup()
        key = (await _create(client, a))["key"]
        await _fetch(database_url, "UPDATE api_keys SET tenant_id = $1", b.tenant_id)
        await self._refused(client, db, generic_401, bearer(key))

    async def test_a_valid_key_writes_only_into_its_own_tenant(
        self, client: httpx.AsyncClient, signup: SignUp
    ) -> None:
        a, b = await signup(), await signup()
        key = (await _create(client, a))["key"]
        r = await client.post(
            "/api/v1/webhooks/email",
            headers=bearer(key),
            json={**EMAIL, "tenant_id": str(b.tenant_id)},
        )
        assert r.status_code == 201
        assert (await client.get("/api/v1/conversations", headers=b.headers)).json()["items"] == []
        assert (
            len((await client.get("/api/v1/conversations", headers=a.headers)).json()["items"]) == 1
        )
