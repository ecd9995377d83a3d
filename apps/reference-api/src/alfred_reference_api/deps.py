"""FastAPI dependencies: the app's runtime parts, as `Annotated` aliases for route signatures.

Tenant routes take `UowDep` (and `PrincipalDep` when they need the caller): the caller is
authenticated from `Authorization: Bearer <access token or API key>` inside the one transaction,
confined to the caller's tenant, that the route then runs in, committed before the response is
sent. Routes with no unit of work take `CallerDep` (authenticated in a transaction of its own).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import OAuth2PasswordBearer

import alfred_ai
from alfred_crm_core import (
    AuthenticationError,
    Authenticator,
    Database,
    EventSink,
    NullEventSink,
    Principal,
    UnitOfWork,
)
from alfred_crm_core.consent.models import ConsentPurpose
from alfred_crm_core.consent.service import ConsentService, InferenceService
from alfred_crm_core.ingestion.service import ConsentCheck, Triager, no_consent
from alfred_reference_api.settings import Settings
from alfred_reference_api.triage import heuristic_triager, income_inferrer

__all__ = [
    "AuthenticatorDep",
    "CallerDep",
    "ConsentsDep",
    "DatabaseDep",
    "InferencesDep",
    "PrincipalDep",
    "Runtime",
    "RuntimeDep",
    "SettingsDep",
    "UowDep",
    "get_caller",
    "get_consents",
    "get_inferences",
    "get_principal",
    "get_uow",
]


@dataclass
class Runtime:
    """What one app instance holds for its whole life.

    Attributes:
        triager: The configured AI provider, for ingestion.
        consent: Ingestion's check for an active financial-inference consent.
        consent_versions: The purpose text version in force per purpose.
        income_provider: The income-aware provider behind on-demand inferences (tests swap in a
            recording provider; the app's adapter still filters what it is given).
        retriager: Triages messages again without income signals after a revocation.
    """

    settings: Settings
    database: Database
    migration_locations: tuple[str, ...]
    auth: Authenticator
    triager: Triager
    events: EventSink = field(default_factory=NullEventSink)
    consent: ConsentCheck = no_consent
    consent_versions: Mapping[ConsentPurpose, str] = field(default_factory=dict)
    income_provider: alfred_ai.Provider = field(default_factory=alfred_ai.IncomeAwareAIProvider)
    retriager: Triager = field(default_factory=heuristic_triager)


async def get_runtime(request: Request) -> Runtime:
    """Return the runtime the app factory attached."""
    runtime: Runtime = request.app.state.runtime
    return runtime


async def get_database(request: Request) -> Database:
    """Return the app's `Database`."""
    return (await get_runtime(request)).database


async def get_settings(request: Request) -> Settings:
    """Return the app's settings."""
    return (await get_runtime(request)).settings


async def get_authenticator(request: Request) -> Authenticator:
    """Return the app's `Authenticator`."""
    return (await get_runtime(request)).auth


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]
DatabaseDep = Annotated[Database, Depends(get_database)]
SettingsDep = Annotated[Settings, Depends(get_settings)]
AuthenticatorDep = Annotated[Authenticator, Depends(get_authenticator)]

# Documents the bearer scheme in OpenAPI (Swagger's "Authorize" button posts the form to
# /auth/token). auto_error=False: a missing header gets our own generic 401, like a bad token.
_bearer = OAuth2PasswordBearer(
    tokenUrl="/api/v1/auth/token",
    scheme_name="bearer",
    description=(
        "An access token from `/auth/login`, `/auth/register` or `/auth/refresh`, or an API key "
        "(`alf_...`) from `POST /api-keys`."
    ),
    auto_error=False,
)


def _bearer_credential(token: str | None) -> str:
    if not token:
        raise AuthenticationError("no bearer token")
    return token.strip()


async def get_caller(
    auth: AuthenticatorDep, token: Annotated[str | None, Depends(_bearer)]
) -> Principal:
    """Authenticate the caller in a short transaction of its own.

    For routes that open no unit of work (they call `Authenticator` flows, which decide their
    own transactions): holding a request transaction open across those would take two pooled
    connections per request.

    Raises:
        AuthenticationError: As `get_principal`.
    """
    return await auth.authenticate(_bearer_credential(token))


CallerDep = Annotated[Principal, Depends(get_caller)]


@dataclass(frozen=True)
class _Authenticated:
    principal: Principal
    uow: UnitOfWork


async def _authenticated(
    runtime: RuntimeDep, token: Annotated[str | None, Depends(_bearer)]
) -> AsyncIterator[_Authenticated]:
    # One transaction per request: the caller is checked inside the transaction the route then
    # runs in (docs/performance.md), not in one of its own before it.
    credential = _bearer_credential(token)
    async with runtime.auth.transaction(credential) as (principal, session):
        yield _Authenticated(
            principal,
            UnitOfWork(
                session=session,
                tenant_id=principal.tenant_id,
                actor_id=principal.user_id,
                events=runtime.events,
            ),
        )


# scope="function": commit before the response goes out, so a failed commit is never a 200.
_AuthenticatedDep = Annotated[_Authenticated, Depends(_authenticated, scope="function")]


async def get_principal(authenticated: _AuthenticatedDep) -> Principal:
    """The caller, authenticated from its bearer access token or API key.

    Checked inside the request's transaction (the one `get_uow` yields), so a route taking both
    costs one transaction.

    Raises:
        AuthenticationError: No bearer credential, or one that is invalid, expired, revoked
            (logout, password change, a revoked key) or of a user who is gone, disabled or no
            longer a member. Every cause gets the same 401.
    """
    return authenticated.principal


PrincipalDep = Annotated[Principal, Depends(get_principal)]


async def get_uow(authenticated: _AuthenticatedDep) -> UnitOfWork:
    """The request's unit of work: one transaction in the caller's tenant.

    Row-level security confines the transaction to the principal's tenant; it commits when the
    route returns (before the response is sent) and rolls back when it raises.
    """
    return authenticated.uow


UowDep = Annotated[UnitOfWork, Depends(get_uow)]


async def get_consents(runtime: RuntimeDep, uow: UowDep) -> ConsentService:
    """The request's `ConsentService`, with the purpose text versions in force."""
    return ConsentService(uow, runtime.consent_versions, runtime.retriager)


ConsentsDep = Annotated[ConsentService, Depends(get_consents)]


async def get_inferences(
    runtime: RuntimeDep, uow: UowDep, consents: ConsentsDep
) -> InferenceService:
    """The request's `InferenceService`, calling `runtime.income_provider` through its adapter."""
    return InferenceService(uow, consents, income_inferrer(runtime.income_provider))


InferencesDep = Annotated[InferenceService, Depends(get_inferences)]
