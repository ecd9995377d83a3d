"""FastAPI dependencies: the app's runtime parts, as `Annotated` aliases for route signatures.

Tenant routes take `UowDep` (and `PrincipalDep` when they need the caller): the caller is
authenticated from `Authorization: Bearer <access token>`, then the route runs in one transaction
confined to the caller's tenant, committed before the response is sent.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import OAuth2PasswordBearer

from alfred_crm_core import (
    AuthenticationError,
    Authenticator,
    Database,
    EventSink,
    NullEventSink,
    Principal,
    UnitOfWork,
)
from alfred_crm_core.ingestion.service import ConsentCheck, Triager, no_consent
from alfred_reference_api.settings import Settings

__all__ = [
    "AuthenticatorDep",
    "DatabaseDep",
    "PrincipalDep",
    "Runtime",
    "RuntimeDep",
    "SettingsDep",
    "UowDep",
    "get_principal",
    "get_uow",
]


@dataclass
class Runtime:
    """What one app instance holds for its whole life."""

    settings: Settings
    database: Database
    migration_locations: tuple[str, ...]
    auth: Authenticator
    triager: Triager
    events: EventSink = field(default_factory=NullEventSink)
    consent: ConsentCheck = no_consent


def get_runtime(request: Request) -> Runtime:
    """Return the runtime the app factory attached."""
    runtime: Runtime = request.app.state.runtime
    return runtime


def get_database(request: Request) -> Database:
    """Return the app's `Database`."""
    return get_runtime(request).database


def get_settings(request: Request) -> Settings:
    """Return the app's settings."""
    return get_runtime(request).settings


def get_authenticator(request: Request) -> Authenticator:
    """Return the app's `Authenticator`."""
    return get_runtime(request).auth


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]
DatabaseDep = Annotated[Database, Depends(get_database)]
SettingsDep = Annotated[Settings, Depends(get_settings)]
AuthenticatorDep = Annotated[Authenticator, Depends(get_authenticator)]

# Documents the bearer scheme in OpenAPI (Swagger's "Authorize" button posts the form to
# /auth/token). auto_error=False: a missing header gets our own generic 401, like a bad token.
_bearer = OAuth2PasswordBearer(
    tokenUrl="/api/v1/auth/token",
    scheme_name="bearer",
    description="An access token from `/auth/login`, `/auth/register` or `/auth/refresh`.",
    auto_error=False,
)


async def get_principal(
    auth: AuthenticatorDep, token: Annotated[str | None, Depends(_bearer)]
) -> Principal:
    """Authenticate the caller from its bearer access token.

    Raises:
        AuthenticationError: No bearer token, or one that is invalid, expired, revoked (logout,
            password change) or of a user who is gone, disabled or no longer a member. Every
            cause gets the same 401.
    """
    if not token:
        raise AuthenticationError("no bearer token")
    return await auth.authenticate(token.strip())


PrincipalDep = Annotated[Principal, Depends(get_principal)]


async def get_uow(runtime: RuntimeDep, principal: PrincipalDep) -> AsyncIterator[UnitOfWork]:
    """Open the request's transaction in the caller's tenant and yield its unit of work.

    Row-level security confines the transaction to `principal.tenant_id`; it commits when the
    route returns (before the response is sent) and rolls back when it raises.
    """
    async with runtime.database.transaction(principal.tenant_id) as session:
        yield UnitOfWork(
            session=session,
            tenant_id=principal.tenant_id,
            actor_id=principal.user_id,
            events=runtime.events,
        )


# scope="function": commit before the response goes out, so a failed commit is never a 200.
UowDep = Annotated[UnitOfWork, Depends(get_uow, scope="function")]
