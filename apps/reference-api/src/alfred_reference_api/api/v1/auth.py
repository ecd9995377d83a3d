"""Authentication: register, log in, refresh, log out, who am I, change password.

Flow and numbers: `docs/api/auth.md`.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Response
from fastapi.exceptions import RequestValidationError
from fastapi.security import OAuth2PasswordRequestForm
from pydantic import ValidationError

from alfred_crm_core import (
    AuthResult,
    IdentityService,
    LoginCredentials,
    PasswordChange,
    Profile,
    TokenRefresh,
    UserCreate,
)
from alfred_reference_api.deps import (
    AuthenticatorDep,
    CallerDep,
    PrincipalDep,
    RuntimeDep,
    UowDep,
)
from alfred_reference_api.errors import problems

router = APIRouter(prefix="/auth", tags=["auth"])


@router.post(
    "/register",
    status_code=201,
    summary="Create an account",
    responses=problems(409, 422),
)
async def register(data: UserCreate, auth: AuthenticatorDep) -> AuthResult:
    """Create a user and a personal workspace (tenant) it owns, and return a first token pair.

    The e-mail is normalised (trimmed, lowercased). Other fields in the body (`tenant_id`,
    `is_admin`, ...) are ignored. The first token creates the onboarding notification.
    """
    return await auth.register(data)


@router.post("/login", summary="Log in", responses=problems(401, 422, 429))
async def login(credentials: LoginCredentials, auth: AuthenticatorDep) -> AuthResult:
    """Exchange an e-mail and password for a token pair.

    An unknown e-mail and a wrong password get the same 401. After 5 attempts on one account
    within 15 minutes, logins to it get 429 with `Retry-After` (the numbers are settings).
    """
    return await auth.login(credentials)


@router.post("/token", summary="Log in (OAuth2 password form)", responses=problems(401, 422, 429))
async def token(
    form: Annotated[OAuth2PasswordRequestForm, Depends()], auth: AuthenticatorDep
) -> AuthResult:
    """The same as `/auth/login`, as an OAuth2 password form (`username` is the e-mail).

    This is what Swagger UI's "Authorize" button posts.
    """
    try:
        credentials = LoginCredentials(email=form.username, password=form.password)
    except ValidationError as exc:  # the form's fields, validated like /auth/login's: 422
        raise RequestValidationError(exc.errors(include_url=False)) from exc
    return await auth.login(credentials)


@router.post("/refresh", summary="Rotate a refresh token", responses=problems(401, 422))
async def refresh(grant: TokenRefresh, auth: AuthenticatorDep) -> AuthResult:
    """Exchange a refresh token for a new pair; the old refresh token stops working.

    Presenting a refresh token that was already used revokes its whole family (every session
    started by that login) and answers 401 `invalid_grant`.
    """
    return await auth.refresh(grant.refresh_token)


@router.post(
    "/logout",
    status_code=204,
    response_class=Response,
    summary="Log out",
    responses=problems(422),
)
async def logout(grant: TokenRefresh, auth: AuthenticatorDep) -> None:
    """Revoke the refresh token's family and every access token issued to the user so far.

    Always 204, also for an unknown or already revoked token. Other sessions of the user get a
    new access token at their next refresh.
    """
    await auth.logout(grant.refresh_token)


@router.get("/me", summary="The caller", responses=problems(401))
async def me(runtime: RuntimeDep, uow: UowDep, principal: PrincipalDep) -> Profile:
    """The authenticated user, and the tenant of the token with the role the caller acts with.

    For an API key: the member who created it, and the role `agent` (what every key acts as).
    """
    profile = await IdentityService(uow, runtime.auth.config).profile(principal.user_id)
    if profile.tenant.role != principal.role:
        profile.tenant = profile.tenant.model_copy(update={"role": principal.role})
    return profile


@router.post("/password", summary="Change the password", responses=problems(401, 422, 429))
async def change_password(
    change: PasswordChange, principal: CallerDep, auth: AuthenticatorDep
) -> AuthResult:
    """Replace the caller's password and return a new token pair.

    Every other session ends: refresh tokens are revoked and earlier access tokens rejected.
    """
    return await auth.change_password(principal, change)
