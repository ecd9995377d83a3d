"""Consent records (append-only, versioned), the active check, revocation and inferences."""

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from alfred_crm_core import ConsentRequiredError, Database, NotFoundError, ValidationError
from alfred_crm_core.consent.models import ConsentAction, ConsentPurpose
from alfred_crm_core.consent.schemas import ConsentGrant, IncomeInferenceRequest
from alfred_crm_core.consent.service import (
    RETRIAGE_SIGNAL,
    ConsentService,
    InferenceService,
    consent_check,
)
from alfred_crm_core.contact.schemas import ContactCreate
from alfred_crm_core.contact.service import ContactService
from alfred_crm_core.conversation.models import Channel
from alfred_crm_core.ingestion.schemas import InboundMessage, TriageRequest
from alfred_crm_core.ingestion.service import IngestionService
from alfred_crm_core.lead.schemas import LeadFilter
from alfred_crm_core.lead.service import LeadService
from alfred_crm_core.testing import RecordingEventSink
from alfred_crm_core.uow import UnitOfWork

from .conftest import UowFactory

pytestmark = pytest.mark.anyio

FI = ConsentPurpose.FINANCIAL_INFERENCE
VERSIONS = {FI: "2026-11"}
GRANT = ConsentGrant(purpose_text_version="2026-11", source="whatsapp")
INCOME_GUIDANCE = {
    "tier": "enterprise",
    "discount_min_pct": 0,
    "discount_max_pct": 5,
    "currency": "BRL",
    "rationale": "high income band from consented signals",
}
PLAIN_GUIDANCE = {
    "tier": "growth",
    "discount_min_pct": 0,
    "discount_max_pct": 5,
    "currency": "BRL",
    "rationale": "no size cue",
}


class RecordingTriager:
    """A triage port that records its requests; income signals only with consent."""

    def __init__(self) -> None:
        self.requests: list[TriageRequest] = []
        self.called = asyncio.Event()
        self.gate: asyncio.Event | None = None

    async def __call__(self, request: TriageRequest) -> dict[str, Any]:
        self.requests.append(request)
        self.called.set()
        if self.gate is not None:
            await self.gate.wait()
        income = request.financial_consent
        return {
            "intent": "pricing",
            "priority": "high" if income else "medium",
            "sentiment": {"label": "neutral", "score": 0.0},
            "lead_score": 80 if income else 50,
            "price_guidance": INCOME_GUIDANCE if income else PLAIN_GUIDANCE,
            "signals": ["intent:keywords", *(["income:company_size", "income:blend"] * income)],
            "explanation": "income blend" if income else "heuristics",
            "provider": "test",
        }


def consents(u: UnitOfWork, versions: dict[ConsentPurpose, str] = VERSIONS) -> ConsentService:
    return ConsentService(u, versions, retriager=RecordingTriager())


async def _contact(uow: UowFactory, **attributes: Any) -> uuid.UUID:
    async with uow() as u:
        c = await ContactService(u).create(
            ContactCreate(name="Ana", email="ana@acme.com", attributes=attributes)
        )
    return c.id


async def _ingest(uow: UowFactory, triager: RecordingTriager, message_id: str, day: int) -> None:
    async with uow() as u:
        await IngestionService(u, triager, consent_check(VERSIONS)).ingest(
            Channel.EMAIL,
            InboundMessage.model_validate(
                {
                    "message_id": message_id,
                    "from": "ana@acme.com",
                    "body": "Quanto custa o plano?",
                    "sent_at": datetime(2026, 11, day, tzinfo=UTC),
                }
            ),
        )


class TestGrant:
    async def test_records_who_when_which_version_and_where(
        self, uow: UowFactory, sink: RecordingEventSink, add_member: Any, tenant: uuid.UUID
    ) -> None:
        contact = await _contact(uow)
        user = await add_member(tenant)
        async with uow(actor_id=user) as u:
            record = await consents(u).grant(contact, FI, GRANT)
        assert (record.action, record.purpose_text_version, record.source) == (
            ConsentAction.GRANTED,
            "2026-11",
            "whatsapp",
        )
        assert record.recorded_by == user and record.active
        assert sink.names()[-1] == "consent.granted"
        async with uow() as u:
            assert await consents(u).is_active(contact, FI)

    @pytest.mark.parametrize("version", ["2026-01", "2027-01", "2026-11 "])
    async def test_only_the_current_text_version_can_be_granted(
        self, uow: UowFactory, version: str
    ) -> None:
        contact = await _contact(uow)
        grant = ConsentGrant(purpose_text_version=version, source="email")
        if version.strip() == "2026-11":  # surrounding spaces are trimmed
            async with uow() as u:
                assert (await consents(u).grant(contact, FI, grant)).active
            return
        with pytest.raises(ValidationError) as err:
            async with uow() as u:
                await consents(u).grant(contact, FI, grant)
        assert err.value.field == "purpose_text_version" and "2026-11" in str(err.value)
        async with uow() as u:
            assert (await consents(u).history(contact)).items == []

    async def test_a_new_text_version_makes_earlier_grants_inactive(self, uow: UowFactory) -> None:
        contact = await _contact(uow)
        async with uow() as u:
            await consents(u).grant(contact, FI, GRANT)
        newer = {FI: "2027-03"}
        async with uow() as u:
            assert not await consents(u, newer).is_active(contact, FI)
            history = await consents(u, newer).history(contact)
        assert [i.active for i in history.items] == [False]
        assert history.current_purpose_text_versions == {FI: "2027-03"}


class TestRevoke:
    async def test_records_the_revocation_and_ends_the_consent_at_once(
        self, uow: UowFactory, sink: RecordingEventSink
    ) -> None:
        contact = await _contact(uow)
        async with uow() as u:
            await consents(u).grant(contact, FI, GRANT)
        async with uow() as u:
            revoked = await consents(u).revoke(contact, FI, "phone_call")
        assert revoked is not None and revoked.action == ConsentAction.REVOKED
        assert revoked.purpose_text_version == "2026-11" and not revoked.active
        async with uow() as u:
            assert not await consents(u).is_active(contact, FI)
            history = await consents(u).history(contact)
        assert [(i.action, i.active) for i in history.items] == [
            (ConsentAction.REVOKED, False),
            (ConsentAction.GRANTED, False),
        ]
        assert sink.names()[-1] == "consent.revoked"

    async def test_nothing_to_revoke_records_nothing(
        self, uow: UowFactory, sink: RecordingEventSink
    ) -> None:
        contact = await _contact(uow)
        async with uow() as u:
            assert await consents(u).revoke(contact, FI, "api") is None
        async with uow() as u:
            await consents(u).grant(contact, FI, GRANT)
            await consents(u).revoke(contact, FI, "api")
        async with uow() as u:
            assert await consents(u).revoke(contact, FI, "api") is None
            assert len((await consents(u).history(contact)).items) == 2
        assert sink.names().count("consent.revoked") == 1

    async def test_grant_after_revoke_is_active_again(self, uow: UowFactory) -> None:
        contact = await _contact(uow)
        for step in ("grant", "revoke", "grant"):
            async with uow() as u:
                if step == "grant":
                    await consents(u).grant(contact, FI, GRANT)
                else:
                    await consents(u).revoke(contact, FI, "api")
        async with uow() as u:
            history = await consents(u).history(contact)
            assert await consents(u).is_active(contact, FI)
        assert [i.active for i in history.items] == [True, False, False]

    async def test_revoking_needs_a_retriager(self, uow: UowFactory) -> None:
        contact = await _contact(uow)
        async with uow() as u:
            with pytest.raises(Exception, match="retriager"):
                await ConsentService(u, VERSIONS).revoke(contact, FI, "api")


class TestAppendOnly:
    @pytest.mark.parametrize(
        "sql", ["UPDATE consent_records SET action = 'granted'", "DELETE FROM consent_records"]
    )
    async def test_the_app_role_cannot_rewrite_history(
        self, uow: UowFactory, db: Database, tenant: uuid.UUID, sql: str
    ) -> None:
        contact = await _contact(uow)
        async with uow() as u:
            await consents(u).grant(contact, FI, GRANT)
        with pytest.raises(DBAPIError, match="permission denied"):
            async with db.transaction(tenant) as session:
                await session.execute(text(sql))

    async def test_deleting_the_contact_removes_its_history(
        self, uow: UowFactory, db: Database, tenant: uuid.UUID
    ) -> None:
        contact = await _contact(uow)
        async with uow() as u:
            await consents(u).grant(contact, FI, GRANT)
            await InferenceService(u, consents(u), RecordingTriager()).infer_income(
                contact, IncomeInferenceRequest(body="Quanto custa?")
            )
        async with uow() as u:
            await ContactService(u).delete(contact)
        async with db.transaction(tenant) as session:
            for table in ("consent_records", "inferences"):
                count = await session.execute(text(f"SELECT count(*) FROM {table}"))
                assert count.scalar() == 0


class TestTenancy:
    async def test_another_tenants_contact_is_not_found(self, uow: UowFactory) -> None:
        contact = await _contact(uow)
        other = uuid.uuid4()
        async with uow() as u:
            await consents(u).grant(contact, FI, GRANT)
        calls: list[Callable[[ConsentService], Awaitable[object]]] = [
            lambda s: s.grant(contact, FI, GRANT),
            lambda s: s.revoke(contact, FI, "api"),
            lambda s: s.history(contact),
            lambda s: s.is_active(contact, FI),
        ]
        for call in calls:
            with pytest.raises(NotFoundError):
                async with uow(other) as u:
                    await call(consents(u))
        triager = RecordingTriager()
        with pytest.raises(NotFoundError):
            async with uow(other) as u:
                await InferenceService(u, consents(u), triager).infer_income(
                    contact, IncomeInferenceRequest(body="x")
                )
        assert triager.requests == []


class TestInference:
    async def test_without_consent_the_provider_is_never_called(self, uow: UowFactory) -> None:
        contact = await _contact(uow, company_size=600)
        triager = RecordingTriager()
        for before in ("none", "old-version", "revoked"):
            async with uow() as u:
                if before == "old-version":
                    await ConsentService(u, {FI: "2026-01"}).grant(
                        contact, FI, ConsentGrant(purpose_text_version="2026-01", source="email")
                    )
                elif before == "revoked":
                    await consents(u).grant(contact, FI, GRANT)
                    await consents(u).revoke(contact, FI, "api")
            with pytest.raises(ConsentRequiredError) as err:
                async with uow() as u:
                    await InferenceService(u, consents(u), triager).infer_income(
                        contact, IncomeInferenceRequest(body="Quanto custa?")
                    )
            assert err.value.code == "consent_required" and err.value.current_version == "2026-11"
        assert triager.requests == []

    async def test_reads_the_latest_inbound_message_and_stores_the_result(
        self, uow: UowFactory, sink: RecordingEventSink
    ) -> None:
        contact = await _contact(uow, company_size=600, face_id="f-1")
        plain = RecordingTriager()
        await _ingest(uow, plain, "m1", 1)
        await _ingest(uow, plain, "m2", 2)
        async with uow() as u:
            await consents(u).grant(contact, FI, GRANT)
        triager = RecordingTriager()
        async with uow() as u:
            inference = await InferenceService(u, consents(u), triager).infer_income(
                contact, IncomeInferenceRequest()
            )
        (request,) = triager.requests
        assert request.financial_consent and request.contact_email == "ana@acme.com"
        assert request.sent_at == datetime(2026, 11, 2, tzinfo=UTC)
        assert inference.message_id is not None and inference.purpose_text_version == "2026-11"
        assert "income:blend" in inference.result["signals"]
        assert sink.names()[-1] == "inference.created"
        assert "result" not in sink.events[-1].payload()
        async with uow() as u:
            listed, _ = await InferenceService(u, consents(u), triager).list_page(
                contact, limit=10, cursor=None
            )
        assert [i.id for i in listed] == [inference.id]

    async def test_a_given_body_is_read_instead(self, uow: UowFactory) -> None:
        contact = await _contact(uow)
        async with uow() as u:
            await consents(u).grant(contact, FI, GRANT)
        triager = RecordingTriager()
        async with uow() as u:
            inference = await InferenceService(u, consents(u), triager).infer_income(
                contact, IncomeInferenceRequest(body="Preço para 500 pessoas?", channel="sms")
            )
        assert inference.message_id is None
        assert (triager.requests[0].body, triager.requests[0].channel) == (
            "Preço para 500 pessoas?",
            "sms",
        )

    async def test_no_message_and_no_body_is_a_validation_error(self, uow: UowFactory) -> None:
        contact = await _contact(uow)
        async with uow() as u:
            await consents(u).grant(contact, FI, GRANT)
        triager = RecordingTriager()
        with pytest.raises(ValidationError) as err:
            async with uow() as u:
                await InferenceService(u, consents(u), triager).infer_income(
                    contact, IncomeInferenceRequest()
                )
        assert err.value.field == "body" and triager.requests == []


class TestForgettingOnRevoke:
    async def test_inferences_go_and_income_triages_are_redone(
        self, uow: UowFactory, sink: RecordingEventSink
    ) -> None:
        contact = await _contact(uow, company_size=600)
        triager = RecordingTriager()
        await _ingest(uow, triager, "before-consent", 1)
        async with uow() as u:
            await consents(u).grant(contact, FI, GRANT)
        await _ingest(uow, triager, "with-consent", 2)
        async with uow() as u:
            await InferenceService(u, consents(u), triager).infer_income(
                contact, IncomeInferenceRequest()
            )
            leads, _ = await LeadService(u).list_page(
                filters=LeadFilter(contact_id=contact), limit=10, cursor=None
            )
        assert [lead.price_guidance for lead in leads] == [INCOME_GUIDANCE]

        retriager = RecordingTriager()
        async with uow() as u:
            await ConsentService(u, VERSIONS, retriager).revoke(contact, FI, "email")
        (redo,) = retriager.requests
        assert not redo.financial_consent and redo.contact_attributes == {}
        assert sink.events[-1].payload()["inferences_deleted"] == 1
        assert sink.events[-1].payload()["messages_retriaged"] == 1

        async with uow() as u:
            listed, _ = await InferenceService(u, consents(u), triager).list_page(
                contact, limit=10, cursor=None
            )
            assert listed == []
            leads, _ = await LeadService(u).list_page(
                filters=LeadFilter(contact_id=contact), limit=10, cursor=None
            )
            rows = (
                await u.session.execute(
                    text("SELECT external_id, triage FROM messages ORDER BY sent_at")
                )
            ).all()
            conv = (
                await u.session.execute(text("SELECT latest_priority FROM conversations"))
            ).scalar()
        assert [lead.price_guidance for lead in leads] == [PLAIN_GUIDANCE]
        triages = {r.external_id: r.triage for r in rows}
        assert triages["before-consent"]["signals"] == ["intent:keywords"]  # untouched
        redone = triages["with-consent"]
        assert not [s for s in redone["signals"] if s.startswith("income:")]
        assert redone["signals"][-1] == RETRIAGE_SIGNAL
        assert redone["price_guidance"] == PLAIN_GUIDANCE and redone["lead_score"] == 50
        assert redone["explanation"].startswith("Triaged again without income signals")
        assert conv == "medium"

    async def test_a_revocation_waits_for_an_inference_in_flight_then_removes_it(
        self, uow: UowFactory
    ) -> None:
        contact = await _contact(uow)
        async with uow() as u:
            await consents(u).grant(contact, FI, GRANT)
        slow = RecordingTriager()
        slow.gate = asyncio.Event()

        async def infer() -> None:
            async with uow() as u:
                await InferenceService(u, consents(u), slow).infer_income(
                    contact, IncomeInferenceRequest(body="Quanto custa?")
                )

        async def revoke() -> None:
            async with uow() as u:
                await consents(u).revoke(contact, FI, "api")

        inferring = asyncio.create_task(infer())
        await slow.called.wait()
        revoking = asyncio.create_task(revoke())
        await asyncio.sleep(0.3)
        assert not revoking.done()  # blocked on the contact's share lock
        slow.gate.set()
        await asyncio.gather(inferring, revoking)
        async with uow() as u:
            listed, _ = await InferenceService(u, consents(u), slow).list_page(
                contact, limit=10, cursor=None
            )
            assert listed == [] and not await consents(u).is_active(contact, FI)
