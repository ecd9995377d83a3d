"""Demo data for `alfred-api seed` (idempotent: run it as often as you like)."""

from __future__ import annotations

import uuid
from datetime import timedelta

from sqlalchemy import text

from alfred_automation import DestinationCreate, DestinationService
from alfred_crm_core import Database, UnitOfWork, UserCreate
from alfred_crm_core.clock import frozen_clock, utcnow
from alfred_crm_core.conversation.models import Channel
from alfred_crm_core.ingestion.schemas import InboundMessage
from alfred_crm_core.ingestion.service import IngestionService
from alfred_crm_core.lead.models import LeadStage
from alfred_crm_core.lead.schemas import LeadCreate
from alfred_crm_core.lead.service import LeadService
from alfred_crm_core.task.models import Priority, TaskStatus
from alfred_crm_core.task.schemas import TaskCreate
from alfred_crm_core.task.service import TaskService
from alfred_reference_api import bootstrap
from alfred_reference_api.automation import hub_config
from alfred_reference_api.demo_data import CONTACTS, EXTRA_LEADS, TASKS
from alfred_reference_api.settings import Settings

__all__ = ["DEMO_EMAIL", "DEMO_PASSWORD", "seed_demo"]

DEMO_EMAIL = "demo@alfred.ai"
DEMO_PASSWORD = "password"  # noqa: S105  # the product README's published demo login


async def seed_demo(database: Database, settings: Settings) -> list[str]:
    """Create the demo user (`demo@alfred.ai` / `password`) and its workspace, unless present.

    No token is issued, so the demo user's first login gets the onboarding notification.

    Returns:
        One line per thing created or found, for the command to print.
    """
    auth = bootstrap.authenticator(settings, database)
    user, created = await auth.ensure_account(
        UserCreate(name="Alfred Demo", email=DEMO_EMAIL, password=DEMO_PASSWORD)
    )
    lines = [
        f"seed: created user {user.email} (password: {DEMO_PASSWORD}) with its workspace"
        if created
        else f"seed: user {user.email} already exists; left as it is"
    ]
    async with database.system_transaction() as session:  # the user's own workspace id
        tenant_id = (
            await session.execute(
                text("SELECT default_tenant_id FROM users WHERE id = :id"), {"id": user.id}
            )
        ).scalar_one()
    lines += await _seed_crm(database, settings, tenant_id, user.id)
    return lines


DEMO_DESTINATION_URL = "https://hooks.example.com/alfred-demo"
"""The example destination's URL: a placeholder, saved disabled, never delivered to."""


async def _demo_resolver(host: str, port: int) -> list[str]:
    # The example destination is a placeholder saved disabled: vet it against a fixed public
    # documentation address instead of asking DNS (the demo must seed without a network).
    return ["93.184.215.14"]


async def _seed_crm(
    database: Database, settings: Settings, tenant_id: uuid.UUID, user_id: uuid.UUID
) -> list[str]:
    """Fill the demo workspace once: skipped whenever it already has contacts."""
    triager = bootstrap.triager(settings)
    async with database.transaction(tenant_id) as session:
        uow = UnitOfWork(
            session=session,
            tenant_id=tenant_id,
            actor_id=user_id,
            events=bootstrap.event_sink(settings),
        )
        if (await session.execute(text("SELECT count(*) FROM contacts"))).scalar_one():
            return ["seed: demo CRM data already present; left as it is"]
        now = utcnow()
        ingestion = IngestionService(uow, triager)
        contact_ids: list[uuid.UUID] = []
        for i, (name, channel, sender, subject, body, hours_ago) in enumerate(CONTACTS):
            result = await ingestion.ingest(
                Channel(channel),
                InboundMessage.model_validate(
                    {
                        "message_id": f"demo-{i:03d}",
                        "from": sender,
                        "from_name": name,
                        "subject": subject,
                        "body": body,
                        "sent_at": now - timedelta(hours=hours_ago),
                    }
                ),
            )
            contact_ids.append(result.contact_id)
        tasks = TaskService(uow)
        for title, due_in, priority, status, contact in TASKS:
            await tasks.create(
                TaskCreate(
                    title=title,
                    due_at=now + due_in if due_in is not None else None,
                    priority=Priority(priority),
                    status=TaskStatus(status),
                    contact_id=contact_ids[contact] if contact is not None else None,
                    assignee_id=user_id,
                )
            )
        leads = LeadService(uow)
        for contact, stage, value, currency, days_quiet in EXTRA_LEADS:
            with frozen_clock(now - timedelta(days=days_quiet)):
                await leads.create(
                    LeadCreate(
                        contact_id=contact_ids[contact],
                        title="Oportunidade demo",
                        stage=LeadStage(stage),
                        value=value,
                        currency=currency,
                    )
                )
        await DestinationService(uow, hub_config(settings), resolver=_demo_resolver).create(
            DestinationCreate(
                name="Example Activepieces flow (disabled)",
                url=DEMO_DESTINATION_URL,
                enabled=False,
                event_types=["message.ingested", "task.created"],
            )
        )
        await session.flush()
        counts = {
            # Fixed table names, not input.
            table: (await session.execute(text(f"SELECT count(*) FROM {table}"))).scalar_one()  # noqa: S608
            for table in (
                "contacts",
                "conversations",
                "messages",
                "tasks",
                "leads",
                "automation_destinations",
            )
        }
    return [
        "seed: demo CRM data created: " + ", ".join(f"{n} {table}" for table, n in counts.items())
    ]
