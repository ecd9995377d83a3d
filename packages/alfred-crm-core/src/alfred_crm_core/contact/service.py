"""Contact use cases."""

from __future__ import annotations

import uuid

from sqlalchemy.exc import IntegrityError

from alfred_crm_core._db.repository import RowLock
from alfred_crm_core.contact.events import ContactCreated, ContactDeleted, ContactUpdated
from alfred_crm_core.contact.models import Contact
from alfred_crm_core.contact.normalize import normalize_email, normalize_phone
from alfred_crm_core.contact.repository import ContactRepository
from alfred_crm_core.contact.schemas import ContactCreate, ContactUpdate
from alfred_crm_core.errors import ConflictError
from alfred_crm_core.uow import UnitOfWork

__all__ = ["ContactService"]


class ContactService:
    """Create, read, search, update and delete contacts of the unit of work's tenant."""

    def __init__(self, uow: UnitOfWork) -> None:
        self.uow = uow
        self.contacts = ContactRepository(uow)

    async def get(self, contact_id: uuid.UUID, *, lock: RowLock | None = None) -> Contact:
        """Return one contact.

        Args:
            contact_id: The contact.
            lock: Lock its row until the transaction ends: `update` serialises changes that
                must not interleave (consent grants and revocations), `share` keeps it from
                changing while the caller acts on what it read.

        Raises:
            NotFoundError: No such contact in this tenant.
        """
        return await self.contacts.get(contact_id, lock=lock)

    async def list_page(
        self, *, q: str | None = None, tag: str | None = None, limit: int, cursor: str | None
    ) -> tuple[list[Contact], str | None]:
        """A page of contacts and the next cursor."""
        return await self.contacts.list_page(q=q, tag=tag, limit=limit, cursor=cursor)

    async def _check_unique(
        self, email: str | None, phone: str | None, exclude: uuid.UUID | None = None
    ) -> None:
        clash = await self.contacts.holder_of(email=email, phone=phone, exclude=exclude)
        if clash is not None:
            raise ConflictError("contact", clash[0], f"another contact already has this {clash[0]}")

    async def _flush(self) -> None:
        try:
            await self.uow.session.flush()
        except IntegrityError as exc:  # a concurrent writer won the unique race
            field = "email" if "email" in str(exc.orig) else "phone"
            raise ConflictError(
                "contact", field, f"another contact already has this {field}"
            ) from exc

    async def create(self, data: ContactCreate) -> Contact:
        """Create a contact, normalising e-mail (lower case) and phone (E.164).

        Raises:
            ValidationError: The e-mail or phone is malformed.
            ConflictError: Another contact of the tenant has the e-mail or phone.
        """
        email = normalize_email(data.email) if data.email else None
        phone = normalize_phone(data.phone) if data.phone else None
        await self._check_unique(email, phone)
        contact = self.contacts.add(
            Contact(
                name=data.name,
                email=email,
                phone=phone,
                tags=sorted(set(data.tags)),
                attributes=data.attributes,
            )
        )
        await self._flush()
        await self.uow.emit(
            ContactCreated(
                tenant_id=self.uow.tenant_id,
                contact_id=contact.id,
                display_name=contact.name,
                email=email,
                phone=phone,
            )
        )
        return contact

    async def update(self, contact_id: uuid.UUID, data: ContactUpdate) -> Contact:
        """Change the fields present in `data`; emits `contact.updated` when anything changed.

        Raises:
            NotFoundError: No such contact in this tenant.
            ValidationError: The e-mail or phone is malformed, or `name` is set to null.
            ConflictError: Another contact of the tenant has the e-mail or phone.
        """
        contact = await self.contacts.get(contact_id, lock="update")
        sent = data.model_fields_set
        email, phone = contact.email, contact.phone
        if "email" in sent:
            email = normalize_email(data.email) if data.email else None
        if "phone" in sent:
            phone = normalize_phone(data.phone) if data.phone else None
        wanted: dict[str, object] = {"email": email, "phone": phone}
        if data.name is not None:
            wanted["name"] = data.name
        if data.tags is not None:
            wanted["tags"] = sorted(set(data.tags))
        if data.attributes is not None:  # JSON merge patch: null removes a key
            merged = {**contact.attributes, **data.attributes}
            wanted["attributes"] = {k: v for k, v in merged.items() if v is not None}
        changes = {k: v for k, v in wanted.items() if getattr(contact, k) != v}
        if not changes:
            return contact
        await self._check_unique(
            email if "email" in changes else None,
            phone if "phone" in changes else None,
            exclude=contact.id,
        )
        for key, value in changes.items():
            setattr(contact, key, value)
        await self._flush()
        await self.uow.emit(
            ContactUpdated(tenant_id=self.uow.tenant_id, contact_id=contact.id, changes=changes)
        )
        return contact

    async def delete(self, contact_id: uuid.UUID) -> None:
        """Delete a contact with its conversations, messages and leads (tasks keep, unlinked).

        Raises:
            NotFoundError: No such contact in this tenant.
        """
        # Locked: of concurrent deletes one wins, the others then find nothing (404, no event).
        contact = await self.contacts.get(contact_id, lock="update")
        await self.contacts.delete(contact)
        await self.uow.session.flush()
        await self.uow.emit(ContactDeleted(tenant_id=self.uow.tenant_id, contact_id=contact_id))
