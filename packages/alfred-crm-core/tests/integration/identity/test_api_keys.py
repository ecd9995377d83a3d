"""API keys: shown once, stored hashed, accepted by `Authenticator.authenticate`, revocable."""

import hashlib
import uuid
from datetime import timedelta

import asyncpg
import pytest
from sqlalchemy import text

from alfred_crm_core import (
    AuthenticationError,
    Authenticator,
    AuthResult,
    Database,
    NotFoundError,
    PermissionDeniedError,
    Role,
    UnitOfWork,
    UserCreate,
)
from alfred_crm_core.clock import frozen_clock, utcnow
from alfred_crm_core.identity.api_keys import ApiKeyService
from alfred_crm_core.identity.schemas import ApiKeyCreate, ApiKeySecret
from alfred_crm_core.testing import RecordingEventSink

pytestmark = pytest.mark.anyio

ADA = UserCreate(name="Ada", email="ada@example.com", password="secret")


async def _create(db: Database, owner: AuthResult, name: str = "WhatsApp") -> ApiKeySecret:
    async with db.transaction(owner.tenant.id) as session:
        uow = UnitOfWork(session=session, tenant_id=owner.tenant.id, actor_id=owner.user.id)
        return await ApiKeyService(uow, Role.OWNER).create(ApiKeyCreate(name=name))


async def _revoke(db: Database, owner: AuthResult, key_id: uuid.UUID) -> None:
    async with db.transaction(owner.tenant.id) as session:
        uow = UnitOfWork(session=session, tenant_id=owner.tenant.id, actor_id=owner.user.id)
        await ApiKeyService(uow, Role.OWNER).revoke(key_id)


async def _sql(url: str, sql: str, *args: object) -> object:
    conn = await asyncpg.connect(url)
    try:
        return await conn.fetchval(sql, *args)
    finally:
        await conn.close()


async def test_a_new_key_is_shown_once_and_stored_only_as_its_hash(
    auth: Authenticator, db: Database, database_url: str
) -> None:
    owner = await auth.register(ADA)
    created = await _create(db, owner)
    assert created.key.startswith("alf_") and len(created.key) == 47
    assert created.last4 == created.key[-4:] and created.masked_key == f"alf_****{created.last4}"
    assert created.created_by == owner.user.id
    stored = await _sql(database_url, "SELECT key_hash FROM api_keys WHERE id = $1", created.id)
    assert stored == hashlib.sha256(created.key.encode()).digest()
    row = await _sql(database_url, "SELECT row_to_json(k)::text FROM api_keys k")
    assert isinstance(row, str) and created.key[4:-4] not in row


async def test_a_key_authenticates_as_its_creator_with_the_agent_role(
    auth: Authenticator, db: Database
) -> None:
    owner = await auth.register(ADA)
    created = await _create(db, owner)
    principal = await auth.authenticate(created.key)
    assert (principal.user_id, principal.tenant_id) == (owner.user.id, owner.tenant.id)
    assert principal.role is Role.AGENT and principal.api_key_id == created.id


@pytest.mark.parametrize(
    "mangle",
    [
        lambda k: k[:-1] + ("A" if k[-1] != "A" else "B"),
        lambda k: k + "x",
        lambda k: "alf_",
        lambda k: "alf_" + "A" * 500,
        lambda k: k.upper(),
    ],
    ids=["changed", "longer", "prefix-only", "oversized", "upper-case"],
)
async def test_anything_but_the_exact_key_is_refused(
    auth: Authenticator, db: Database, mangle: object
) -> None:
    owner = await auth.register(ADA)
    created = await _create(db, owner)
    assert callable(mangle)
    with pytest.raises(AuthenticationError) as err:
        await auth.authenticate(mangle(created.key))
    assert str(err.value) == "missing or invalid credentials"


async def test_a_revoked_key_is_refused_at_once_and_stays_listed(
    auth: Authenticator, db: Database
) -> None:
    owner = await auth.register(ADA)
    created = await _create(db, owner)
    await auth.authenticate(created.key)
    await _revoke(db, owner, created.id)
    with pytest.raises(AuthenticationError):
        await auth.authenticate(created.key)
    async with db.transaction(owner.tenant.id) as session:
        uow = UnitOfWork(session=session, tenant_id=owner.tenant.id, actor_id=owner.user.id)
        keys, _ = await ApiKeyService(uow, Role.ADMIN).list_page(limit=10, cursor=None)
    assert [k.id for k in keys] == [created.id] and keys[0].revoked_at is not None


async def test_revoking_twice_keeps_the_first_time_and_emits_once(
    auth: Authenticator, db: Database
) -> None:
    owner = await auth.register(ADA)
    created = await _create(db, owner)
    sink = RecordingEventSink()
    for _ in range(2):
        async with db.transaction(owner.tenant.id) as session:
            uow = UnitOfWork(
                session=session, tenant_id=owner.tenant.id, actor_id=owner.user.id, events=sink
            )
            await ApiKeyService(uow, Role.OWNER).revoke(created.id)
    assert sink.names() == ["api_key.revoked"]


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE users SET is_active = false WHERE id = $1",
        "DELETE FROM memberships WHERE user_id = $1",
    ],
    ids=["creator-disabled", "creator-left"],
)
async def test_a_key_dies_with_its_creators_membership(
    auth: Authenticator, db: Database, database_url: str, sql: str
) -> None:
    owner = await auth.register(ADA)
    created = await _create(db, owner)
    await _sql(database_url, sql, owner.user.id)
    with pytest.raises(AuthenticationError):
        await auth.authenticate(created.key)


async def test_a_key_survives_its_creators_logout(auth: Authenticator, db: Database) -> None:
    owner = await auth.register(ADA)
    created = await _create(db, owner)
    await auth.logout(owner.refresh_token)
    with pytest.raises(AuthenticationError):
        await auth.authenticate(owner.access_token)
    assert (await auth.authenticate(created.key)).user_id == owner.user.id


async def test_last_used_is_recorded_at_most_once_a_minute(
    auth: Authenticator, db: Database, database_url: str
) -> None:
    owner = await auth.register(ADA)
    created = await _create(db, owner)
    query = "SELECT last_used_at FROM api_keys WHERE id = $1"
    assert await _sql(database_url, query, created.id) is None
    start = utcnow()
    with frozen_clock(start):
        await auth.authenticate(created.key)
    with frozen_clock(start + timedelta(seconds=30)):
        await auth.authenticate(created.key)
    assert await _sql(database_url, query, created.id) == start
    later = start + timedelta(seconds=61)
    with frozen_clock(later):
        await auth.authenticate(created.key)
    assert await _sql(database_url, query, created.id) == later


@pytest.mark.parametrize("role", [Role.AGENT, None])
async def test_only_owners_and_admins_manage_keys(
    auth: Authenticator, db: Database, role: Role | None
) -> None:
    owner = await auth.register(ADA)
    created = await _create(db, owner)
    async with db.transaction(owner.tenant.id) as session:
        service = ApiKeyService(
            UnitOfWork(session=session, tenant_id=owner.tenant.id, actor_id=owner.user.id), role
        )
        with pytest.raises(PermissionDeniedError):
            await service.create(ApiKeyCreate(name="mine"))
        with pytest.raises(PermissionDeniedError):
            await service.list_page(limit=10, cursor=None)
        with pytest.raises(PermissionDeniedError):
            await service.revoke(created.id)


async def test_another_tenants_key_is_not_found_and_not_listed(
    auth: Authenticator, db: Database
) -> None:
    a = await auth.register(ADA)
    b = await auth.register(UserCreate(name="Bob", email="bob@example.com", password="secret"))
    created = await _create(db, a)
    with pytest.raises(NotFoundError):
        await _revoke(db, b, created.id)
    async with db.transaction(b.tenant.id) as session:
        uow = UnitOfWork(session=session, tenant_id=b.tenant.id, actor_id=b.user.id)
        keys, _ = await ApiKeyService(uow, Role.OWNER).list_page(limit=10, cursor=None)
    assert keys == []
    assert (await auth.authenticate(created.key)).tenant_id == a.tenant.id


class TestLookupPolicy:
    async def test_a_tenantless_transaction_sees_no_key_without_naming_its_hash(
        self, auth: Authenticator, db: Database
    ) -> None:
        owner = await auth.register(ADA)
        created = await _create(db, owner)
        other = await _create(db, owner, "other")
        async with db.transaction(None) as session:
            assert (await session.execute(text("SELECT count(*) FROM api_keys"))).scalar() == 0
            digest = hashlib.sha256(created.key.encode()).hexdigest()
            await session.execute(
                text("SELECT set_config('app.api_key_hash', :h, true)"), {"h": digest}
            )
            ids = (await session.execute(text("SELECT id FROM api_keys"))).scalars().all()
        assert ids == [created.id] and other.id not in ids

    async def test_the_lookup_policy_is_read_only(self, auth: Authenticator, db: Database) -> None:
        owner = await auth.register(ADA)
        created = await _create(db, owner)
        async with db.transaction(None) as session:
            digest = hashlib.sha256(created.key.encode()).hexdigest()
            await session.execute(
                text("SELECT set_config('app.api_key_hash', :h, true)"), {"h": digest}
            )
            changed = await session.execute(
                text("UPDATE api_keys SET revoked_at = NULL, name = 'x' RETURNING id")
            )
            assert changed.all() == []
