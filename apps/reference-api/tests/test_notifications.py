"""The notifications API, and the onboarding notification the first token creates."""

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest

from alfred_crm_core import Database, NotificationService, UnitOfWork, UserCreate
from alfred_reference_api import Settings
from alfred_reference_api.bootstrap import authenticator
from alfred_reference_api.testing import Account

pytestmark = pytest.mark.anyio

Signup = Callable[..., Awaitable[Account]]
NOTIFICATIONS = "/api/v1/notifications"


async def _alert(db: Database, account: Account, entity: uuid.UUID | None = None) -> None:
    async with db.transaction(account.tenant_id) as session:
        await NotificationService(UnitOfWork(session=session, tenant_id=account.tenant_id)).notify(
            user_id=account.user_id,
            type="task_overdue",
            entity_type="task",
            entity_id=entity or uuid.uuid4(),
            title="Task overdue",
            message="A task passed its due date",
        )


async def _items(client: httpx.AsyncClient, account: Account, **params: Any) -> dict[str, Any]:
    r = await client.get(NOTIFICATIONS, headers=account.headers, params=params)
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


async def test_readme_flow_register_login_then_one_onboarding_notification(
    client: httpx.AsyncClient, signup: Signup
) -> None:
    account = await signup()
    login = await client.post(
        "/api/v1/auth/login", json={"email": account.email, "password": account.password}
    )
    headers = {"Authorization": f"Bearer {login.json()['access_token']}"}
    assert (await client.get("/api/v1/conversations", headers=headers)).json() == {
        "items": [],
        "next_cursor": None,
    }
    body = (await client.get(NOTIFICATIONS, headers=headers)).json()
    assert body["next_cursor"] is None
    (onboarding,) = body["items"]
    assert (onboarding["type"], onboarding["entity_type"], onboarding["entity_id"]) == (
        "onboarding",
        "system",
        None,
    )
    assert "webhooks" in onboarding["message"] and "tokens" in onboarding["message"]
    assert onboarding["count"] == 1 and onboarding["read_at"] is None
    assert set(onboarding) == {
        "id",
        "type",
        "entity_type",
        "entity_id",
        "title",
        "message",
        "count",
        "created_at",
        "updated_at",
        "read_at",
    }


async def test_concurrent_first_logins_of_a_seeded_user_onboard_exactly_once(
    client: httpx.AsyncClient, db: Database, settings: Settings
) -> None:
    await authenticator(settings, db).ensure_account(
        UserCreate(name="Seeded", email="seeded@example.com", password="secret")
    )
    logins = await asyncio.gather(
        *(
            client.post(
                "/api/v1/auth/login", json={"email": "seeded@example.com", "password": "secret"}
            )
            for _ in range(5)  # the throttle budget: attempts in flight count until one succeeds
        )
    )
    assert [r.status_code for r in logins] == [200] * 5
    headers = {"Authorization": f"Bearer {logins[0].json()['access_token']}"}
    items = (await client.get(NOTIFICATIONS, headers=headers)).json()["items"]
    assert [n["type"] for n in items] == ["onboarding"]


async def test_pages_newest_first_and_the_unread_filter(
    client: httpx.AsyncClient, signup: Signup, db: Database
) -> None:
    account = await signup()
    for _ in range(4):
        await _alert(db, account)
    seen: list[str] = []
    cursor: str | None = None
    while True:
        page = await _items(client, account, limit=2, **({"cursor": cursor} if cursor else {}))
        seen += [n["id"] for n in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    everything = (await _items(client, account))["items"]
    assert seen == [n["id"] for n in everything] and len(seen) == 5
    assert [n["type"] for n in everything][-1] == "onboarding"  # the oldest
    await client.post(f"{NOTIFICATIONS}/{everything[0]['id']}/read", headers=account.headers)
    assert len((await _items(client, account, unread="true"))["items"]) == 4
    assert [n["id"] for n in (await _items(client, account, unread="false"))["items"]] == [
        everything[0]["id"]
    ]


async def test_repeated_alerts_collapse_into_one_with_a_count(
    client: httpx.AsyncClient, signup: Signup, db: Database
) -> None:
    account = await signup()
    task = uuid.uuid4()
    for _ in range(3):
        await _alert(db, account, task)
    overdue = [n for n in (await _items(client, account))["items"] if n["type"] == "task_overdue"]
    assert [(n["entity_id"], n["count"]) for n in overdue] == [(str(task), 3)]


async def test_read_is_idempotent_and_read_all_and_count_agree(
    client: httpx.AsyncClient, signup: Signup, db: Database
) -> None:
    account = await signup()
    await _alert(db, account)
    count = await client.get(f"{NOTIFICATIONS}/unread-count", headers=account.headers)
    assert count.json() == {"count": 2}
    first_id = (await _items(client, account))["items"][0]["id"]
    first = await client.post(f"{NOTIFICATIONS}/{first_id}/read", headers=account.headers)
    again = await client.post(f"{NOTIFICATIONS}/{first_id}/read", headers=account.headers)
    assert first.status_code == again.status_code == 200
    assert first.json()["read_at"] is not None and again.json() == first.json()
    all_read = await client.post(f"{NOTIFICATIONS}/read-all", headers=account.headers)
    assert all_read.json() == {"updated": 1}
    count = await client.get(f"{NOTIFICATIONS}/unread-count", headers=account.headers)
    assert count.json() == {"count": 0}


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("POST", f"{NOTIFICATIONS}/{uuid.uuid4()}/read", 404),
        ("POST", f"{NOTIFICATIONS}/not-a-uuid/read", 422),
        ("GET", f"{NOTIFICATIONS}?limit=0", 422),
        ("GET", f"{NOTIFICATIONS}?limit=201", 422),
        ("GET", f"{NOTIFICATIONS}?cursor=garbage", 422),
        ("GET", f"{NOTIFICATIONS}?unread=maybe", 422),
    ],
)
async def test_bad_requests_are_problems_not_errors(
    client: httpx.AsyncClient, signup: Signup, method: str, path: str, status: int
) -> None:
    account = await signup()
    r = await client.request(method, path, headers=account.headers)
    assert r.status_code == status and r.headers["content-type"] == "application/problem+json"
