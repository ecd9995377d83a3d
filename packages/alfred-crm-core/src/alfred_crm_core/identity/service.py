"""Identity operations inside one tenant's transaction: accounts, sessions, principals.

`Authenticator` (in `authenticator.py`) decides which transaction each step runs in; this service
does the steps that read or write tenant rows, and only flushes.
"""

from __future__ import annotations

import logging
import uuid
from datetime import timedelta

from alfred_crm_core.clock import utcnow
from alfred_crm_core.errors import AuthenticationError, ConflictError
from alfred_crm_core.identity.config import AuthConfig
from alfred_crm_core.identity.models import Membership, RefreshToken, Role, Tenant, User
from alfred_crm_core.identity.repository import (
    MembershipRepository,
    RefreshTokenRepository,
    TenantRepository,
    UserRepository,
)
from alfred_crm_core.identity.schemas import (
    AuthResult,
    Principal,
    Profile,
    TenantRead,
    UserRead,
)
from alfred_crm_core.identity.tokens import (
    AccessClaims,
    hash_refresh_token,
    issue_access_token,
    new_refresh_token,
)
from alfred_crm_core.notification.models import NotificationType
from alfred_crm_core.notification.service import NotificationService
from alfred_crm_core.uow import UnitOfWork

__all__ = ["ONBOARDING_MESSAGE", "ONBOARDING_TITLE", "IdentityService"]

_log = logging.getLogger(__name__)

ONBOARDING_TITLE = "Bem-vindo ao Alfred! / Welcome to Alfred!"
ONBOARDING_MESSAGE = (
    "Seus tokens de acesso e as integrações básicas (webhooks e notificações automáticas) já "
    "estão configurados. / Your access tokens and the basic integrations (webhooks and "
    "automatic notifications) are set up."
)


class IdentityService:
    """Accounts, token issuance and principals within the unit of work's tenant.

    Args:
        uow: The open unit of work; its tenant is the one tokens are issued for.
        config: Token lifetimes and keys.
    """

    def __init__(self, uow: UnitOfWork, config: AuthConfig) -> None:
        self.uow = uow
        self.config = config
        self.tenants = TenantRepository(uow.session)
        self.users = UserRepository(uow.session)
        self.memberships = MembershipRepository(uow)
        self.refresh_tokens = RefreshTokenRepository(uow.session)

    async def create_account(self, *, name: str, email: str, password_hash: str) -> User:
        """Create the unit of work's tenant, a user and the user's owner membership.

        The unit of work's `tenant_id` must be a fresh id: it becomes the new tenant's.

        Raises:
            ConflictError: The e-mail already has an account (nothing is written).
        """
        tenant = self.tenants.add(Tenant(id=self.uow.tenant_id, name=name))
        await self.uow.session.flush()
        user = await self.users.insert_unless_taken(
            name=name, email=email, password_hash=password_hash, default_tenant_id=tenant.id
        )
        if user is None:
            raise ConflictError("user", "email", "an account with this e-mail already exists")
        self.memberships.add(Membership(id=uuid.uuid4(), user_id=user.id, role=Role.OWNER))
        await self.uow.session.flush()
        return user

    async def open_session(
        self, user_id: uuid.UUID, *, family: RefreshToken | None = None
    ) -> AuthResult:
        """Issue an access token and a refresh token for the user in this tenant.

        Without `family` the refresh token starts a new family (a login); with it, the token
        continues that family and inherits its absolute expiry (a rotation). The first token
        ever issued to a user also creates the onboarding notification, exactly once.

        Raises:
            AuthenticationError: The user is gone, disabled, or not a member of this tenant.
        """
        user = await self.users.find(user_id)
        membership = await self.memberships.find_for_user(user_id)
        tenant = await self.tenants.find(self.uow.tenant_id)
        if user is None or not user.is_active or membership is None or tenant is None:
            raise AuthenticationError("user disabled, deleted or not a member")
        now = utcnow()
        if family is None:
            family_id = uuid.uuid4()
            family_expires_at = now + timedelta(seconds=self.config.refresh_family_max_age_seconds)
        else:
            family_id, family_expires_at = family.family_id, family.family_expires_at
        refresh_token = new_refresh_token()
        self.refresh_tokens.add(
            RefreshToken(
                id=uuid.uuid4(),
                user_id=user.id,
                family_id=family_id,
                token_hash=hash_refresh_token(refresh_token),
                created_at=now,
                expires_at=min(
                    now + timedelta(seconds=self.config.refresh_token_ttl_seconds),
                    family_expires_at,
                ),
                family_expires_at=family_expires_at,
            )
        )
        access_token, _ = issue_access_token(
            self.config,
            user_id=user.id,
            tenant_id=tenant.id,
            token_version=user.token_version,
            now=now,
        )
        if user.onboarded_at is None and await self.users.claim_onboarding(user.id, now):
            await NotificationService(self.uow).notify(
                user_id=user.id,
                type=NotificationType.ONBOARDING,
                entity_type="system",
                title=ONBOARDING_TITLE,
                message=ONBOARDING_MESSAGE,
            )
        await self.uow.session.flush()
        return AuthResult(
            access_token=access_token,
            refresh_token=refresh_token,
            expires_in=self.config.access_token_ttl_seconds,
            user=UserRead.model_validate(user),
            tenant=TenantRead(id=tenant.id, name=tenant.name, role=membership.role),
        )

    async def rotate(self, user_id: uuid.UUID, token_hash: bytes) -> AuthResult | None:
        """Exchange a live refresh token of `user_id` for a new pair in the same family.

        A token that was already used is a replay: someone holds a copy. The whole family is
        revoked (the newest token too), every access token of the user is invalidated, and a
        security event is logged. The caller must commit and then refuse the request.

        Returns:
            The new pair, or None when the token is refused (unknown, used, expired, revoked).
        """
        now = utcnow()
        # The user's row lock orders every change to the user's families (rotate, revoke).
        user = await self.users.find(user_id, for_update=True)
        if user is None:
            return None
        consumed = await self.refresh_tokens.consume(token_hash, now)
        if consumed is None:
            stale = await self.refresh_tokens.find(token_hash)
            if stale is not None and stale.used_at is not None and stale.revoked_at is None:
                revoked = await self.refresh_tokens.revoke_family(stale.family_id, now)
                await self.users.bump_token_version(user.id)
                _log.warning(
                    "refresh token reuse detected: family revoked",
                    extra={
                        "event": "security.refresh_token_reuse",
                        "user_id": str(user.id),
                        "family_id": str(stale.family_id),
                        "revoked_tokens": revoked,
                    },
                )
            return None
        if consumed.user_id != user.id or not user.is_active:
            return None
        return await self.open_session(user.id, family=consumed)

    async def replace_password(self, user_id: uuid.UUID, password_hash: str) -> AuthResult:
        """Store a new password hash, end every session of the user, and open a new one.

        Every refresh token of the user is revoked and every access token invalidated; the
        returned pair is the only live one.
        """
        now = utcnow()
        await self.users.find(user_id, for_update=True)
        await self.users.set_password_hash(user_id, password_hash, changed_at=now)
        await self.users.bump_token_version(user_id)
        await self.refresh_tokens.revoke_all_for_user(user_id, now)
        return await self.open_session(user_id)

    async def principal_for(self, claims: AccessClaims) -> Principal:
        """Check that a verified token's user may still act in this tenant.

        Raises:
            AuthenticationError: The user is gone or disabled, the token predates a logout or
                password change (`ver`), or the user is not a member of the tenant.
        """
        role = await self.memberships.role_of_active_user(claims.user_id, claims.token_version)
        if role is None:
            raise AuthenticationError("user gone, disabled, stale token version or not a member")
        return Principal(user_id=claims.user_id, tenant_id=self.uow.tenant_id, role=role)

    async def profile(self, user_id: uuid.UUID) -> Profile:
        """The user and this tenant, with the user's role in it.

        Raises:
            AuthenticationError: The user is not (or no longer) a member of this tenant.
        """
        user = await self.users.find(user_id)
        membership = await self.memberships.find_for_user(user_id)
        tenant = await self.tenants.find(self.uow.tenant_id)
        if user is None or membership is None or tenant is None:
            raise AuthenticationError("not a member")
        return Profile(
            user=UserRead.model_validate(user),
            tenant=TenantRead(id=tenant.id, name=tenant.name, role=membership.role),
        )
