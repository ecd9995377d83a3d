"""Every statement the identity and notification services send on a tenant table names the tenant.

Row-level security would hide another tenant's rows anyway; this checks the first layer (the
service's own filter) on its own.
"""

import re
import uuid
from typing import Any

import pytest
from sqlalchemy import event

from alfred_crm_core import (
    AuthConfig,
    Authenticator,
    Database,
    LoginCredentials,
    NotificationService,
    PasswordHasher,
    UnitOfWork,
    UserCreate,
)

pytestmark = pytest.mark.anyio

TENANT_TABLES = ("notifications", "memberships")


async def test_statements_on_tenant_tables_filter_by_tenant(db: Database) -> None:
    statements: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        statements.append(statement)

    auth = Authenticator(
        db,
        AuthConfig(jwt_secret="scoping-secret-0123456789abcdef0123456789", password_min_length=6),
        hasher=PasswordHasher(time_cost=1, memory_kib=1024),
    )
    event.listen(db.engine.sync_engine, "before_cursor_execute", record)
    try:
        pair = await auth.register(UserCreate(name="A", email="a@example.com", password="secret"))
        await auth.login(LoginCredentials(email="a@example.com", password="secret"))
        principal = await auth.authenticate(pair.access_token)
        await auth.refresh(pair.refresh_token)
        async with db.transaction(principal.tenant_id) as session:
            service = NotificationService(
                UnitOfWork(session=session, tenant_id=principal.tenant_id)
            )
            page = await service.list(principal.user_id, unread=True)
            await service.mark_read(principal.user_id, page.items[0].id)
            await service.unread_count(principal.user_id)
            await service.mark_all_read(principal.user_id)
            await service.notify(
                user_id=principal.user_id,
                type="lead_stalled",
                entity_type="lead",
                entity_id=uuid.uuid4(),
                title="t",
                message="m",
            )
    finally:
        event.remove(db.engine.sync_engine, "before_cursor_execute", record)

    touching = [
        s for s in statements if re.search(rf"\b({'|'.join(TENANT_TABLES)})\b", s, re.IGNORECASE)
    ]
    assert touching, "nothing recorded"
    reads_and_writes = [s for s in touching if not s.lstrip().upper().startswith("INSERT")]
    assert reads_and_writes
    assert [s for s in reads_and_writes if "tenant_id" not in s] == []
