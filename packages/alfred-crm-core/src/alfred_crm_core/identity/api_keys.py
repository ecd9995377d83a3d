"""API keys: long-lived bearer credentials for channel providers and automation tools.

A key is shown once, when it is created, and stored only as its SHA-256. It is accepted wherever
an access token is (`Authenticator.authenticate` tells them apart by the `alf_` prefix) and acts
as the member who created it, with the `agent` role whatever that member's own role: a leaked key
can read and write CRM data but cannot manage keys (or anything else reserved to owners and
admins). It stops working when revoked, or when its creator is disabled or leaves the tenant; it
survives its creator's logout and password change, which end sessions, not integrations.
"""

from __future__ import annotations

import uuid
from datetime import timedelta

from alfred_crm_core.clock import utcnow
from alfred_crm_core.errors import AuthenticationError, PermissionDeniedError
from alfred_crm_core.identity.events import ApiKeyCreated, ApiKeyRevoked
from alfred_crm_core.identity.models import ApiKey, Role
from alfred_crm_core.identity.repository import ApiKeyRepository
from alfred_crm_core.identity.schemas import ApiKeyCreate, ApiKeySecret, Principal
from alfred_crm_core.identity.tokens import hash_api_key, new_api_key
from alfred_crm_core.uow import UnitOfWork

__all__ = ["API_KEY_ROLE", "KEY_MANAGERS", "LAST_USED_RESOLUTION", "ApiKeyService"]

API_KEY_ROLE = Role.AGENT
"""The role every API key acts with."""

KEY_MANAGERS = frozenset({Role.OWNER, Role.ADMIN})
"""The roles that may create, list and revoke API keys (never an API key itself)."""

LAST_USED_RESOLUTION = timedelta(minutes=1)
"""`last_used_at` is written at most this often per key, so busy keys cost no write per request."""


class ApiKeyService:
    """Create, list and revoke the API keys of the unit of work's tenant.

    Args:
        uow: The open unit of work; `actor_id` is the member creating keys.
        role: The caller's role; only owners and admins manage keys (None: no caller, as when
            authenticating).
    """

    def __init__(self, uow: UnitOfWork, role: Role | None = None) -> None:
        self.uow = uow
        self.role = role
        self.keys = ApiKeyRepository(uow)

    def _require_manager(self) -> None:
        if self.role not in KEY_MANAGERS:
            raise PermissionDeniedError("managing API keys (owners and admins only)")

    async def create(self, data: ApiKeyCreate) -> ApiKeySecret:
        """Create a key acting as the caller; the answer is the only place the key ever appears.

        Raises:
            PermissionDeniedError: The caller is not an owner or admin.
        """
        self._require_manager()
        assert self.uow.actor_id is not None  # a role implies an authenticated member
        key = new_api_key()
        row = self.keys.add(
            ApiKey(
                id=uuid.uuid4(),
                user_id=self.uow.actor_id,
                name=data.name,
                key_hash=hash_api_key(key),
                last4=key[-4:],
                created_at=utcnow(),
            )
        )
        await self.uow.session.flush()
        await self.uow.emit(
            ApiKeyCreated(
                tenant_id=self.uow.tenant_id,
                api_key_id=row.id,
                key_name=row.name,
                created_by=row.user_id,
            )
        )
        return ApiKeySecret.model_validate({**_fields(row), "key": key})

    async def list_page(self, *, limit: int, cursor: str | None) -> tuple[list[ApiKey], str | None]:
        """A page of the tenant's keys, revoked ones included, newest first.

        Raises:
            PermissionDeniedError: The caller is not an owner or admin.
        """
        self._require_manager()
        return await self.keys.list_page(limit=limit, cursor=cursor)

    async def revoke(self, key_id: uuid.UUID) -> None:
        """Revoke a key at once; revoking a revoked key changes nothing.

        Raises:
            PermissionDeniedError: The caller is not an owner or admin.
            NotFoundError: No such key in this tenant.
        """
        self._require_manager()
        key = await self.keys.get(key_id, lock="update")
        if key.revoked_at is not None:
            return
        key.revoked_at = utcnow()
        await self.uow.session.flush()
        await self.uow.emit(
            ApiKeyRevoked(
                tenant_id=self.uow.tenant_id, api_key_id=key.id, revoked_by=self.uow.actor_id
            )
        )

    async def principal_for(self, key_id: uuid.UUID) -> Principal:
        """The principal a key found by `ApiKeyRepository.lookup` acts as; records its use.

        Raises:
            AuthenticationError: The key is revoked, or its creator is disabled or no longer a
                member of the tenant.
        """
        user_id = await self.keys.holder_of_live_key(key_id)
        if user_id is None:
            raise AuthenticationError("API key revoked, or its creator disabled or gone")
        await self.keys.mark_used(key_id, utcnow(), LAST_USED_RESOLUTION)
        return Principal(
            user_id=user_id, tenant_id=self.uow.tenant_id, role=API_KEY_ROLE, api_key_id=key_id
        )


def _fields(row: ApiKey) -> dict[str, object]:
    return {
        "id": row.id,
        "name": row.name,
        "last4": row.last4,
        "user_id": row.user_id,
        "created_at": row.created_at,
        "last_used_at": row.last_used_at,
        "revoked_at": row.revoked_at,
    }
