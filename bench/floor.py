"""The floor for `make bench`: the ingestion hot path's essential SQL on raw Starlette + asyncpg.

Same tables and indexes as Alfred (it runs against Alfred's migrated database, as the owner, so
no row-level security), one transaction per request: contact upsert, conversation
find-or-create through the partial unique index, message insert. No auth, no triage, no outbox:
what is left is the price of the database work itself.
"""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime

import asyncpg
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

UPSERT_CONTACT = """
INSERT INTO contacts (id, tenant_id, name, email) VALUES ($1, $2, $3, $4)
ON CONFLICT (tenant_id, email) DO UPDATE SET tenant_id = EXCLUDED.tenant_id RETURNING id
"""
TOUCH_CONVERSATION = """
UPDATE conversations SET last_message_at = $3, last_activity_at = now()
WHERE tenant_id = $1 AND contact_id = $2 AND channel = 'email' AND status <> 'resolved'
RETURNING id
"""
OPEN_CONVERSATION = """
INSERT INTO conversations (id, tenant_id, contact_id, channel, status, last_message_at)
VALUES ($1, $2, $3, 'email', 'open', $4)
ON CONFLICT (tenant_id, contact_id, channel) WHERE status <> 'resolved' DO NOTHING RETURNING id
"""
INSERT_MESSAGE = """
INSERT INTO messages (id, tenant_id, conversation_id, direction, channel, external_id, sender, body,
                      sent_at)
VALUES ($1, $2, $3, 'inbound', 'email', $4, $5, $6, $7)
ON CONFLICT (tenant_id, channel, external_id) DO NOTHING RETURNING id
"""

pool: asyncpg.Pool | None = None


@asynccontextmanager
async def lifespan(_: Starlette) -> AsyncIterator[None]:
    global pool
    pool = await asyncpg.create_pool(os.environ["FLOOR_DATABASE_URL"], min_size=8, max_size=16)
    yield
    await pool.close()


async def ingest(request: Request) -> Response:
    data = json.loads(await request.body())
    tenant = uuid.UUID(request.path_params["tenant"])
    sent_at = datetime.fromisoformat(data["sent_at"])
    assert pool is not None
    async with pool.acquire() as conn, conn.transaction():
        contact = await conn.fetchval(
            UPSERT_CONTACT, uuid.uuid4(), tenant, data["from_name"], data["from"]
        )
        conv = await conn.fetchval(TOUCH_CONVERSATION, tenant, contact, sent_at)
        if conv is None:
            conv = await conn.fetchval(OPEN_CONVERSATION, uuid.uuid4(), tenant, contact, sent_at)
            if conv is None:
                conv = await conn.fetchval(TOUCH_CONVERSATION, tenant, contact, sent_at)
        message = await conn.fetchval(
            INSERT_MESSAGE,
            uuid.uuid4(),
            tenant,
            conv,
            data["message_id"],
            data["from"],
            data["body"],
            sent_at,
        )
    status = 201 if message else 200
    return Response(json.dumps({"message_id": str(message)}), status, media_type="application/json")


app = Starlette(routes=[Route("/floor/{tenant}", ingest, methods=["POST"])], lifespan=lifespan)
