"""Destinations: where a tenant's events go, and the secret that signs them.

A secret is write-only. It is stored encrypted (`SecretBox`, bound to its row by
``secret_aad(tenant_id, destination_id)``) and masked (``whsec_****abcd``); no method returns it
except the one that generated it (`DestinationWithSecret.secret`, shown once). Rotating a secret
keeps the previous one valid for ``HubConfig.secret_grace_seconds`` (24 h): callbacks signed with
it are accepted, and deliveries carry a Standard Webhooks signature for it as well.

URLs are vetted on save (`vet_destination_url`: scheme, credentials, port, every resolved
address) and again at every delivery by the dispatcher's transport.

Errors are core's, so that the app's one error table maps them: `ValidationError` (422) for a
refused URL, secret or field (the automation error is chained as ``__cause__``), `NotFoundError`
(404) for an id that is not a destination of this tenant.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Protocol

from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from alfred_automation._models import Delivery, Destination
from alfred_automation._paging import read_page
from alfred_automation.config import HubConfig
from alfred_automation.errors import InvalidSecretError, SecretDecryptError, UnsafeURLError
from alfred_automation.schemas import (
    DeliveryStatus,
    DestinationCreate,
    DestinationRead,
    DestinationUpdate,
    DestinationWithSecret,
)
from alfred_automation.secretbox import SecretBox, secret_aad
from alfred_automation.signing import generate_secret, mask_secret, validate_secret
from alfred_automation.urlguard import Resolver, vet_destination_url
from alfred_crm_core.clock import utcnow
from alfred_crm_core.errors import NotFoundError, ValidationError
from alfred_crm_core.pagination import DEFAULT_LIMIT, Page
from alfred_crm_core.uow import UnitOfWork

__all__ = [
    "DestinationService",
    "KeyRotationResult",
    "StoredSecrets",
    "fail_pending_deliveries",
    "rotate_encryption",
    "signing_secrets",
]

_log = logging.getLogger(__name__)

DISABLED_BY_USER = "the destination was disabled"


class DestinationService:
    """Destinations of the unit of work's tenant.

    Args:
        uow: The open unit of work, scoped to the tenant (the service only flushes).
        config: The hub's settings (encryption keys, URL policy, secret grace period).
        resolver: The DNS lookup for vetting URLs; the system's when None.
    """

    def __init__(
        self, uow: UnitOfWork, config: HubConfig, *, resolver: Resolver | None = None
    ) -> None:
        self.uow = uow
        self.config = config
        self.resolver = resolver

    @property
    def _box(self) -> SecretBox:
        return self.config.secret_box

    async def create(self, data: DestinationCreate) -> DestinationWithSecret:
        """Create a destination.

        Returns:
            The destination; ``secret`` is set only when Alfred generated it.

        Raises:
            ValidationError: The URL is refused (field ``url``) or the secret is unusable
                (field ``secret``).
        """
        url = await self._vet(data.url)
        given = data.secret.get_secret_value() if data.secret is not None else None
        secret = _checked_secret(given) if given is not None else generate_secret()
        now = utcnow()
        destination_id = uuid.uuid4()
        row = Destination(
            id=destination_id,
            tenant_id=self.uow.tenant_id,
            name=data.name,
            url=url,
            secret_encrypted=self._box.encrypt(
                secret, secret_aad(self.uow.tenant_id, destination_id)
            ),
            secret_masked=mask_secret(secret),
            enabled=data.enabled,
            event_types=list(data.event_types),
            created_at=now,
            updated_at=now,
        )
        self.uow.session.add(row)
        await self.uow.session.flush()
        return _with_secret(row, secret if given is None else None)

    async def get(self, destination_id: uuid.UUID) -> DestinationRead:
        """Return one destination.

        Raises:
            NotFoundError: No such destination in this tenant.
        """
        return DestinationRead.model_validate(await self._row(destination_id))

    async def list(
        self,
        *,
        enabled: bool | None = None,
        limit: int = DEFAULT_LIMIT,
        cursor: str | None = None,
    ) -> Page[DestinationRead]:
        """The tenant's destinations, newest first, one page at a time.

        Raises:
            ValidationError: The cursor is not one this API made.
        """
        query = select(Destination).where(Destination.tenant_id == self.uow.tenant_id)
        if enabled is not None:
            query = query.where(Destination.enabled.is_(enabled))
        columns = (Destination.created_at, Destination.id)
        return await read_page(
            self.uow.session, query, columns, DestinationRead, limit=limit, cursor=cursor
        )

    async def update(self, destination_id: uuid.UUID, data: DestinationUpdate) -> DestinationRead:
        """Change the fields present in ``data``.

        A new ``url`` is vetted again. A new ``secret`` is a rotation to that secret (the
        previous one stays valid for the grace period). ``enabled=true`` clears
        ``disabled_reason``; ``enabled=false`` fails the destination's pending deliveries.

        Raises:
            NotFoundError: No such destination in this tenant.
            ValidationError: A field set to null, a refused URL or an unusable secret.
        """
        row = await self._row(destination_id, for_update=True)
        sent = data.model_fields_set
        for required in ("name", "url", "enabled", "event_types"):
            if required in sent and getattr(data, required) is None:
                raise ValidationError(required, f"{required}: may not be null")
        if data.name is not None:
            row.name = data.name
        if data.url is not None:
            row.url = await self._vet(data.url)
        if data.event_types is not None:
            row.event_types = list(data.event_types)
        if data.secret is not None:
            self._rotate(row, _checked_secret(data.secret.get_secret_value()))
        if data.enabled is not None and data.enabled != row.enabled:
            row.enabled = data.enabled
            row.disabled_reason = None
            if not data.enabled:
                await fail_pending_deliveries(self.uow.session, row.id, DISABLED_BY_USER)
        elif data.enabled:
            row.disabled_reason = None
        row.updated_at = utcnow()
        await self.uow.session.flush()
        return DestinationRead.model_validate(row)

    async def delete(self, destination_id: uuid.UUID) -> None:
        """Delete a destination with its deliveries, attempts and callback receipts.

        Raises:
            NotFoundError: No such destination in this tenant.
        """
        row = await self._row(destination_id, for_update=True)  # one of concurrent deletes wins
        await self.uow.session.delete(row)
        await self.uow.session.flush()

    async def rotate_secret(
        self, destination_id: uuid.UUID, secret: str | None = None
    ) -> DestinationWithSecret:
        """Replace the secret; the previous one stays valid for the grace period (24 h).

        Args:
            destination_id: The destination.
            secret: The new secret; generated (and returned once) when None.

        Returns:
            The destination; ``secret`` is set only when Alfred generated it.

        Raises:
            NotFoundError: No such destination in this tenant.
            ValidationError: The given secret is unusable (field ``secret``).
        """
        row = await self._row(destination_id, for_update=True)
        new = _checked_secret(secret) if secret is not None else generate_secret()
        self._rotate(row, new)
        row.updated_at = utcnow()
        await self.uow.session.flush()
        return _with_secret(row, new if secret is None else None)

    def _rotate(self, row: Destination, secret: str) -> None:
        # The current secret becomes the previous one (replacing an older previous secret); it
        # is re-encrypted only if its key is no longer the first, as the ciphertext stays valid.
        row.previous_secret_encrypted = row.secret_encrypted
        row.previous_secret_expires_at = utcnow() + timedelta(
            seconds=self.config.secret_grace_seconds
        )
        row.secret_encrypted = self._box.encrypt(secret, secret_aad(row.tenant_id, row.id))
        row.secret_masked = mask_secret(secret)

    async def _row(self, destination_id: uuid.UUID, *, for_update: bool = False) -> Destination:
        query = select(Destination).where(
            Destination.tenant_id == self.uow.tenant_id, Destination.id == destination_id
        )
        if for_update:
            query = query.with_for_update()
        row = (await self.uow.session.execute(query)).scalar_one_or_none()
        if row is None:
            raise NotFoundError("automation destination", destination_id)
        return row

    async def _vet(self, url: str) -> str:
        try:
            parsed = await vet_destination_url(
                url.strip(),
                resolver=self.resolver,
                allow_private=self.config.allow_private_urls,
                allowed_ports=self.config.allowed_ports,
                require_https=self.config.require_https,
            )
        except UnsafeURLError as exc:
            raise ValidationError("url", str(exc)) from exc
        return parsed.url


async def fail_pending_deliveries(
    session: AsyncSession, destination_id: uuid.UUID, reason: str
) -> int:
    """Fail every pending delivery of a destination that was disabled (no attempt is made).

    Returns:
        How many deliveries were failed.
    """
    now = utcnow()
    result = await session.execute(
        update(Delivery)
        .where(
            Delivery.destination_id == destination_id,
            Delivery.status == DeliveryStatus.PENDING.value,
        )
        .values(
            status=DeliveryStatus.FAILED.value,
            next_retry_at=None,
            claimed_until=None,
            last_error=reason,
            updated_at=now,
        )
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]  # CursorResult of an UPDATE


class StoredSecrets(Protocol):
    """The columns of a destination row that hold its secrets (a claimed delivery has them)."""

    @property
    def tenant_id(self) -> uuid.UUID:
        """The destination's tenant (part of the associated data)."""

    @property
    def destination_id(self) -> uuid.UUID:
        """The destination (part of the associated data)."""

    @property
    def secret_encrypted(self) -> str:
        """The current secret, encrypted."""

    @property
    def previous_secret_encrypted(self) -> str | None:
        """The secret replaced by the last rotation, encrypted."""

    @property
    def previous_secret_expires_at(self) -> datetime | None:
        """When the previous secret stops being valid."""


def signing_secrets(box: SecretBox, row: StoredSecrets, now: datetime) -> list[str]:
    """Decrypt a destination's valid secrets: the current one, then the previous one if unexpired.

    A previous secret that does not decrypt is left out (and logged): the current one still
    works.

    Raises:
        SecretDecryptError: The current secret does not decrypt (fail closed).
    """
    aad = secret_aad(row.tenant_id, row.destination_id)
    secrets = [box.decrypt(row.secret_encrypted, aad)]
    previous, expires_at = row.previous_secret_encrypted, row.previous_secret_expires_at
    if previous is not None and expires_at is not None and expires_at > now:
        try:
            secrets.append(box.decrypt(previous, aad))
        except SecretDecryptError as exc:
            _log.warning(
                "previous destination secret did not decrypt",
                extra={"destination_id": str(row.destination_id), "reason": exc.reason},
            )
    return secrets


@dataclass
class KeyRotationResult:
    """What `rotate_encryption` did.

    Attributes:
        rotated: Destinations whose secrets were re-encrypted under the first key.
        failed: Destinations whose secrets did not decrypt (left as they were; they fail closed
            at delivery and callback time until their secret is replaced).
    """

    rotated: int = 0
    failed: list[uuid.UUID] = field(default_factory=list)


async def rotate_encryption(session: AsyncSession, box: SecretBox) -> KeyRotationResult:
    """Re-encrypt every destination secret (current and previous) under the box's first key.

    This is the cross-tenant maintenance path: run it inside ``Database.system_transaction()``
    (the schema owner, which row-level security does not confine), after deploying the new key
    first in ``AUTOMATION_SECRET_ENCRYPTION_KEY`` (``k2,k1``) and before removing the old one.
    Only rows not yet under the first key are touched, so running it again is cheap.

    Args:
        session: A session in a system (cross-tenant) transaction.
        box: The box built from the new key list.

    Returns:
        How many rows were rotated, and which failed to decrypt.
    """
    current = f"v1:{box.key_id}:%"
    rows = (
        (
            await session.execute(
                select(Destination)
                .where(
                    or_(
                        Destination.secret_encrypted.not_like(current),
                        Destination.previous_secret_encrypted.not_like(current),
                    )
                )
                .with_for_update()
            )
        )
        .scalars()
        .all()
    )
    result = KeyRotationResult()
    for row in rows:
        aad = secret_aad(row.tenant_id, row.id)
        try:
            secret = box.rotate(row.secret_encrypted, aad)
            previous = row.previous_secret_encrypted
            if previous is not None and box.needs_rotation(previous):
                previous = box.rotate(previous, aad)
        except SecretDecryptError as exc:
            _log.error(
                "destination secret did not decrypt; left unrotated",
                extra={"destination_id": str(row.id), "reason": exc.reason},
            )
            result.failed.append(row.id)
            continue
        row.secret_encrypted = secret
        row.previous_secret_encrypted = previous
        result.rotated += 1
    await session.flush()
    return result


def _checked_secret(secret: str) -> str:
    try:
        validate_secret(secret)
    except InvalidSecretError as exc:
        raise ValidationError("secret", str(exc)) from exc
    return secret


def _with_secret(row: Destination, secret: str | None) -> DestinationWithSecret:
    return DestinationWithSecret.model_validate(
        {**DestinationRead.model_validate(row).model_dump(), "secret": secret}
    )
