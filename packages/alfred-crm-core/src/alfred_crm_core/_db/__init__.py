"""Private database plumbing of alfred-crm-core: the declarative base, mixins, RLS helpers."""

from alfred_crm_core._db.base import Base, TenantMixin, TimestampMixin, utcnow, uuid_pk
from alfred_crm_core._db.repository import Repository

__all__ = ["Base", "Repository", "TenantMixin", "TimestampMixin", "utcnow", "uuid_pk"]
