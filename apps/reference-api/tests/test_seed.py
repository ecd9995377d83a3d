import httpx
import pytest

from alfred_crm_core import Database
from alfred_reference_api import Settings
from alfred_reference_api.seed import DEMO_EMAIL, DEMO_PASSWORD, seed_demo

pytestmark = pytest.mark.anyio


async def test_seed_is_idempotent_and_the_first_login_is_onboarded(
    db: Database, settings: Settings, client: httpx.AsyncClient
) -> None:
    assert "created" in (await seed_demo(db, settings))[0]
    assert "already exists" in (await seed_demo(db, settings))[0]
    login = await client.post(
        "/api/v1/auth/login", json={"email": DEMO_EMAIL, "password": DEMO_PASSWORD}
    )
    assert login.status_code == 200
    headers = {"Authorization": f"Bearer {login.json()['access_token']}"}
    items = (await client.get("/api/v1/notifications", headers=headers)).json()["items"]
    assert [(n["type"], n["entity_type"]) for n in items] == [("onboarding", "system")]


async def test_seed_fills_the_demo_workspace_once(
    db: Database, settings: Settings, client: httpx.AsyncClient
) -> None:
    first = await seed_demo(db, settings)
    second = await seed_demo(db, settings)
    assert "demo CRM data created" in first[1]
    assert "already present" in second[1]
    login = await client.post(
        "/api/v1/auth/login", json={"email": DEMO_EMAIL, "password": DEMO_PASSWORD}
    )
    headers = {"Authorization": f"Bearer {login.json()['access_token']}"}

    async def every(path: str) -> list[dict[str, object]]:
        r = await client.get(path, headers=headers, params={"limit": 200})
        assert r.status_code == 200, r.text
        items: list[dict[str, object]] = r.json()["items"]
        return items

    contacts = await every("/api/v1/contacts")
    conversations = await every("/api/v1/conversations")
    tasks = await every("/api/v1/tasks")
    leads = await every("/api/v1/leads")
    assert len(contacts) >= 20 and len(conversations) >= 20
    assert {c["channel"] for c in conversations} == {"email", "whatsapp", "sms", "webchat"}
    assert all(c["latest_intent"] for c in conversations)
    assert len(tasks) >= 10 and any(t["overdue"] for t in tasks)
    assert len(leads) >= 8
    destinations = await every("/api/v1/automations/destinations")
    assert [(d["enabled"], str(d["secret_masked"])[:6]) for d in destinations] == [
        (False, "whsec_")
    ]
    assert {"new", "qualified", "proposal", "negotiation", "won", "lost"} <= {
        lead["stage"] for lead in leads
    }
    msgs = await every(f"/api/v1/conversations/{conversations[0]['id']}/messages")
    triage = msgs[0]["triage"]
    assert isinstance(triage, dict)
    assert triage["language"] in ("pt", "en")
    # Some open leads have been quiet for more than the 7-day stall threshold.
    from datetime import UTC, datetime, timedelta

    week_ago = (datetime.now(UTC) - timedelta(days=7)).isoformat()
    assert any(
        str(lead["last_activity_at"]) < week_ago and lead["stage"] not in ("won", "lost")
        for lead in leads
    )
