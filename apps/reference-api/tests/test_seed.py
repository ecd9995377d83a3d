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
