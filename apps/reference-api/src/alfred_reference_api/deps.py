"""FastAPI dependencies: the app's runtime parts, as `Annotated` aliases for route signatures.

Tenant routes take `UowDep` (and `PrincipalDep` when they need the caller): the caller is
authenticated from `Authorization: Bearer <access token or API key>`, then the route runs in one
transaction confined to the caller's tenant, committed before the response is sent.
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
    "ConsentsDep",
    "DatabaseDep",
    "InferencesDep",
    "PrincipalDep",
    "Runtime",
    "RuntimeDep",
    "SettingsDep",
    "UowDep",
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
    description=(
        "An access token from `/auth/login`, `/auth/register` or `/auth/refresh`, or an API key "
        "(`alf_...`) from `POST /api-keys`."
    ),
    auto_error=False,
)


async def get_principal(
    auth: AuthenticatorDep, token: Annotated[str | None, Depends(_bearer)]
) -> Principal:
    """Authenticate the caller from its bearer access token or API key.

    Raises:
        AuthenticationError: No bearer credential, or one that is invalid, expired, revoked
            (logout, password change, a revoked key) or of a user who is gone, disabled or no
            longer a member. Every cause gets the same 401.
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


def get_consents(runtime: RuntimeDep, uow: UowDep) -> ConsentService:
    """The request's `ConsentService`, with the purpose text versions in force."""
    return ConsentService(uow, runtime.consent_versions, runtime.retriager)


ConsentsDep = Annotated[ConsentService, Depends(get_consents)]


def get_inferences(runtime: RuntimeDep, uow: UowDep, consents: ConsentsDep) -> InferenceService:
    """The request's `InferenceService`, calling `runtime.income_provider` through its adapter."""
    return InferenceService(uow, consents, income_inferrer(runtime.income_provider))


InferencesDep = Annotated[InferenceService, Depends(get_inferences)]
