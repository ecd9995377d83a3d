"""Ingestion: the one transaction behind `POST /webhooks/{channel}`.

Steps, all in the caller's unit of work (so a failure leaves nothing behind):

1. Serialise copies of the same message: a transaction-scoped advisory lock on
   (tenant, channel, message id), then look the message up. Found: answer it as a duplicate,
   change nothing, emit nothing. So 16 concurrent copies give one new message and one event.
2. Upsert the contact by normalised e-mail (e-mail channel) or E.164 phone (WhatsApp, SMS); a web
   chat session id that is neither is kept in `attributes.webchat_session`.
3. Find the conversation: the thread named by `in_reply_to` when it is still active, else the
   contact's active conversation on the channel, else open one.
4. Triage through the injected `Triager` port, store the message with its triage, refresh the
   conversation's latest triage and activity.
5. Touch the contact's open lead, or open one when the triage says the sender wants to buy.
6. Emit `contact.created` / `conversation.created` / `lead.created` when they happen, and
   `message.ingested`.

`retriage` replaces stored triages that used signals the contact no longer allows (a revoked
consent): see `ConsentService.revoke`.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from sqlalchemy import bindparam, func, literal_column, select, text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.sql.dml import ReturningInsert

from alfred_crm_core.clock import utcnow
from alfred_crm_core.contact.events import ContactCreated
from alfred_crm_core.contact.models import Contact
from alfred_crm_core.contact.normalize import normalize_email, normalize_phone
from alfred_crm_core.conversation.events import MessageIngested
from alfred_crm_core.conversation.models import (
    Channel,
    Conversation,
    ConversationStatus,
    Direction,
    Message,
)
from alfred_crm_core.conversation.schemas import MessageRead
from alfred_crm_core.conversation.service import ConversationService
from alfred_crm_core.errors import ValidationError
from alfred_crm_core.ingestion.schemas import InboundMessage, IngestResult, TriageRequest
from alfred_crm_core.lead.events import LeadCreated
from alfred_crm_core.lead.models import Lead, LeadStage
from alfred_crm_core.lead.service import LeadService
from alfred_crm_core.uow import UnitOfWork

__all__ = ["BUYING_INTENTS", "ConsentCheck", "IngestionService", "Triager", "no_consent"]

_log = logging.getLogger(__name__)

Triager = Callable[[TriageRequest], Awaitable[dict[str, Any]]]
"""The triage port: a JSON-ready triage (`intent`, `priority`, `sentiment`, ...) for a message."""

ConsentCheck = Callable[[UnitOfWork, uuid.UUID], Awaitable[bool]]
"""Whether a contact has an active consent for financial inference."""

BUYING_INTENTS = frozenset({"pricing", "purchase"})
"""Intents that open a lead for a contact who has none open."""


def _upsert_contact_statement(key: str) -> ReturningInsert[Contact, bool]:
    stmt = insert(Contact).values(
        id=bindparam("id"),
        tenant_id=bindparam("tenant_id"),
        name=bindparam("name"),
        email=bindparam("email"),
        phone=bindparam("phone"),
    )
    return stmt.on_conflict_do_update(
        index_elements=["tenant_id", key],
        # A no-op update so that RETURNING gives the existing row.
        set_={"tenant_id": stmt.excluded.tenant_id},
    ).returning(Contact, literal_column("(xmax = 0)").label("inserted"))


_UPSERT_CONTACT = {key: _upsert_contact_statement(key) for key in ("email", "phone")}


async def no_consent(uow: UnitOfWork, contact_id: uuid.UUID) -> bool:
    """A `ConsentCheck` for deployments that record no consents: nobody has consented."""
    return False


class IngestionService:
    """Ingest inbound channel messages into the unit of work's tenant."""

    def __init__(
        self, uow: UnitOfWork, triager: Triager, consent: ConsentCheck = no_consent
    ) -> None:
        self.uow = uow
        self.triager = triager
        self.consent = consent

    async def ingest(self, channel: Channel, data: InboundMessage) -> IngestResult:
        """Store one inbound message (idempotent per channel message id).

        Raises:
            ValidationError: `from` is not an address the channel can use (field `from`).
        """
        session, tenant = self.uow.session, self.uow.tenant_id
        await session.execute(
            text("SELECT pg_advisory_xact_lock(hashtextextended(:key, 0))"),
            {"key": f"ingest:{tenant}:{channel.value}:{data.message_id}"},
        )
        existing = (
            await session.execute(
                select(Message).where(
                    Message.tenant_id == tenant,
                    Message.channel == channel,
                    Message.external_id == data.message_id,
                )
            )
        ).scalar_one_or_none()
        if existing is not None:
            conv = await session.get(Conversation, existing.conversation_id)
            assert conv is not None  # FK
            return IngestResult(
                contact_id=conv.contact_id,
                conversation_id=conv.id,
                message=MessageRead.model_validate(existing),
                duplicate=True,
            )

        contact = await self._upsert_contact(channel, data)
        conv = await self._conversation_for(contact.id, channel, data)
        triage = await self.triager(
            TriageRequest(
                body=data.body,
                subject=data.subject,
                channel=channel.value,
                sent_at=data.sent_at,
                contact_id=contact.id,
                contact_attributes=dict(contact.attributes),
                contact_email=contact.email,
                financial_consent=await self.consent(self.uow, contact.id),
            )
        )
        message = Message(
            tenant_id=tenant,
            conversation_id=conv.id,
            direction=Direction.INBOUND,
            channel=channel,
            external_id=data.message_id,
            sender=data.sender,
            subject=data.subject,
            body=data.body,
            in_reply_to=data.in_reply_to,
            sent_at=data.sent_at,
            triage=triage,
        )
        session.add(message)
        if conv.last_message_at is None or data.sent_at >= conv.last_message_at:
            conv.last_message_at = data.sent_at
        conv.last_activity_at = utcnow()
        conv.latest_intent = triage.get("intent")
        conv.latest_priority = triage.get("priority")
        sentiment = triage.get("sentiment")
        conv.latest_sentiment = sentiment.get("label") if isinstance(sentiment, dict) else None
        if conv.subject is None and data.subject:
            conv.subject = data.subject
        await session.flush()
        lead = await self._touch_or_open_lead(contact.id, triage)
        await self.uow.emit(
            MessageIngested(
                tenant_id=tenant,
                message_id=message.id,
                conversation_id=conv.id,
                contact_id=contact.id,
                channel=channel.value,
                external_id=data.message_id,
                body=data.body,
                sent_at=data.sent_at,
                triage=triage,
            )
        )
        return IngestResult(
            contact_id=contact.id,
            conversation_id=conv.id,
            message=MessageRead.model_validate(message),
            duplicate=False,
            lead_id=lead.id if lead else None,
        )

    async def _upsert_contact(self, channel: Channel, data: InboundMessage) -> Contact:
        tenant = self.uow.tenant_id
        name = data.from_name or data.sender
        email = phone = session_id = None
        if channel == Channel.EMAIL:
            email = normalize_email(data.sender, field="from")
        elif channel in (Channel.WHATSAPP, Channel.SMS):
            phone = normalize_phone(data.sender, field="from")
        else:  # web chat: an e-mail, a phone, or an opaque session id
            if "@" in data.sender:
                email = normalize_email(data.sender, field="from")
            else:
                try:
                    phone = normalize_phone(data.sender, field="from")
                except ValidationError:
                    session_id = data.sender

        if session_id is not None:
            await self.uow.session.execute(
                text("SELECT pg_advisory_xact_lock(hashtextextended(:key, 0))"),
                {"key": f"webchat:{tenant}:{session_id}"},
            )
            found = (
                await self.uow.session.execute(
                    select(Contact).where(
                        Contact.tenant_id == tenant,
                        Contact.attributes["webchat_session"].astext == session_id,
                    )
                )
            ).scalar_one_or_none()
            if found is not None:
                return found
            contact = Contact(
                tenant_id=tenant, name=name, attributes={"webchat_session": session_id}
            )
            self.uow.session.add(contact)
            await self.uow.session.flush()
            await self._contact_created(contact)
            return contact

        key = "email" if email is not None else "phone"
        # One statement: the upsert returns the whole row (no re-SELECT), and the statement is
        # built once so SQLAlchemy's compiled cache serves it (docs/performance.md).
        contact, inserted = (
            await self.uow.session.execute(
                _UPSERT_CONTACT[key],
                {
                    "id": uuid.uuid4(),
                    "tenant_id": tenant,
                    "name": name,
                    "email": email,
                    "phone": phone,
                },
                execution_options={"populate_existing": True},
            )
        ).one()
        if inserted:
            await self._contact_created(contact)
        return contact

    async def _contact_created(self, contact: Contact) -> None:
        await self.uow.emit(
            ContactCreated(
                tenant_id=self.uow.tenant_id,
                contact_id=contact.id,
                display_name=contact.name,
                email=contact.email,
                phone=contact.phone,
            )
        )

    async def _conversation_for(
        self, contact_id: uuid.UUID, channel: Channel, data: InboundMessage
    ) -> Conversation:
        if data.in_reply_to:
            thread = (
                await self.uow.session.execute(
                    select(Conversation)
                    .join(Message, Message.conversation_id == Conversation.id)
                    .where(
                        Message.tenant_id == self.uow.tenant_id,
                        Message.channel == channel,
                        Message.external_id == data.in_reply_to,
                        Conversation.status != ConversationStatus.RESOLVED,
                    )
                )
            ).scalar_one_or_none()
            if thread is not None:
                return thread
        conv, _ = await ConversationService(self.uow).open_for_contact(
            contact_id, channel, data.subject
        )
        return conv

    async def _touch_or_open_lead(
        self, contact_id: uuid.UUID, triage: dict[str, Any]
    ) -> Lead | None:
        leads = LeadService(self.uow)
        lead = await leads.touch(contact_id)
        guidance = triage.get("price_guidance")
        if lead is not None:
            if guidance:
                lead.price_guidance = guidance
                await self.uow.session.flush()
            return lead
        if triage.get("intent") not in BUYING_INTENTS:
            return None
        lead = Lead(
            tenant_id=self.uow.tenant_id,
            contact_id=contact_id,
            stage=LeadStage.NEW,
            title="Inbound interest",
            price_guidance=guidance or None,
        )
        self.uow.session.add(lead)
        await self.uow.session.flush()
        await self.uow.emit(
            LeadCreated(
                tenant_id=self.uow.tenant_id,
                lead_id=lead.id,
                contact_id=contact_id,
                stage=lead.stage.value,
                value=None,
                currency=None,
            )
        )
        return lead

    async def retriage(
        self, contact_id: uuid.UUID, *, signal_prefix: str, mark: str, note: str
    ) -> int:
        """Triage again, without financial consent, the contact's messages that used some signals.

        Every message of the contact whose stored triage lists a signal starting with
        `signal_prefix` gets a new triage from this service's triager (called with
        `financial_consent=False` and no contact attributes), with `mark` appended to its
        signals and `note` put before its explanation. The conversations' latest triage and
        any lead guidance taken from a replaced triage follow. Nothing is emitted: the caller
        reports what it did.

        Returns:
            How many messages were triaged again.
        """
        tenant = self.uow.tenant_id
        uses_signal = func.jsonb_path_exists(
            Message.triage,
            literal_column("'$.signals[*] ? (@ starts with $p)'::jsonpath"),
            func.jsonb_build_object("p", signal_prefix),
        )
        messages = (
            (
                await self.uow.session.execute(
                    select(Message)
                    .join(Conversation, Conversation.id == Message.conversation_id)
                    .where(
                        Message.tenant_id == tenant,
                        Conversation.tenant_id == tenant,
                        Conversation.contact_id == contact_id,
                        uses_signal,
                    )
                    .order_by(Message.sent_at, Message.id)
                    .with_for_update(of=Message)
                )
            )
            .scalars()
            .all()
        )
        replacements: list[tuple[dict[str, Any] | None, dict[str, Any] | None]] = []
        for message in messages:
            triage = await self.triager(
                TriageRequest(
                    body=message.body,
                    subject=message.subject,
                    channel=message.channel.value,
                    sent_at=message.sent_at,
                    contact_id=contact_id,
                    contact_attributes={},
                    financial_consent=False,
                )
            )
            triage["signals"] = [*triage.get("signals", []), mark]
            triage["explanation"] = f"{note} {triage.get('explanation', '')}".strip()
            replacements.append(
                ((message.triage or {}).get("price_guidance"), triage.get("price_guidance"))
            )
            message.triage = triage
        await self.uow.session.flush()
        for conversation_id in dict.fromkeys(m.conversation_id for m in messages):
            await self._refresh_latest_triage(conversation_id)
        if replacements:
            await LeadService(self.uow).replace_price_guidance(contact_id, replacements)
        return len(messages)

    async def _refresh_latest_triage(self, conversation_id: uuid.UUID) -> None:
        newest = (
            await self.uow.session.execute(
                select(Message)
                .where(
                    Message.tenant_id == self.uow.tenant_id,
                    Message.conversation_id == conversation_id,
                    Message.direction == Direction.INBOUND,
                )
                .order_by(Message.sent_at.desc(), Message.id.desc())
                .limit(1)
            )
        ).scalar_one()
        conv = await ConversationService(self.uow).get(conversation_id)
        triage = newest.triage or {}
        conv.latest_intent = triage.get("intent")
        conv.latest_priority = triage.get("priority")
        sentiment = triage.get("sentiment")
        conv.latest_sentiment = sentiment.get("label") if isinstance(sentiment, dict) else None
        await self.uow.session.flush()
