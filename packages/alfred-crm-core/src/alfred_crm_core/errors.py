"""Errors raised by alfred-crm-core.

The tree (every error is a `CRMError`, so callers can catch the package at once)::

    CRMError
    ├── ConfigurationError      misuse: bad settings or a missing extra; the message names the fix
    ├── DatabaseError           the database could not be reached or prepared
    ├── NotFoundError           a tenant-scoped lookup matched no row
    ├── ConflictError           a uniqueness rule would be broken
    └── ValidationError         input that passed the schema but breaks a domain rule

Core knows no HTTP: the reference app maps these classes to statuses in one table.
"""

from __future__ import annotations

__all__ = [
    "CRMError",
    "ConfigurationError",
    "ConflictError",
    "DatabaseError",
    "NotFoundError",
    "ValidationError",
]


class CRMError(Exception):
    """Root of every error this package raises."""

    code: str = "crm_error"


class ConfigurationError(CRMError):
    """The package was set up wrongly; the message says how to fix it."""

    code = "configuration_error"


class DatabaseError(CRMError):
    """The database could not be reached, started or migrated."""

    code = "database_unavailable"


class NotFoundError(CRMError):
    """A tenant-scoped lookup matched no row."""

    code = "not_found"

    def __init__(self, entity: str, key: object) -> None:
        super().__init__(f"{entity} {key!s} does not exist")
        self.entity, self.key = entity, key


class ConflictError(CRMError):
    """A uniqueness rule would be broken (e.g. a second contact with the same e-mail)."""

    code = "conflict"

    def __init__(self, entity: str, field: str, detail: str | None = None) -> None:
        super().__init__(detail or f"another {entity} already has this {field}")
        self.entity, self.field = entity, field


class ValidationError(CRMError):
    """Input that is well-formed but breaks a domain rule; `field` names the culprit."""

    code = "validation_error"

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
