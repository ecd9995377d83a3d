"""Identity tables: tenants, users, memberships, API keys, refresh tokens and the login throttle.

`memberships` and `api_keys` carry `tenant_id` (row-level security, like every tenant table);
`tenants` is protected by a policy on its own `id`. An API key is found before its tenant is
known through a second, read-only policy that shows a transaction the one key whose hash it names
(see `ApiKeyRepository.lookup`). `users`, `refresh_tokens` and `login_throttles` are looked
up before the tenant is known (login, refresh), so they have no tenant and no policy: every query
on them names the user or the token hash it wants.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import (
    CheckConstraint,
    Enum,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    LargeBinary,
    String,
    UniqueConstraint,
    text,
    true,
)
from sqlalchemy.orm import Mapped, mapped_column

from alfred_crm_core._db import Base, TenantMixin, TimestampMixin, uuid_pk

__all__ = ["ApiKey", "LoginThrottle", "Membership", "RefreshToken", "Role", "Tenant", "User"]


class Role(StrEnum):
    """What a member may do in a tenant."""

    OWNER = "owner"
    ADMIN = "admin"
    AGENT = "agent"


class Tenant(TimestampMixin, Base):
    """A workspace: every CRM row belongs to exactly one."""

    __tablename__ = "tenants"

    id: Mapped[uuid.UUID] = uuid_pk()
    name: Mapped[str] = mapped_column(String(200))


class User(TimestampMixin, Base):
    """A person who signs in. `email` is stored normalised (stripped, lowercased, NFC).

    `token_version` is copied into every access token; bumping it (logout, password change,
    refresh-token reuse) rejects every access token issued before. `onboarded_at` is set, once,
    when the first token is issued, together with the onboarding notification.
    """

    __tablename__ = "users"

    id: Mapped[uuid.UUID] = uuid_pk()
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(String(255))
    is_active: Mapped[bool] = mapped_column(default=True, server_default=true())
    token_version: Mapped[int] = mapped_column(default=0, server_default=text("0"))
    default_tenant_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("tenants.id", ondelete="RESTRICT")
    )
    onboarded_at: Mapped[datetime | None]
    password_changed_at: Mapped[datetime | None]


def _role_values(enum: type[Role]) -> list[str]:
    return [member.value for member in enum]


class Membership(TenantMixin, TimestampMixin, Base):
    """A user's role in a tenant (one membership per user and tenant)."""

    __tablename__ = "memberships"
    __table_args__ = (
        ForeignKeyConstraint(["tenant_id"], ["tenants.id"], ondelete="CASCADE"),
        UniqueConstraint("tenant_id", "user_id"),
        CheckConstraint("role IN ('owner', 'admin', 'agent')", name="role"),
        Index(None, "user_id"),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    role: Mapped[Role] = mapped_column(
        Enum(
            Role,
            native_enum=False,
            create_constraint=False,
            length=16,
            values_callable=_role_values,
            validate_strings=True,
        )
    )


class ApiKey(TenantMixin, Base):
    """A long-lived credential for integrations (channel providers, automation tools).

    Only the SHA-256 of the key is stored, with its last four characters to tell keys apart. The
    key acts as `user_id` (the member who created it) with the `agent` role; it stops working when
    revoked, or when that user is disabled or leaves the tenant.
    """

    __tablename__ = "api_keys"
    __table_args__ = (
        ForeignKeyConstraint(["tenant_id"], ["tenants.id"], ondelete="CASCADE"),
        Index("ix_api_keys_tenant_created", "tenant_id", text("created_at DESC"), text("id DESC")),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(100))
    key_hash: Mapped[bytes] = mapped_column(LargeBinary(32), unique=True)
    last4: Mapped[str] = mapped_column(String(4))
    created_at: Mapped[datetime]
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]


class RefreshToken(Base):
    """One refresh token of a family (the chain of rotations that started at one login).

    Only the SHA-256 of the token is stored. A token is live while `used_at` and `revoked_at`
    are null and both `expires_at` (per token) and `family_expires_at` (absolute) are ahead.
    """

    __tablename__ = "refresh_tokens"
    __table_args__ = (Index(None, "family_id"), Index(None, "user_id"))

    id: Mapped[uuid.UUID] = uuid_pk()
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    family_id: Mapped[uuid.UUID]
    token_hash: Mapped[bytes] = mapped_column(LargeBinary(32), unique=True)
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    family_expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]


class LoginThrottle(Base):
    """Login attempts for one normalised e-mail (keyed by its SHA-256), shared by every process.

    Known and unknown e-mails are counted alike, so the throttle tells nothing about which exist.
    """

    __tablename__ = "login_throttles"

    key: Mapped[bytes] = mapped_column(LargeBinary(32), primary_key=True)
    window_started_at: Mapped[datetime]
    attempts: Mapped[int] = mapped_column(server_default=text("0"))
    locked_until: Mapped[datetime | None]
