import uuid
from collections.abc import Awaitable, Callable

import httpx
import pytest

from alfred_reference_api.testing import Account

pytestmark = pytest.mark.anyio
SignUp = Callable[..., Awaitable[Account]]


async def test_contact_crud_round_trip(client: httpx.AsyncClient, signup: SignUp) -> None:
    me = await signup()
    created = await client.post(
        "/api/v1/contacts",
        headers=me.headers,
        json={
            "name": "Ana Souza",
            "email": "Ana@Cliente.com.br",
            "phone": "11 98765-4321",
            "tags": ["vip"],
            "attributes": {"plan": "pro"},
        },
    )
    assert created.status_code == 201, created.text
    body = created.json()
    assert (body["email"], body["phone"]) == ("ana@cliente.com.br", "+5511987654321")
    cid = body["id"]
    got = await client.get(f"/api/v1/contacts/{cid}", headers=me.headers)
    assert got.json() == body
    patched = await client.patch(
        f"/api/v1/contacts/{cid}", headers=me.headers, json={"name": "Ana S.", "phone": None}
    )
    assert patched.status_code == 200
    assert (patched.json()["name"], patched.json()["phone"]) == ("Ana S.", None)
    deleted = await client.delete(f"/api/v1/contacts/{cid}", headers=me.headers)
    assert deleted.status_code == 204
    assert (await client.get(f"/api/v1/contacts/{cid}", headers=me.headers)).status_code == 404


async def test_duplicate_email_is_409_and_nothing_is_written(
    client: httpx.AsyncClient, signup: SignUp
) -> None:
    me = await signup()
    await client.post(
        "/api/v1/contacts", headers=me.headers, json={"name": "A", "email": "a@x.com"}
    )
    clash = await client.post(
        "/api/v1/contacts", headers=me.headers, json={"name": "B", "email": " A@X.COM "}
    )
    assert clash.status_code == 409
    assert clash.headers["content-type"] == "application/problem+json"
    assert clash.json()["code"] == "conflict"
    listed = (await client.get("/api/v1/contacts", headers=me.headers)).json()
    assert [c["name"] for c in listed["items"]] == ["A"]


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"name": ""}, "body.name"),
        ({"name": "X", "email": "nope"}, "email"),
        ({"name": "X", "phone": "12"}, "phone"),
        ({"name": "X", "tags": "vip"}, "body.tags"),
        ({}, "body.name"),
    ],
)
async def test_bad_contact_input_is_422_naming_the_field(
    client: httpx.AsyncClient, signup: SignUp, payload: dict[str, object], field: str
) -> None:
    me = await signup()
    r = await client.post("/api/v1/contacts", headers=me.headers, json=payload)
    assert r.status_code == 422
    assert field in [e["field"] for e in r.json()["errors"]]
    assert (await client.get("/api/v1/contacts", headers=me.headers)).json()["items"] == []


async def test_search_tag_filter_and_pagination(client: httpx.AsyncClient, signup: SignUp) -> None:
    me = await signup()
    for i in range(5):
        await client.post(
            "/api/v1/contacts",
            headers=me.headers,
            json={
                "name": f"Cliente {i}",
                "email": f"c{i}@loja.com",
                "tags": ["b2b"] if i < 2 else [],
            },
        )
    await client.post(
        "/api/v1/contacts", headers=me.headers, json={"name": "Outro", "phone": "+1 415 555 0100"}
    )
    found = (await client.get("/api/v1/contacts?q=LOJA", headers=me.headers)).json()["items"]
    by_phone = (await client.get("/api/v1/contacts?q=415555", headers=me.headers)).json()["items"]
    tagged = (await client.get("/api/v1/contacts?tag=b2b", headers=me.headers)).json()["items"]
    assert len(found) == 5
    assert [c["name"] for c in by_phone] == ["Outro"]
    assert {c["name"] for c in tagged} == {"Cliente 0", "Cliente 1"}
    names, cursor = [], None
    while True:
        params = {"limit": "2", **({"cursor": cursor} if cursor else {})}
        page = (await client.get("/api/v1/contacts", headers=me.headers, params=params)).json()
        names += [c["name"] for c in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert len(names) == 6 and len(set(names)) == 6
    assert names[0] == "Outro"  # newest first


@pytest.mark.parametrize("params", [{"limit": "0"}, {"limit": "201"}, {"cursor": "%%%"}])
async def test_bad_paging_is_422(
    client: httpx.AsyncClient, signup: SignUp, params: dict[str, str]
) -> None:
    me = await signup()
    r = await client.get("/api/v1/contacts", headers=me.headers, params=params)
    assert r.status_code == 422
    assert r.headers["content-type"] == "application/problem+json"


async def test_unknown_and_malformed_ids(client: httpx.AsyncClient, signup: SignUp) -> None:
    me = await signup()
    assert (
        await client.get(f"/api/v1/contacts/{uuid.uuid4()}", headers=me.headers)
    ).status_code == 404
    assert (await client.get("/api/v1/contacts/not-a-uuid", headers=me.headers)).status_code == 422


async def test_contacts_need_a_token(client: httpx.AsyncClient) -> None:
    r = await client.get("/api/v1/contacts")
    assert r.status_code == 401
    assert r.headers["www-authenticate"] == "Bearer"


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("POST", "/api/v1/contacts", {"name": "A\u0000B", "email": "nul@x.io"}),
        ("POST", "/api/v1/contacts", {"name": "AB", "attributes": {"k": "a\u0000b"}}),
        ("GET", "/api/v1/contacts?q=%00", None),
        ("POST", "/api/v1/tasks", {"title": "T\u0000"}),
    ],
)
async def test_a_nul_character_anywhere_is_a_422_problem(
    client: httpx.AsyncClient, signup: SignUp, method: str, path: str, body: object
) -> None:
    me = await signup()
    r = await client.request(method, path, json=body, headers=me.headers)
    assert r.status_code == 422, r.text
    assert r.json()["code"] == "unstorable_value"
    listed = await client.get("/api/v1/contacts", headers=me.headers)
    assert listed.json()["items"] == []
