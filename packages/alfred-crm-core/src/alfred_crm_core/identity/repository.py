"""Data access for identity.

`MembershipRepository` and `ApiKeyRepository` are tenant-scoped like every repository of a tenant
table. The others work on tables without a tenant (users, refresh tokens, the login throttle) or
on `tenants` itself, and each query names the one row it wants (an id, an e-mail or a token hash).
`ApiKeyRepository.lookup` is the one read of a tenant table before the tenant is known: it names
the key's hash, and row-level security shows it that one row.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from sqlalchemy import case, delete, select, text, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from alfred_crm_core._db import Repository
from alfred_crm_core.db import driver_connection
from alfred_crm_core.identity.models import (
    ApiKey,
    LoginThrottle,
    Membership,
    RefreshToken,
    Role,
    Tenant,
    User,
)
from alfred_crm_core.pagination import page_of, paginate

__all__ = [
    "ApiKeyRepository",
    "LoginThrottleRepository",
    "MembershipRepository",
    "RefreshTokenRepository",
    "TenantRepository",
    "UserRepository",
]


class TenantRepository:
    """Tenants (row-level security shows a transaction only its own tenant)."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    def add(self, tenant: Tenant) -> Tenant:
        """Stage `tenant` for insertion."""
        self.session.add(tenant)
        return tenant

    async def find(self, tenant_id: uuid.UUID) -> Tenant | None:
        """Return the tenant, or None."""
        result = await self.session.execute(select(Tenant).where(Tenant.id == tenant_id))
        return result.scalar_one_or_none()


class UserRepository:
    """Users, found by id or by normalised e-mail."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def find(self, user_id: uuid.UUID, *, for_update: bool = False) -> User | None:
        """Return the user, or None; `for_update` locks the row until the transaction ends."""
        query = select(User).where(User.id == user_id).execution_options(populate_existing=True)
        if for_update:
            query = query.with_for_update()
        result = await self.session.execute(query)
        return result.scalar_one_or_none()

    async def find_by_email(self, email: str) -> User | None:
        """Return the user with this normalised e-mail, or None."""
        result = await self.session.execute(select(User).where(User.email == email))
        return result.scalar_one_or_none()

    async def insert_unless_taken(
        self, *, name: str, email: str, password_hash: str, default_tenant_id: uuid.UUID
    ) -> User | None:
        """Insert a user, or do nothing when the e-mail is taken (also by a concurrent insert).

        Returns:
            The new user, or None when the e-mail already had an account.
        """
        statement = (
            insert(User)
            .values(
                id=uuid.uuid4(),
                name=name,
                email=email,
                password_hash=password_hash,
                default_tenant_id=default_tenant_id,
            )
            .on_conflict_do_nothing(index_elements=[User.email])
            .returning(User)
        )
        result = await self.session.execute(statement)
        return result.scalar_one_or_none()

    async def claim_onboarding(self, user_id: uuid.UUID, now: datetime) -> bool:
        """Set `onboarded_at` unless it is set; True for exactly one caller, however concurrent."""
        result = await self.session.execute(
            update(User)
            .where(User.id == user_id, User.onboarded_at.is_(None))
            .values(onboarded_at=now)
            .returning(User.id)
        )
        return result.scalar_one_or_none() is not None

    async def bump_token_version(self, user_id: uuid.UUID) -> None:
        """Invalidate every access token issued to the user so far."""
        await self.session.execute(
            update(User).where(User.id == user_id).values(token_version=User.token_version + 1)
        )

    async def set_password_hash(
        self, user_id: uuid.UUID, password_hash: str, *, changed_at: datetime | None = None
    ) -> None:
        """Store a new hash; `changed_at` marks a password change (rather than a rehash)."""
        values: dict[str, object] = {"password_hash": password_hash}
        if changed_at is not None:
            values["password_changed_at"] = changed_at
        await self.session.execute(update(User).where(User.id == user_id).values(**values))


_ROLE_OF_ACTIVE_USER = """
SELECT m.role FROM memberships m JOIN users u ON u.id = m.user_id
WHERE m.tenant_id = $1 AND m.user_id = $2 AND u.is_active AND u.token_version = $3
"""


class MembershipRepository(Repository[Membership]):
    """Memberships of the unit of work's tenant."""

    model = Membership
    entity = "membership"

    async def owners(self) -> list[uuid.UUID]:
        """The ids of this tenant's owners (who hear about what nobody else is assigned)."""
        rows = await self.session.execute(
            select(Membership.user_id).where(self._in_tenant(), Membership.role == Role.OWNER)
        )
        return list(rows.scalars().all())

    async def find_for_user(self, user_id: uuid.UUID) -> Membership | None:
        """Return the user's membership in this tenant, or None."""
        result = await self.session.execute(self._scoped().where(Membership.user_id == user_id))
        return result.scalar_one_or_none()

    async def role_of_active_user(self, user_id: uuid.UUID, token_version: int) -> Role | None:
        """The user's role here if the user is active and at `token_version`; else None.

        Hand-written SQL: every authenticated request runs it (docs/performance.md).
        """
        conn = await driver_connection(self.session)
        role: str | None = await conn.fetchval(
            _ROLE_OF_ACTIVE_USER, self.tenant_id, user_id, token_version
        )
        return Role(role) if role is not None else None


class ApiKeyRepository(Repository[ApiKey]):
    """API keys of the unit of work's tenant, and the tenant-less lookup by hash."""

    model = ApiKey
    entity = "API key"

    @staticmethod
    async def lookup(session: AsyncSession, key_hash: bytes) -> tuple[uuid.UUID, uuid.UUID] | None:
        """The (key id, tenant) of the key with this hash, in a transaction with no tenant.

        Sets `app.api_key_hash` for the rest of the transaction: the `api_key_lookup` policy
        then shows exactly the row with that hash (revoked or not) and nothing else.
        """
        await session.execute(
            text("SELECT set_config('app.api_key_hash', :hash, true)"), {"hash": key_hash.hex()}
        )
        result = await session.execute(
            select(ApiKey.id, ApiKey.tenant_id).where(ApiKey.key_hash == key_hash)
        )
        row = result.one_or_none()
        return (row.id, row.tenant_id) if row is not None else None

    @staticmethod
    async def end_lookup(session: AsyncSession, tenant_id: uuid.UUID) -> None:
        """Move a `lookup` transaction into the key's tenant, forgetting the key's hash."""
        await session.execute(
            text(
                "SELECT set_config('app.api_key_hash', '', true),"
                " set_config('app.tenant_id', :tenant, true)"
            ),
            {"tenant": str(tenant_id)},
        )

    async def list_page(self, *, limit: int, cursor: str | None) -> tuple[list[ApiKey], str | None]:
        """A page of the tenant's keys (revoked ones too), newest first."""
        query = paginate(self._scoped(), ApiKey.created_at, ApiKey.id, limit=limit, cursor=cursor)
        rows = (await self.session.execute(query)).scalars().all()
        return page_of(rows, limit)

    async def holder_of_live_key(self, key_id: uuid.UUID) -> uuid.UUID | None:
        """The user a live key acts as: not revoked, its user active and still a member."""
        result = await self.session.execute(
            select(ApiKey.user_id)
            .join(User, User.id == ApiKey.user_id)
            .join(
                Membership,
                (Membership.user_id == ApiKey.user_id) & (Membership.tenant_id == ApiKey.tenant_id),
            )
            .where(
                self._in_tenant(),
                ApiKey.id == key_id,
                ApiKey.revoked_at.is_(None),
                User.is_active.is_(True),
            )
        )
        user_id: uuid.UUID | None = result.scalar_one_or_none()
        return user_id

    async def mark_used(self, key_id: uuid.UUID, now: datetime, every: timedelta) -> None:
        """Set `last_used_at` to `now` unless it was set less than `every` ago (fewer writes)."""
        await self.session.execute(
            update(ApiKey)
            .where(
                self._in_tenant(),
                ApiKey.id == key_id,
                (ApiKey.last_used_at.is_(None)) | (ApiKey.last_used_at < now - every),
            )
            .values(last_used_at=now)
        )


class RefreshTokenRepository:
    """Refresh tokens, always looked up by the SHA-256 of the token."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    def add(self, token: RefreshToken) -> RefreshToken:
        """Stage `token` for insertion."""
        self.session.add(token)
        return token

    async def find(self, token_hash: bytes) -> RefreshToken | None:
        """Return the token with this hash, whatever its state, or None."""
        result = await self.session.execute(
            select(RefreshToken)
            .where(RefreshToken.token_hash == token_hash)
            .execution_options(populate_existing=True)
        )
        return result.scalar_one_or_none()

    async def consume(self, token_hash: bytes, now: datetime) -> RefreshToken | None:
        """Mark a live token used, in one statement; None when it was not live.

        Of any number of concurrent calls with the same token, exactly one gets it: the others
        wait for its row lock, then find `used_at` set and match nothing.
        """
        result = await self.session.execute(
            update(RefreshToken)
            .where(
                RefreshToken.token_hash == token_hash,
                RefreshToken.used_at.is_(None),
                RefreshToken.revoked_at.is_(None),
                RefreshToken.expires_at > now,
                RefreshToken.family_expires_at > now,
            )
            .values(used_at=now)
            .returning(RefreshToken)
            .execution_options(populate_existing=True)
        )
        return result.scalar_one_or_none()

    async def revoke_family(self, family_id: uuid.UUID, now: datetime) -> int:
        """Revoke every token of the family, used or not; returns how many were revoked now."""
        result = await self.session.execute(
            update(RefreshToken)
            .where(RefreshToken.family_id == family_id, RefreshToken.revoked_at.is_(None))
            .values(revoked_at=now)
            .returning(RefreshToken.id)
        )
        return len(result.all())

    async def revoke_all_for_user(self, user_id: uuid.UUID, now: datetime) -> int:
        """Revoke every token of every family of the user; returns how many were revoked now."""
        result = await self.session.execute(
            update(RefreshToken)
            .where(RefreshToken.user_id == user_id, RefreshToken.revoked_at.is_(None))
            .values(revoked_at=now)
            .returning(RefreshToken.id)
        )
        return len(result.all())

    async def delete_expired(self, now: datetime) -> int:
        """Delete tokens past their family's absolute lifetime (housekeeping)."""
        result = await self.session.execute(
            delete(RefreshToken)
            .where(RefreshToken.family_expires_at <= now)
            .returning(RefreshToken.id)
        )
        return len(result.all())


class LoginThrottleRepository:
    """Per-account login attempt counters, one row per hashed e-mail."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def hit(
        self, key: bytes, now: datetime, *, max_attempts: int, window: timedelta
    ) -> datetime | None:
        """Count one attempt, atomically; return the end of the lockout when it is refused.

        The attempt is counted before the password is checked, so that concurrent attempts cannot
        together exceed `max_attempts`. Within a window of `window` from its first attempt an
        account gets `max_attempts` attempts; the next locks it for `window`. Attempts during the
        lockout neither count nor extend it.
        """
        table = LoginThrottle.__table__
        in_window = table.c.window_started_at > now - window
        locked = table.c.locked_until > now
        first = insert(LoginThrottle).values(
            key=key, window_started_at=now, attempts=1, locked_until=None
        )
        statement = first.on_conflict_do_update(
            index_elements=[LoginThrottle.key],
            set_={
                "window_started_at": case(
                    (locked, table.c.window_started_at),
                    (in_window, table.c.window_started_at),
                    else_=first.excluded.window_started_at,
                ),
                "attempts": case(
                    (locked, table.c.attempts),
                    (in_window, table.c.attempts + 1),
                    else_=1,
                ),
                "locked_until": case(
                    (locked, table.c.locked_until),
                    (in_window & (table.c.attempts + 1 > max_attempts), now + window),
                    else_=None,
                ),
            },
        ).returning(LoginThrottle.locked_until)
        locked_until = (await self.session.execute(statement)).scalar_one()
        return locked_until if locked_until is not None and locked_until > now else None

    async def clear(self, key: bytes) -> None:
        """Forget the attempts of an account (after a successful login)."""
        await self.session.execute(delete(LoginThrottle).where(LoginThrottle.key == key))

    async def delete_stale(self, now: datetime, window: timedelta) -> int:
        """Delete counters whose window and lockout are over (housekeeping)."""
        result = await self.session.execute(
            delete(LoginThrottle)
            .where(
                LoginThrottle.window_started_at <= now - window,
                (LoginThrottle.locked_until.is_(None)) | (LoginThrottle.locked_until <= now),
            )
            .returning(LoginThrottle.key)
        )
        return len(result.all())
