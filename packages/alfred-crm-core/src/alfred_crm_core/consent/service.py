"""Consent use cases: grant, revoke, history, the active-consent check; on-demand inferences.

Rules (see `docs/ai-providers.md`):

- History is append-only. A grant must name the current purpose text version (the app's
  setting); a consent is active only while the latest record of its purpose is a grant of the
  version in force, so a new text version makes every earlier grant inactive until the contact
  agrees again.
- A revocation takes effect in its own transaction: it is recorded when the latest record is a
  grant (of any version), and whatever was inferred under the purpose is removed at the same
  time, every time: stored inferences are deleted, and messages whose triage used income
  signals are triaged again by the heuristics, their conversations and lead guidance following.
- Grants and revocations lock the contact's row; checks share-lock it. So a revocation waits for
  an ingestion or an inference that already read the consent, then cleans up after it, and
  anything that starts later sees the revocation.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping

from alfred_crm_core.clock import utcnow
from alfred_crm_core.consent.events import ConsentGranted, ConsentRevoked, InferenceCreated
from alfred_crm_core.consent.models import (
    ConsentAction,
    ConsentPurpose,
    ConsentRecord,
    Inference,
    InferenceKind,
)
from alfred_crm_core.consent.repository import ConsentRepository, InferenceRepository
from alfred_crm_core.consent.schemas import (
    ConsentGrant,
    ConsentHistory,
    ConsentRead,
    IncomeInferenceRequest,
)
from alfred_crm_core.contact.service import ContactService
from alfred_crm_core.conversation.service import ConversationService
from alfred_crm_core.errors import ConfigurationError, ConsentRequiredError, ValidationError
from alfred_crm_core.ingestion.schemas import TriageRequest
from alfred_crm_core.ingestion.service import ConsentCheck, IngestionService, Triager
from alfred_crm_core.uow import UnitOfWork

__all__ = [
    "INCOME_SIGNAL_PREFIX",
    "RETRIAGE_NOTE",
    "RETRIAGE_SIGNAL",
    "ConsentService",
    "InferenceService",
    "consent_check",
]

INCOME_SIGNAL_PREFIX = "income:"
"""Triage signals that come from financial inference (`income:company_size`, `income:blend`)."""

RETRIAGE_SIGNAL = "consent:revoked"
"""Added to the signals of a triage redone after a revocation."""

RETRIAGE_NOTE = (
    "Triaged again without income signals because consent for financial inference was revoked."
)


class ConsentService:
    """Consent records of the unit of work's tenant.

    Args:
        uow: The open unit of work; `actor_id` is recorded as who recorded each record.
        current_versions: The purpose text version in force for each purpose (a setting).
        retriager: Triages messages without financial signals, for revocations (the app passes
            the heuristics). Only `revoke` needs it.
    """

    def __init__(
        self,
        uow: UnitOfWork,
        current_versions: Mapping[ConsentPurpose, str],
        retriager: Triager | None = None,
    ) -> None:
        self.uow = uow
        self.current_versions = dict(current_versions)
        self.retriager = retriager
        self.records = ConsentRepository(uow)
        self.inferences = InferenceRepository(uow)
        self.contacts = ContactService(uow)

    def current_version(self, purpose: ConsentPurpose) -> str:
        """The purpose text version in force.

        Raises:
            ConfigurationError: No version was configured for `purpose`.
        """
        try:
            return self.current_versions[purpose]
        except KeyError:
            raise ConfigurationError(
                f"no current purpose text version configured for {purpose.value}"
            ) from None

    def _read(self, record: ConsentRecord, *, active: bool) -> ConsentRead:
        return ConsentRead.model_validate(record).model_copy(update={"active": active})

    def _is_active(self, record: ConsentRecord | None) -> bool:
        return (
            record is not None
            and record.action == ConsentAction.GRANTED
            and record.purpose_text_version == self.current_version(record.purpose)
        )

    async def _append(
        self,
        contact_id: uuid.UUID,
        purpose: ConsentPurpose,
        action: ConsentAction,
        version: str,
        source: str,
    ) -> ConsentRecord:
        record = self.records.add(
            ConsentRecord(
                contact_id=contact_id,
                purpose=purpose,
                action=action,
                purpose_text_version=version,
                source=source,
                recorded_by=self.uow.actor_id,
                recorded_at=utcnow(),
            )
        )
        await self.uow.session.flush()
        return record

    async def grant(
        self, contact_id: uuid.UUID, purpose: ConsentPurpose, data: ConsentGrant
    ) -> ConsentRead:
        """Record the contact's consent for `purpose`; it is active from now on.

        Raises:
            NotFoundError: No such contact in this tenant.
            ValidationError: `purpose_text_version` is not the current version (nothing is
                recorded).
        """
        await self.contacts.get(contact_id, lock="update")
        current = self.current_version(purpose)
        if data.purpose_text_version != current:
            raise ValidationError(
                "purpose_text_version",
                f"purpose_text_version: consent can only be given to the current text of "
                f"{purpose.value}, version {current!r} (got {data.purpose_text_version!r})",
            )
        record = await self._append(
            contact_id, purpose, ConsentAction.GRANTED, current, data.source
        )
        await self.uow.emit(
            ConsentGranted(
                tenant_id=self.uow.tenant_id,
                consent_id=record.id,
                contact_id=contact_id,
                purpose=purpose.value,
                purpose_text_version=current,
                source=data.source,
            )
        )
        return self._read(record, active=True)

    async def revoke(
        self, contact_id: uuid.UUID, purpose: ConsentPurpose, source: str
    ) -> ConsentRead | None:
        """Withdraw the contact's consent for `purpose` and forget what was inferred under it.

        A revocation record (carrying the revoked grant's text version) is appended when the
        latest record is a grant; otherwise there is nothing to revoke and nothing is recorded.
        Either way, past inferences are removed (see the module docstring), so calling this
        again is harmless.

        Returns:
            The revocation record, or None when none was needed.

        Raises:
            NotFoundError: No such contact in this tenant.
            ConfigurationError: The service was built without a `retriager`.
        """
        if self.retriager is None:
            raise ConfigurationError("ConsentService needs a retriager to revoke consents")
        await self.contacts.get(contact_id, lock="update")
        latest = await self.records.latest(contact_id, purpose)
        deleted = await self.inferences.delete_for(contact_id)
        retriaged = await IngestionService(self.uow, self.retriager).retriage(
            contact_id, signal_prefix=INCOME_SIGNAL_PREFIX, mark=RETRIAGE_SIGNAL, note=RETRIAGE_NOTE
        )
        if latest is None or latest.action != ConsentAction.GRANTED:
            return None
        record = await self._append(
            contact_id, purpose, ConsentAction.REVOKED, latest.purpose_text_version, source
        )
        await self.uow.emit(
            ConsentRevoked(
                tenant_id=self.uow.tenant_id,
                consent_id=record.id,
                contact_id=contact_id,
                purpose=purpose.value,
                source=source,
                inferences_deleted=deleted,
                messages_retriaged=retriaged,
            )
        )
        return self._read(record, active=False)

    async def history(self, contact_id: uuid.UUID) -> ConsentHistory:
        """Every consent record of the contact, newest first.

        Raises:
            NotFoundError: No such contact in this tenant.
        """
        await self.contacts.get(contact_id)
        items: list[ConsentRead] = []
        seen: set[ConsentPurpose] = set()
        for record in await self.records.history(contact_id):
            items.append(
                self._read(record, active=record.purpose not in seen and self._is_active(record))
            )
            seen.add(record.purpose)
        return ConsentHistory(
            items=items,
            current_purpose_text_versions={p: self.current_version(p) for p in ConsentPurpose},
        )

    async def active_grant(
        self, contact_id: uuid.UUID, purpose: ConsentPurpose
    ) -> ConsentRecord | None:
        """The grant that makes the contact's consent active, or None.

        Share-locks the contact until the transaction ends, so no revocation can commit between
        this check and the caller's use of it.

        Raises:
            NotFoundError: No such contact in this tenant.
        """
        await self.contacts.get(contact_id, lock="share")
        latest = await self.records.latest(contact_id, purpose)
        return latest if self._is_active(latest) else None

    async def is_active(self, contact_id: uuid.UUID, purpose: ConsentPurpose) -> bool:
        """Whether the contact's consent for `purpose` is active (see `active_grant`)."""
        return await self.active_grant(contact_id, purpose) is not None


_LATEST_LOCKED = """
SELECT r.action, r.purpose_text_version
FROM contacts c
LEFT JOIN LATERAL (
    SELECT action, purpose_text_version FROM consent_records
    WHERE tenant_id = c.tenant_id AND contact_id = c.id AND purpose = $3
    ORDER BY seq DESC LIMIT 1
) r ON true
WHERE c.tenant_id = $1 AND c.id = $2
FOR SHARE OF c
"""


def consent_check(current_versions: Mapping[ConsentPurpose, str]) -> ConsentCheck:
    """Ingestion's `ConsentCheck` port: an active consent for financial inference.

    Args:
        current_versions: The purpose text versions in force (see `ConsentService`).
    """
    purpose = ConsentPurpose.FINANCIAL_INFERENCE

    async def check(uow: UnitOfWork, contact_id: uuid.UUID) -> bool:
        version = ConsentService(uow, current_versions).current_version(purpose)
        # `ConsentService.is_active` in one round trip (ingestion's hot path): the same share
        # lock on the contact, the same latest record, the same rule.
        conn = await uow.connection()
        row = await conn.fetchrow(_LATEST_LOCKED, uow.tenant_id, contact_id, purpose.value)
        return (
            row is not None
            and row["action"] == ConsentAction.GRANTED.value
            and row["purpose_text_version"] == version
        )

    return check


class InferenceService:
    """On-demand inferences about contacts, made only under an active consent.

    Args:
        uow: The open unit of work.
        consents: Decides whether the consent is active.
        infer: The income-aware provider behind core's triage port.
    """

    def __init__(self, uow: UnitOfWork, consents: ConsentService, infer: Triager) -> None:
        self.uow = uow
        self.consents = consents
        self.infer = infer
        self.inferences = InferenceRepository(uow)

    async def infer_income(self, contact_id: uuid.UUID, data: IncomeInferenceRequest) -> Inference:
        """Run the income-aware provider on a message of the contact and store the result.

        The message is `data.body` when given, else the contact's latest inbound message. The
        consent is checked first: without it nothing is read and the provider is not called.

        Raises:
            NotFoundError: No such contact in this tenant.
            ConsentRequiredError: No active consent for financial inference.
            ValidationError: No `body` given and the contact has no inbound message (`body`).
        """
        purpose = ConsentPurpose.FINANCIAL_INFERENCE
        grant = await self.consents.active_grant(contact_id, purpose)
        if grant is None:
            raise ConsentRequiredError(purpose.value, self.consents.current_version(purpose))
        contact = await self.consents.contacts.get(contact_id)
        message_id = None
        if data.body is not None:
            body, subject, channel, sent_at = data.body, data.subject, data.channel, utcnow()
        else:
            message = await ConversationService(self.uow).latest_inbound_of_contact(contact_id)
            if message is None:
                raise ValidationError(
                    "body", "body: the contact has no inbound message to read; send one in body"
                )
            body, subject, channel, sent_at = (
                message.body,
                message.subject,
                message.channel,
                message.sent_at,
            )
            message_id = message.id
        result = await self.infer(
            TriageRequest(
                body=body,
                subject=subject,
                channel=channel.value,
                sent_at=sent_at,
                contact_id=contact.id,
                contact_attributes=dict(contact.attributes),
                contact_email=contact.email,
                financial_consent=True,
            )
        )
        inference = self.inferences.add(
            Inference(
                contact_id=contact_id,
                kind=InferenceKind.INCOME,
                consent_id=grant.id,
                purpose_text_version=grant.purpose_text_version,
                message_id=message_id,
                result=result,
                created_by=self.uow.actor_id,
                created_at=utcnow(),
            )
        )
        await self.uow.session.flush()
        await self.uow.emit(
            InferenceCreated(
                tenant_id=self.uow.tenant_id,
                inference_id=inference.id,
                contact_id=contact_id,
                kind=InferenceKind.INCOME.value,
            )
        )
        return inference

    async def list_page(
        self, contact_id: uuid.UUID, *, limit: int, cursor: str | None
    ) -> tuple[list[Inference], str | None]:
        """A page of the contact's stored inferences, newest first.

        Raises:
            NotFoundError: No such contact in this tenant.
        """
        await self.consents.contacts.get(contact_id)
        return await self.inferences.list_page(contact_id, limit=limit, cursor=cursor)
