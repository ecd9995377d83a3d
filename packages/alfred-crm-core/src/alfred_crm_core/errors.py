"""Errors raised by alfred-crm-core.

The tree (every error is a `CRMError`, so callers can catch the package at once)::

    CRMError
    ├── ConfigurationError      misuse: bad settings or a missing extra; the message names the fix
    ├── DatabaseError           the database could not be reached or prepared
    ├── NotFoundError           a tenant-scoped lookup matched no row
    ├── ConflictError           a uniqueness rule would be broken
    ├── ConsentRequiredError    the contact has no active consent for the purpose asked about
    ├── ValidationError         input that passed the schema but breaks a domain rule
    ├── AuthenticationError     missing or invalid credentials (one generic message for every cause)
    │   ├── InvalidCredentialsError   login: unknown e-mail, wrong password or disabled user
    │   └── InvalidGrantError         refresh: unknown, used, expired or revoked refresh token
    ├── PermissionDeniedError   authenticated, but the role does not allow the action
    └── ThrottledError          too many failed attempts; `retry_after` says when to try again

Core knows no HTTP: the reference app maps these classes to statuses in one table.
"""

from __future__ import annotations

__all__ = [
    "AuthenticationError",
    "CRMError",
    "ConfigurationError",
    "ConflictError",
    "ConsentRequiredError",
    "DatabaseError",
    "InvalidCredentialsError",
    "InvalidGrantError",
    "NotFoundError",
    "PermissionDeniedError",
    "ThrottledError",
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


class ConsentRequiredError(CRMError):
    """The contact has no active consent for `purpose` (none, revoked, or an old text version)."""

    code = "consent_required"

    def __init__(self, purpose: str, current_version: str) -> None:
        super().__init__(
            f"the contact has no active consent for {purpose} (a grant of purpose text version "
            f"{current_version} that was not revoked since)"
        )
        self.purpose, self.current_version = purpose, current_version


class ValidationError(CRMError):
    """Input that is well-formed but breaks a domain rule; `field` names the culprit."""

    code = "validation_error"

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


class AuthenticationError(CRMError):
    """Credentials were missing or invalid.

    The message is the same whatever the cause, so that no answer tells a caller whether a user,
    a tenant or a token exists; `reason` says what failed, for logs only.
    """

    code = "unauthorized"
    message = "missing or invalid credentials"

    def __init__(self, reason: str = "") -> None:
        super().__init__(self.message)
        self.reason = reason


class InvalidCredentialsError(AuthenticationError):
    """A login failed: unknown e-mail, wrong password or disabled user (never says which)."""

    code = "invalid_credentials"
    message = "the e-mail or password is incorrect"


class InvalidGrantError(AuthenticationError):
    """A refresh token was unknown, already used, expired or revoked (never says which)."""

    code = "invalid_grant"
    message = "the refresh token is invalid, expired or revoked"


class PermissionDeniedError(CRMError):
    """The caller is authenticated but its role does not allow the action."""

    code = "forbidden"

    def __init__(self, action: str) -> None:
        super().__init__(f"your role does not allow {action}")
        self.action = action


class ThrottledError(CRMError):
    """Too many failed attempts; try again after `retry_after` whole seconds."""

    code = "too_many_attempts"

    def __init__(self, retry_after: int) -> None:
        super().__init__(f"too many failed attempts; try again in {retry_after} seconds")
        self.retry_after = retry_after
