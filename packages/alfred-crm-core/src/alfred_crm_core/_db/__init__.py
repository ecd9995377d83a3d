"""Private database plumbing of alfred-crm-core: the declarative base, mixins, RLS helpers."""

from alfred_crm_core._db.base import Base, TenantMixin, TimestampMixin, utcnow, uuid_pk

__all__ = ["Base", "TenantMixin", "TimestampMixin", "utcnow", "uuid_pk"]
