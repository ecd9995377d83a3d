"""Data access for contacts."""

from __future__ import annotations

import uuid

from sqlalchemy import or_, select

from alfred_crm_core._db.query import like_pattern
from alfred_crm_core._db.repository import Repository
from alfred_crm_core.contact.models import Contact
from alfred_crm_core.pagination import page_of, paginate

__all__ = ["ContactRepository"]


class ContactRepository(Repository[Contact]):
    """Contacts of one tenant."""

    model = Contact
    entity = "contact"

    async def holder_of(
        self, *, email: str | None, phone: str | None, exclude: uuid.UUID | None = None
    ) -> tuple[str, Contact] | None:
        """Return (field, contact) for another contact already using `email` or `phone`."""
        for field, value in (("email", email), ("phone", phone)):
            if value is None:
                continue
            query = self._scoped().where(getattr(Contact, field) == value)
            if exclude is not None:
                query = query.where(Contact.id != exclude)
            found = (await self.session.execute(query.limit(1))).scalar_one_or_none()
            if found is not None:
                return field, found
        return None

    async def list_page(
        self, *, q: str | None, tag: str | None, limit: int, cursor: str | None
    ) -> tuple[list[Contact], str | None]:
        """A page of contacts, newest first, filtered by search text and tag."""
        query = self._scoped()
        if q:
            pattern = like_pattern(q.strip())
            query = query.where(
                or_(
                    Contact.name.ilike(pattern, escape="\\"),
                    Contact.email.ilike(pattern, escape="\\"),
                    Contact.phone.ilike(pattern, escape="\\"),
                )
            )
        if tag:
            query = query.where(Contact.tags.contains([tag]))
        rows = (
            (
                await self.session.execute(
                    paginate(query, Contact.created_at, Contact.id, limit=limit, cursor=cursor)
                )
            )
            .scalars()
            .all()
        )
        return page_of(rows, limit)

    async def ids_exist(self, ids: list[uuid.UUID]) -> set[uuid.UUID]:
        """The subset of `ids` that are contacts of this tenant."""
        result = await self.session.execute(
            select(Contact.id).where(Contact.tenant_id == self.tenant_id, Contact.id.in_(ids))
        )
        return set(result.scalars().all())
