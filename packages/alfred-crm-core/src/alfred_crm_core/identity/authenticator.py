"""The authentication flows, each of which decides its own transactions.

A request's unit of work is one transaction in one known tenant; these flows cannot use one:
a login must commit its attempt counter even when it then fails, and the tenant is known only
once the user (or the refresh token's owner) has been found. So `Authenticator` is the one place
in core that opens transactions, and it crosses tenants only in these documented ways:

- `Database.transaction(None)`: row-level security shows no tenant rows at all. Used for the
  tables that have no tenant: finding a user by e-mail, counting login attempts, finding a
  refresh token's owner, revoking a family on logout. And for finding an API key's tenant: the
  transaction names the key's hash, and a read-only policy shows it that one row; once found, the
  same transaction forgets the hash and moves into the key's tenant to check its holder.
- `Database.transaction(tenant_id)`, once the tenant is known (the user's default tenant, or a
  token's `tid`): everything that reads or writes tenant rows (membership, tenant, notification).
"""

from __future__ import annotations

import hashlib
import logging
import math
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from alfred_crm_core.clock import utcnow
from alfred_crm_core.db import Database
from alfred_crm_core.errors import (
    AuthenticationError,
    ConflictError,
    InvalidCredentialsError,
    InvalidGrantError,
    ThrottledError,
    ValidationError,
)
from alfred_crm_core.identity.api_keys import ApiKeyService
from alfred_crm_core.identity.config import PASSWORD_MAX_LENGTH, AuthConfig
from alfred_crm_core.identity.passwords import PasswordHasher
from alfred_crm_core.identity.repository import (
    ApiKeyRepository,
    LoginThrottleRepository,
    RefreshTokenRepository,
    UserRepository,
)
from alfred_crm_core.identity.schemas import (
    AuthResult,
    LoginCredentials,
    PasswordChange,
    Principal,
    UserCreate,
    UserRead,
    normalize_email,
)
from alfred_crm_core.identity.service import IdentityService
from alfred_crm_core.identity.tokens import (
    AccessClaims,
    decode_access_token,
    hash_api_key,
    hash_refresh_token,
    is_api_key,
)
from alfred_crm_core.uow import UnitOfWork

__all__ = ["Authenticator"]

_log = logging.getLogger(__name__)


def _throttle_key(email: str) -> bytes:
    return hashlib.sha256(b"login:" + normalize_email(email).encode()).digest()


def _seconds_until(moment: datetime, now: datetime) -> int:
    return max(1, math.ceil((moment - now).total_seconds()))


class Authenticator:
    """Register, log in, refresh, log out, change passwords and authenticate bearer tokens.

    Args:
        database: Where identities live.
        config: Token lifetimes, keys, password and throttle rules.
        hasher: The password hasher (default: argon2id with the config's parameters).
    """

    def __init__(
        self, database: Database, config: AuthConfig, *, hasher: PasswordHasher | None = None
    ) -> None:
        self.database = database
        self.config = config
        self.hasher = hasher or PasswordHasher(
            time_cost=config.hash_time_cost,
            memory_kib=config.hash_memory_kib,
            parallelism=config.hash_parallelism,
        )

    def _check_new_password(self, password: str, field: str) -> None:
        if len(password) < self.config.password_min_length:
            raise ValidationError(
                field, f"the password needs at least {self.config.password_min_length} characters"
            )
        if len(password) > PASSWORD_MAX_LENGTH:
            raise ValidationError(
                field, f"the password has at most {PASSWORD_MAX_LENGTH} characters"
            )

    async def register(self, data: UserCreate) -> AuthResult:
        """Create a user with a personal tenant (as its owner) and open a first session.

        Args:
            data: Name, e-mail and password. Nothing else is taken from the caller: the tenant
                is new and the role is `owner`.

        Returns:
            The first token pair (the onboarding notification is created with it).

        Raises:
            ValidationError: The password is shorter than `password_min_length`.
            ConflictError: The e-mail (in any case or spacing) already has an account.
        """
        self._check_new_password(data.password, "password")
        password_hash = await self.hasher.hash(data.password)
        tenant_id = uuid.uuid4()
        async with self.database.transaction(tenant_id) as session:
            service = IdentityService(UnitOfWork(session=session, tenant_id=tenant_id), self.config)
            user = await service.create_account(
                name=data.name, email=normalize_email(data.email), password_hash=password_hash
            )
            service.uow.actor_id = user.id
            return await service.open_session(user.id)

    async def ensure_account(self, data: UserCreate) -> tuple[UserRead, bool]:
        """Create a user and personal tenant unless the e-mail has an account; issue no token.

        For seeding: the user's first login still gets the onboarding notification.

        Returns:
            The user, and whether it was created now.
        """
        email = normalize_email(data.email)
        async with self.database.transaction(None) as session:
            existing = await UserRepository(session).find_by_email(email)
        if existing is not None:
            return UserRead.model_validate(existing), False
        self._check_new_password(data.password, "password")
        password_hash = await self.hasher.hash(data.password)
        tenant_id = uuid.uuid4()
        try:
            async with self.database.transaction(tenant_id) as session:
                service = IdentityService(
                    UnitOfWork(session=session, tenant_id=tenant_id), self.config
                )
                user = await service.create_account(
                    name=data.name, email=email, password_hash=password_hash
                )
                return UserRead.model_validate(user), True
        except ConflictError:  # created concurrently: someone else won
            async with self.database.transaction(None) as session:
                raced = await UserRepository(session).find_by_email(email)
            assert raced is not None  # the conflict was on this very e-mail
            return UserRead.model_validate(raced), False

    async def _count_attempt(self, email: str) -> None:
        """Count one attempt for `email`, committed at once; refuse it when over the limit."""
        now = utcnow()
        async with self.database.transaction(None) as session:
            locked_until = await LoginThrottleRepository(session).hit(
                _throttle_key(email),
                now,
                max_attempts=self.config.login_max_failures,
                window=timedelta(seconds=self.config.login_lockout_seconds),
            )
        if locked_until is not None:
            raise ThrottledError(_seconds_until(locked_until, now))

    async def login(self, credentials: LoginCredentials) -> AuthResult:
        """Check an e-mail and password and open a session in the user's default tenant.

        Every attempt is counted per account (known or not) before the password is checked; a
        successful login clears the count. An unknown e-mail costs the same argon2 work as a
        wrong password and gets the same error.

        Raises:
            ThrottledError: Too many attempts for this account in the window.
            InvalidCredentialsError: Unknown e-mail, wrong password, or disabled user.
        """
        email = normalize_email(credentials.email)
        await self._count_attempt(email)
        async with self.database.transaction(None) as session:
            user = await UserRepository(session).find_by_email(email)
        matches, new_hash = await self.hasher.verify(
            credentials.password, user.password_hash if user is not None else None
        )
        if user is None or not matches or not user.is_active:
            raise InvalidCredentialsError("unknown e-mail, wrong password or disabled user")
        try:
            async with self.database.transaction(user.default_tenant_id) as session:
                await LoginThrottleRepository(session).clear(_throttle_key(email))
                if new_hash is not None:  # argon2 parameters changed: upgrade the stored hash
                    await UserRepository(session).set_password_hash(user.id, new_hash)
                uow = UnitOfWork(
                    session=session, tenant_id=user.default_tenant_id, actor_id=user.id
                )
                return await IdentityService(uow, self.config).open_session(user.id)
        except AuthenticationError as exc:
            raise InvalidCredentialsError(exc.reason) from exc

    async def _owner_of(self, token_hash: bytes) -> tuple[uuid.UUID, uuid.UUID] | None:
        """The (user, default tenant) a refresh token belongs to, whatever its state."""
        async with self.database.transaction(None) as session:
            token = await RefreshTokenRepository(session).find(token_hash)
            if token is None:
                return None
            user = await UserRepository(session).find(token.user_id)
            return (user.id, user.default_tenant_id) if user is not None else None

    async def refresh(self, refresh_token: str) -> AuthResult:
        """Exchange a refresh token for a new pair; the old token can never be used again.

        Raises:
            InvalidGrantError: The token is unknown, used, expired or revoked. A used token is a
                replay: its family has been revoked (see `IdentityService.rotate`).
        """
        token_hash = hash_refresh_token(refresh_token)
        owner = await self._owner_of(token_hash)
        if owner is None:
            raise InvalidGrantError("unknown refresh token")
        user_id, tenant_id = owner
        try:
            async with self.database.transaction(tenant_id) as session:
                uow = UnitOfWork(session=session, tenant_id=tenant_id, actor_id=user_id)
                result = await IdentityService(uow, self.config).rotate(user_id, token_hash)
        except AuthenticationError as exc:
            raise InvalidGrantError(exc.reason) from exc
        if result is None:  # committed: a replay's revocation must stick
            raise InvalidGrantError("refresh token not live")
        return result

    async def logout(self, refresh_token: str) -> None:
        """Revoke the token's family and invalidate the user's access tokens.

        An unknown token is not an error (RFC 7009): logging out twice is harmless. Other
        sessions of the user keep their refresh tokens and get fresh access tokens when they
        next refresh.
        """
        async with self.database.transaction(None) as session:
            tokens = RefreshTokenRepository(session)
            token = await tokens.find(hash_refresh_token(refresh_token))
            if token is None:
                return
            users = UserRepository(session)
            await users.find(token.user_id, for_update=True)
            await tokens.revoke_family(token.family_id, utcnow())
            await users.bump_token_version(token.user_id)

    async def change_password(self, principal: Principal, change: PasswordChange) -> AuthResult:
        """Replace the caller's password, ending every other session.

        The current password is checked under the same per-account throttle as logins.

        Returns:
            A new token pair (the caller's previous tokens stop working).

        Raises:
            ThrottledError: Too many wrong attempts for this account.
            ValidationError: The current password is wrong, or the new one too short.
        """
        async with self.database.transaction(None) as session:
            user = await UserRepository(session).find(principal.user_id)
        if user is None:
            raise AuthenticationError("user deleted")
        await self._count_attempt(user.email)
        matches, _ = await self.hasher.verify(change.current_password, user.password_hash)
        if not matches:
            raise ValidationError("current_password", "the current password is incorrect")
        self._check_new_password(change.new_password, "new_password")
        new_hash = await self.hasher.hash(change.new_password)
        async with self.database.transaction(principal.tenant_id) as session:
            await LoginThrottleRepository(session).clear(_throttle_key(user.email))
            uow = UnitOfWork(session=session, tenant_id=principal.tenant_id, actor_id=user.id)
            return await IdentityService(uow, self.config).replace_password(user.id, new_hash)

    def verify(self, token: str) -> AccessClaims:
        """Verify an access token's signature, header and claims (no database access).

        Raises:
            AuthenticationError: Not a valid, current access token of ours.
        """
        return decode_access_token(self.config, token, now=utcnow())

    async def authenticate(self, token: str) -> Principal:
        """Authenticate a bearer credential: an access token, or an API key (`alf_...`).

        Raises:
            AuthenticationError: Invalid token; or the user is gone, disabled, logged out since
                (token version), or no longer a member of the tenant. For an API key: unknown,
                revoked, or its creator disabled or no longer a member. One error for all.
        """
        if is_api_key(token):
            return await self._authenticate_api_key(token)
        async with self.transaction(token) as (principal, _):
            return principal

    @asynccontextmanager
    async def transaction(self, token: str) -> AsyncIterator[tuple[Principal, AsyncSession]]:
        """Authenticate a bearer credential and open the caller's tenant transaction.

        For an access token the checks of `authenticate` (user active, token version,
        membership) run inside the yielded transaction itself: one connection checkout and one
        BEGIN/COMMIT per request instead of two (see docs/performance.md). An API key is looked
        up and its use recorded in a transaction of its own, committed whatever the request
        then does, as before.

        Yields:
            The principal, and a session in a transaction that row-level security confines to
            the principal's tenant; committed when the block ends normally.

        Raises:
            AuthenticationError: As `authenticate`, before anything is yielded.
        """
        if is_api_key(token):
            principal = await self._authenticate_api_key(token)
            async with self.database.transaction(principal.tenant_id) as session:
                yield principal, session
            return
        claims = self.verify(token)
        async with self.database.transaction(claims.tenant_id) as session:
            uow = UnitOfWork(session=session, tenant_id=claims.tenant_id, actor_id=claims.user_id)
            principal = await IdentityService(uow, self.config).principal_for(claims)
            yield principal, session

    async def _authenticate_api_key(self, key: str) -> Principal:
        key_hash = hash_api_key(key)
        async with self.database.transaction(None) as session:
            found = await ApiKeyRepository.lookup(session, key_hash)
            if found is None:
                raise AuthenticationError("unknown API key")
            key_id, tenant_id = found
            # Same transaction, now in the key's tenant (and no longer naming the key's hash):
            # one BEGIN/COMMIT instead of two.
            await ApiKeyRepository.end_lookup(session, tenant_id)
            uow = UnitOfWork(session=session, tenant_id=tenant_id)
            return await ApiKeyService(uow).principal_for(key_id)

    async def purge_expired(self) -> int:
        """Delete refresh tokens past their family's lifetime and finished login counters.

        Returns:
            How many rows were deleted.
        """
        now = utcnow()
        async with self.database.transaction(None) as session:
            tokens = await RefreshTokenRepository(session).delete_expired(now)
            counters = await LoginThrottleRepository(session).delete_stale(
                now, timedelta(seconds=self.config.login_lockout_seconds)
            )
        _log.info("identity housekeeping", extra={"tokens": tokens, "counters": counters})
        return tokens + counters
