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

import json
import logging
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, literal_column, select, text

from alfred_crm_core.clock import utcnow
from alfred_crm_core.contact.events import ContactCreated
from alfred_crm_core.contact.models import Contact
from alfred_crm_core.contact.normalize import normalize_email, normalize_phone
from alfred_crm_core.conversation.events import MessageIngested
from alfred_crm_core.conversation.models import (
    Channel,
    Conversation,
    Direction,
    Message,
)
from alfred_crm_core.conversation.schemas import MessageRead
from alfred_crm_core.conversation.service import ConversationService
from alfred_crm_core.errors import ValidationError
from alfred_crm_core.ingestion.schemas import InboundMessage, IngestResult, TriageRequest
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


_LOCK = "SELECT pg_advisory_xact_lock(hashtextextended($1, 0))"
_FIND_MESSAGE = """
SELECT m.id, m.conversation_id, m.direction, m.channel, m.external_id, m.sender, m.subject,
       m.body, m.in_reply_to, m.author_id, m.sent_at, m.triage, m.created_at, c.contact_id
FROM messages m JOIN conversations c ON c.tenant_id = m.tenant_id AND c.id = m.conversation_id
WHERE m.tenant_id = $1 AND m.channel = $2::channel AND m.external_id = $3
"""
_FIND_THREAD = """
SELECT m.conversation_id FROM messages m
WHERE m.tenant_id = $1 AND m.channel = $2::channel AND m.external_id = $3
"""
# The contact upsert by (tenant_id, email) or by (tenant_id, phone). The update is a no-op, so
# that RETURNING gives the existing row.
_UPSERT_BY_EMAIL = """
INSERT INTO contacts (id, tenant_id, name, email, phone, created_at, updated_at)
VALUES ($1, $2, $3, $4, $5, $6, $6)
ON CONFLICT (tenant_id, email) DO UPDATE SET tenant_id = EXCLUDED.tenant_id
RETURNING id, email, attributes, (xmax = 0) AS inserted
"""
_UPSERT_BY_PHONE = """
INSERT INTO contacts (id, tenant_id, name, email, phone, created_at, updated_at)
VALUES ($1, $2, $3, $4, $5, $6, $6)
ON CONFLICT (tenant_id, phone) DO UPDATE SET tenant_id = EXCLUDED.tenant_id
RETURNING id, email, attributes, (xmax = 0) AS inserted
"""
_INSERT_MESSAGE = """
INSERT INTO messages (id, tenant_id, conversation_id, direction, channel, external_id, sender,
                      subject, body, in_reply_to, sent_at, triage, created_at)
VALUES ($1, $2, $3, 'inbound', $4::channel, $5, $6, $7, $8, $9, $10, $11::jsonb, $12)
"""


@dataclass(frozen=True, slots=True)
class _Sender:
    """What ingestion needs of the contact behind a message."""

    id: uuid.UUID
    email: str | None
    attributes: dict[str, Any]


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

        Hand-written SQL on the unit of work's connection, one statement per step: this is the
        busiest write path (docs/performance.md). Every statement filters on `tenant_id`.

        Raises:
            ValidationError: `from` is not an address the channel can use (field `from`).
        """
        tenant = self.uow.tenant_id
        conn = await self.uow.connection()
        await conn.execute(_LOCK, f"ingest:{tenant}:{channel.value}:{data.message_id}")
        existing = await conn.fetchrow(_FIND_MESSAGE, tenant, channel.value, data.message_id)
        if existing is not None:
            found = dict(existing)
            contact_id = found.pop("contact_id")
            return IngestResult(
                contact_id=contact_id,
                conversation_id=found["conversation_id"],
                message=MessageRead.model_validate(found),
                duplicate=True,
            )

        contact = await self._upsert_contact(channel, data)
        triage = await self.triager(
            TriageRequest(
                body=data.body,
                subject=data.subject,
                channel=channel.value,
                sent_at=data.sent_at,
                contact_id=contact.id,
                contact_attributes=contact.attributes,
                contact_email=contact.email,
                financial_consent=await self.consent(self.uow, contact.id),
            )
        )
        thread_id = None
        if data.in_reply_to:
            thread_id = await conn.fetchval(_FIND_THREAD, tenant, channel.value, data.in_reply_to)
        conversation_id = await ConversationService(self.uow).record_inbound(
            contact.id,
            channel,
            sent_at=data.sent_at,
            subject=data.subject,
            triage=triage,
            thread_id=thread_id,
        )
        message = MessageRead(
            id=uuid.uuid4(),
            conversation_id=conversation_id,
            direction=Direction.INBOUND,
            channel=channel,
            external_id=data.message_id,
            sender=data.sender,
            subject=data.subject,
            body=data.body,
            in_reply_to=data.in_reply_to,
            author_id=None,
            sent_at=data.sent_at,
            triage=triage,
            created_at=utcnow(),
        )
        await conn.execute(
            _INSERT_MESSAGE,
            message.id,
            tenant,
            conversation_id,
            channel.value,
            data.message_id,
            data.sender,
            data.subject,
            data.body,
            data.in_reply_to,
            data.sent_at,
            json.dumps(triage),
            message.created_at,
        )
        lead_id = await LeadService(self.uow).record_inbound(
            contact.id,
            opens=triage.get("intent") in BUYING_INTENTS,
            price_guidance=triage.get("price_guidance"),
        )
        await self.uow.emit(
            MessageIngested(
                tenant_id=tenant,
                message_id=message.id,
                conversation_id=conversation_id,
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
            conversation_id=conversation_id,
            message=message,
            duplicate=False,
            lead_id=lead_id,
        )

    async def _upsert_contact(self, channel: Channel, data: InboundMessage) -> _Sender:
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
            if found is None:
                found = Contact(
                    tenant_id=tenant, name=name, attributes={"webchat_session": session_id}
                )
                self.uow.session.add(found)
                await self.uow.session.flush()
                await self._contact_created(found.id, found.name, None, None)
            return _Sender(found.id, found.email, dict(found.attributes))

        # One statement that returns what triage needs (no re-SELECT); ON CONFLICT DO UPDATE
        # also locks the contact row until commit, which serialises a contact's messages.
        conn = await self.uow.connection()
        now = utcnow()
        row = await conn.fetchrow(
            _UPSERT_BY_EMAIL if email is not None else _UPSERT_BY_PHONE,
            uuid.uuid4(),
            tenant,
            name,
            email,
            phone,
            now,
        )
        assert row is not None  # ON CONFLICT DO UPDATE always returns the row
        if row["inserted"]:
            await self._contact_created(row["id"], name, email, phone)
        return _Sender(row["id"], row["email"], row["attributes"])

    async def _contact_created(
        self, contact_id: uuid.UUID, name: str, email: str | None, phone: str | None
    ) -> None:
        await self.uow.emit(
            ContactCreated(
                tenant_id=self.uow.tenant_id,
                contact_id=contact_id,
                display_name=name,
                email=email,
                phone=phone,
            )
        )

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
