"""Consent for financial inference and on-demand income inference, end to end (row 47).

The provider is a recording `FakeProvider` swapped into the app's runtime: it proves which
requests reach the provider at all, and what they carry.
"""

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from alfred_ai import ALLOWED_ATTRIBUTES, IncomeAwareAIProvider, Intent, PriceGuidance
from alfred_ai.testing import SENSITIVE_ATTRIBUTES, FakeProvider, make_triage
from alfred_crm_core import Database
from alfred_reference_api import Settings, create_app
from alfred_reference_api.testing import Account, count_rows
from alfred_reference_api.triage import ai_triager

pytestmark = pytest.mark.anyio
SignUp = Callable[..., Awaitable[Account]]

FI = "/api/v1/contacts/{id}/consents/financial_inference"
INFER = "/api/v1/contacts/{id}/inferences/income"
GRANT = {"purpose_text_version": "2026-11", "source": "whatsapp"}
ATTRIBUTES = {"company_size": 600, "annual_revenue": 50_000_000, **SENSITIVE_ATTRIBUTES}
INCOME_TRIAGE = make_triage(
    intent=Intent.PRICING,
    lead_score=90,
    price_guidance=PriceGuidance(
        tier="enterprise",
        discount_min_pct=0,
        discount_max_pct=5,
        currency="BRL",
        rationale="high income band from consented signals",
    ),
    signals=("intent:keywords", "income:company_size", "income:blend"),
    provider="income",
)


@pytest.fixture
def fake(app: FastAPI) -> FakeProvider:
    """A recording provider behind the inference endpoint (the real adapter still wraps it)."""
    provider = FakeProvider(result=INCOME_TRIAGE)
    app.state.runtime.income_provider = provider
    return provider


@pytest.fixture
async def me(signup: SignUp) -> Account:
    return await signup()


async def _contact(client: httpx.AsyncClient, me: Account, **attributes: Any) -> str:
    r = await client.post(
        "/api/v1/contacts",
        headers=me.headers,
        json={"name": "Ana", "email": "ana@acme.com.br", "attributes": attributes},
    )
    assert r.status_code == 201, r.text
    contact_id: str = r.json()["id"]
    return contact_id


@pytest.fixture
async def contact(client: httpx.AsyncClient, me: Account) -> str:
    return await _contact(client, me, **ATTRIBUTES)


async def _history(client: httpx.AsyncClient, me: Account, contact: str) -> dict[str, Any]:
    r = await client.get(f"/api/v1/contacts/{contact}/consents", headers=me.headers)
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


@pytest.fixture
async def other_version_client(
    settings: Settings, db: Database
) -> AsyncIterator[httpx.AsyncClient]:
    """The same database served by an app whose consent text version is still 2026-01."""
    app = create_app(
        settings.model_copy(update={"consent_financial_inference_text_version": "2026-01"}),
        database=db,
    )
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as c:
        yield c


class TestConsentRecords:
    async def test_grant_records_who_when_which_version_and_where(
        self, client: httpx.AsyncClient, me: Account, contact: str
    ) -> None:
        r = await client.put(FI.format(id=contact), headers=me.headers, json=GRANT)
        assert r.status_code == 201, r.text
        record = r.json()
        assert record["action"] == "granted" and record["purpose"] == "financial_inference"
        assert (record["purpose_text_version"], record["source"]) == ("2026-11", "whatsapp")
        assert record["recorded_by"] == str(me.user_id) and record["recorded_at"].endswith("Z")
        assert record["active"] is True and record["contact_id"] == contact

    @pytest.mark.parametrize(
        "body",
        [
            {"purpose_text_version": "2026-01", "source": "email"},
            {"purpose_text_version": "", "source": "email"},
            {"purpose_text_version": "2026-11"},
            {"source": "email"},
            {"purpose_text_version": "2026-11", "source": ""},
            {"purpose_text_version": "2026-11", "source": "x" * 101},
        ],
    )
    async def test_bad_grants_are_422_and_record_nothing(
        self,
        client: httpx.AsyncClient,
        me: Account,
        contact: str,
        db: Database,
        body: dict[str, Any],
    ) -> None:
        r = await client.put(FI.format(id=contact), headers=me.headers, json=body)
        assert r.status_code == 422, r.text
        if body.get("purpose_text_version") == "2026-01":
            assert r.json()["errors"][0]["field"] == "purpose_text_version"
            assert "2026-11" in r.json()["detail"]
        assert await count_rows(db, "consent_records") == {"consent_records": 0}

    async def test_unknown_purpose_is_422(
        self, client: httpx.AsyncClient, me: Account, contact: str
    ) -> None:
        r = await client.put(
            f"/api/v1/contacts/{contact}/consents/marketing", headers=me.headers, json=GRANT
        )
        assert r.status_code == 422

    async def test_history_is_append_only_newest_first(
        self, client: httpx.AsyncClient, me: Account, contact: str
    ) -> None:
        url = FI.format(id=contact)
        await client.put(url, headers=me.headers, json=GRANT)
        assert (
            await client.delete(url + "?source=phone_call", headers=me.headers)
        ).status_code == 204
        await client.put(url, headers=me.headers, json={**GRANT, "source": "webchat"})
        history = await _history(client, me, contact)
        assert [(i["action"], i["source"], i["active"]) for i in history["items"]] == [
            ("granted", "webchat", True),
            ("revoked", "phone_call", False),
            ("granted", "whatsapp", False),
        ]
        assert history["current_purpose_text_versions"] == {"financial_inference": "2026-11"}

    async def test_revoking_without_a_grant_is_204_and_records_nothing(
        self, client: httpx.AsyncClient, me: Account, contact: str
    ) -> None:
        for _ in range(2):
            r = await client.delete(FI.format(id=contact), headers=me.headers)
            assert r.status_code == 204 and r.content == b""
        assert (await _history(client, me, contact))["items"] == []

    async def test_a_new_text_version_deactivates_earlier_grants(
        self,
        client: httpx.AsyncClient,
        other_version_client: httpx.AsyncClient,
        me: Account,
        contact: str,
    ) -> None:
        old = {**GRANT, "purpose_text_version": "2026-01"}
        r = await other_version_client.put(FI.format(id=contact), headers=me.headers, json=old)
        assert r.status_code == 201 and r.json()["active"] is True
        history = await _history(client, me, contact)  # served with version 2026-11
        assert [i["active"] for i in history["items"]] == [False]

    async def test_an_unknown_contact_is_404(self, client: httpx.AsyncClient, me: Account) -> None:
        missing = "00000000-0000-0000-0000-000000000000"
        for method, path, body in [
            ("PUT", FI.format(id=missing), GRANT),
            ("DELETE", FI.format(id=missing), None),
            ("GET", f"/api/v1/contacts/{missing}/consents", None),
            ("POST", INFER.format(id=missing), {}),
            ("GET", f"/api/v1/contacts/{missing}/inferences", None),
        ]:
            r = await client.request(method, path, headers=me.headers, json=body)
            assert r.status_code == 404, (method, path, r.text)


class TestRow47:
    async def test_no_consent_old_version_and_revoked_are_409_without_calling_the_provider(
        self,
        client: httpx.AsyncClient,
        other_version_client: httpx.AsyncClient,
        me: Account,
        contact: str,
        fake: FakeProvider,
        db: Database,
    ) -> None:
        url, infer = FI.format(id=contact), INFER.format(id=contact)
        body = {"body": "Quanto custa o plano para 600 pessoas?"}

        async def refused() -> None:
            r = await client.post(infer, headers=me.headers, json=body)
            assert r.status_code == 409, r.text
            assert r.json()["code"] == "consent_required"
            assert r.headers["content-type"] == "application/problem+json"

        await refused()  # no consent at all
        old = {**GRANT, "purpose_text_version": "2026-01"}
        assert (
            await other_version_client.put(url, headers=me.headers, json=old)
        ).status_code == 201
        await refused()  # consent to an older purpose text
        assert (await client.put(url, headers=me.headers, json=GRANT)).status_code == 201
        assert (await client.delete(url, headers=me.headers)).status_code == 204
        await refused()  # revoked
        assert fake.calls == []
        assert await count_rows(db, "inferences") == {"inferences": 0}

        granted = await client.put(url, headers=me.headers, json={**GRANT, "source": "webchat"})
        r = await client.post(infer, headers=me.headers, json=body)
        assert r.status_code == 200, r.text
        inference = r.json()
        assert inference["kind"] == "income" and inference["consent_id"] == granted.json()["id"]
        assert inference["purpose_text_version"] == "2026-11" and inference["message_id"] is None
        assert "income:blend" in inference["result"]["signals"]
        assert inference["created_by"] == str(me.user_id)
        assert len(fake.calls) == 1
        (record,) = [i for i in (await _history(client, me, contact))["items"] if i["active"]]
        assert (record["purpose_text_version"], record["source"]) == ("2026-11", "webchat")
        assert record["recorded_at"]

        listed = await client.get(f"/api/v1/contacts/{contact}/inferences", headers=me.headers)
        assert [i["id"] for i in listed.json()["items"]] == [inference["id"]]
        assert (await client.delete(url, headers=me.headers)).status_code == 204
        listed = await client.get(f"/api/v1/contacts/{contact}/inferences", headers=me.headers)
        assert listed.json()["items"] == []
        assert await count_rows(db, "inferences") == {"inferences": 0}

    async def test_the_provider_sees_only_allowlisted_attributes(
        self, client: httpx.AsyncClient, me: Account, contact: str, fake: FakeProvider
    ) -> None:
        await client.put(FI.format(id=contact), headers=me.headers, json=GRANT)
        r = await client.post(INFER.format(id=contact), headers=me.headers, json={"body": "Preço?"})
        assert r.status_code == 200, r.text
        ((message, context),) = fake.calls
        seen = dict(context.contact_attributes)
        assert seen == {"company_size": 600, "annual_revenue": 50_000_000}
        assert set(seen) <= ALLOWED_ATTRIBUTES
        assert context.financial_consent is True and context.contact_email == "ana@acme.com.br"
        assert message.body == "Preço?"
        dumped = context.model_dump_json()
        for key, value in SENSITIVE_ATTRIBUTES.items():
            assert key not in dumped and str(value) not in dumped

    async def test_without_a_body_the_latest_inbound_message_is_read(
        self, client: httpx.AsyncClient, me: Account, contact: str, fake: FakeProvider
    ) -> None:
        await client.put(FI.format(id=contact), headers=me.headers, json=GRANT)
        r = await client.post(INFER.format(id=contact), headers=me.headers)
        assert r.status_code == 422 and r.json()["errors"][0]["field"] == "body"
        for n, text in enumerate(["Oi", "Quanto custa para 600 pessoas?"]):
            await client.post(
                "/api/v1/webhooks/email",
                headers=me.headers,
                json={
                    "message_id": f"m{n}",
                    "from": "ana@acme.com.br",
                    "body": text,
                    "sent_at": f"2026-11-0{n + 1}T12:00:00Z",
                },
            )
        r = await client.post(INFER.format(id=contact), headers=me.headers, json={})
        assert r.status_code == 200, r.text
        assert r.json()["message_id"] is not None
        assert fake.calls[-1][0].body == "Quanto custa para 600 pessoas?"

    async def test_the_real_income_provider_blends_consented_signals_only(
        self, client: httpx.AsyncClient, app: FastAPI, me: Account, contact: str
    ) -> None:
        assert isinstance(app.state.runtime.income_provider, IncomeAwareAIProvider)
        await client.put(FI.format(id=contact), headers=me.headers, json=GRANT)
        r = await client.post(
            INFER.format(id=contact),
            headers=me.headers,
            json={"body": "Qual o preço do plano anual?"},
        )
        assert r.status_code == 200, r.text
        result = r.json()["result"]
        assert result["provider"] == "income" and "income:company_size" in result["signals"]
        assert result["price_guidance"]["tier"] == "enterprise"
        assert "Sao Paulo" not in result["explanation"] and "location" not in result["explanation"]


class TestIngestionUnderConsent:
    """`AI_PROVIDER_BACKEND=income`: consent read per message, revocation re-triages."""

    @pytest.fixture
    def settings(self, settings: Settings) -> Settings:
        return settings.model_copy(update={"ai_provider_backend": "income"})

    async def _ingest(self, client: httpx.AsyncClient, me: Account, n: int) -> dict[str, Any]:
        r = await client.post(
            "/api/v1/webhooks/email",
            headers=me.headers,
            json={
                "message_id": f"i{n}",
                "from": "ana@acme.com.br",
                "body": "Qual o preço do plano anual para a empresa?",
                "sent_at": f"2026-11-0{n}T12:00:00Z",
            },
        )
        assert r.status_code == 201, r.text
        body: dict[str, Any] = r.json()
        return body

    async def test_consent_turns_income_signals_on_and_revocation_takes_them_back(
        self, client: httpx.AsyncClient, me: Account, contact: str
    ) -> None:
        def income(triage: dict[str, Any]) -> list[str]:
            return [s for s in triage["signals"] if s.startswith("income:")]

        before = await self._ingest(client, me, 1)
        assert income(before["message"]["triage"]) == []
        assert (
            "Consent for financial inference is missing"
            in (before["message"]["triage"]["explanation"])
        )
        await client.put(FI.format(id=contact), headers=me.headers, json=GRANT)
        during = await self._ingest(client, me, 2)
        assert "income:company_size" in income(during["message"]["triage"])
        lead = (await client.get(f"/api/v1/leads/{during['lead_id']}", headers=me.headers)).json()
        assert lead["price_guidance"] == during["message"]["triage"]["price_guidance"]

        assert (await client.delete(FI.format(id=contact), headers=me.headers)).status_code == 204
        conv = during["conversation_id"]
        messages = (
            await client.get(f"/api/v1/conversations/{conv}/messages", headers=me.headers)
        ).json()["items"]
        by_id = {m["external_id"]: m["triage"] for m in messages}
        assert by_id["i1"] == before["message"]["triage"]  # never used income: untouched
        redone = by_id["i2"]
        assert income(redone) == [] and redone["signals"][-1] == "consent:revoked"
        assert redone["price_guidance"] != during["message"]["triage"]["price_guidance"]
        assert redone["explanation"].startswith("Triaged again without income signals")
        lead = (await client.get(f"/api/v1/leads/{during['lead_id']}", headers=me.headers)).json()
        assert lead["price_guidance"] == redone["price_guidance"]
        after = await self._ingest(client, me, 3)
        assert income(after["message"]["triage"]) == []

    async def test_biometric_and_location_attributes_never_reach_the_provider(
        self, client: httpx.AsyncClient, app: FastAPI, me: Account, contact: str
    ) -> None:
        recording = FakeProvider()
        app.state.runtime.triager = ai_triager(recording)
        await client.put(FI.format(id=contact), headers=me.headers, json=GRANT)
        await self._ingest(client, me, 1)
        ((_, context),) = recording.calls
        assert context.financial_consent is True
        seen = dict(context.contact_attributes)
        assert seen == {"company_size": 600, "annual_revenue": 50_000_000}
        assert not set(seen) & set(SENSITIVE_ATTRIBUTES)
