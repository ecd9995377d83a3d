"""The app's side of the automation hub.

Its config from the settings, the CRM actions callbacks may run, and the notification sent to
the owners when a delivery fails for good.
"""

from __future__ import annotations

import uuid
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from alfred_automation import HubConfig
from alfred_automation.worker import DeliveryFailure
from alfred_crm_core import UnitOfWork, ValidationError
from alfred_crm_core.contact.schemas import ContactUpdate
from alfred_crm_core.contact.service import ContactService
from alfred_crm_core.conversation.models import ConversationStatus
from alfred_crm_core.conversation.schemas import CommentCreate, ConversationUpdate, MessageCreate
from alfred_crm_core.conversation.service import ConversationService
from alfred_crm_core.identity.repository import MembershipRepository
from alfred_crm_core.notification.models import NotificationType
from alfred_crm_core.notification.service import NotificationService
from alfred_crm_core.task.schemas import TaskCreate
from alfred_crm_core.task.service import TaskService
from alfred_reference_api.settings import Settings

__all__ = ["CrmActionRunner", "hub_config", "notify_delivery_failed"]


def hub_config(settings: Settings) -> HubConfig:
    """The hub's settings from the app's (secrets must be resolved first)."""
    return HubConfig(
        encryption_keys=settings.encryption_keys,
        enabled=settings.automation_enabled,
        timeout_seconds=settings.automation_default_timeout_seconds,
        max_attempts=settings.automation_max_attempts,
        retry_base_seconds=settings.automation_retry_base_seconds,
        retry_max_seconds=settings.automation_retry_max_seconds,
        replay_window_seconds=settings.automation_replay_window_seconds,
        rate_limit_per_minute=settings.automation_rate_limit_per_minute,
        allow_private_urls=settings.automation_allow_private_urls,
        require_https=settings.environment == "production"
        and not settings.automation_allow_private_urls,
    )


class _StatusParams(BaseModel):
    model_config = ConfigDict(extra="ignore")
    conversation_id: uuid.UUID
    status: ConversationStatus
    snoozed_until: Any = None


class _CommentParams(BaseModel):
    model_config = ConfigDict(extra="ignore")
    conversation_id: uuid.UUID
    body: str = Field(min_length=1, max_length=65536)


class _MessageParams(BaseModel):
    model_config = ConfigDict(extra="ignore")
    conversation_id: uuid.UUID
    body: str = Field(min_length=1, max_length=65536)
    subject: str | None = None


class _ContactParams(ContactUpdate):
    contact_id: uuid.UUID


class CrmActionRunner:
    """Runs the README's callback actions through core's services (so they emit events)."""

    async def run(self, uow: UnitOfWork, action: str, params: dict[str, Any]) -> dict[str, Any]:
        """Run one action; pydantic and core errors become 422/404 in the processor."""
        if action == "create_task":
            task = await TaskService(uow).create(TaskCreate.model_validate(params))
            return {"task_id": str(task.id), "title": task.title, "status": task.status.value}
        if action == "update_conversation_status":
            p = _StatusParams.model_validate(params)
            update = ConversationUpdate.model_validate(
                {
                    "status": p.status,
                    **({"snoozed_until": p.snoozed_until} if p.snoozed_until else {}),
                }
            )
            conv = await ConversationService(uow).update(p.conversation_id, update)
            return {"conversation_id": str(conv.id), "status": conv.status.value}
        if action == "add_internal_comment":
            c = _CommentParams.model_validate(params)
            comment = await ConversationService(uow).comment(
                c.conversation_id, CommentCreate(body=c.body)
            )
            return {"comment_id": str(comment.id), "conversation_id": str(c.conversation_id)}
        if action == "send_message":
            m = _MessageParams.model_validate(params)
            message = await ConversationService(uow).reply(
                m.conversation_id, MessageCreate(body=m.body, subject=m.subject)
            )
            return {"message_id": str(message.id), "conversation_id": str(m.conversation_id)}
        if action == "update_contact":
            u = _ContactParams.model_validate(params)
            fields = {
                k: v for k, v in u.model_dump(exclude_unset=True).items() if k != "contact_id"
            }
            contact = await ContactService(uow).update(
                u.contact_id, ContactUpdate.model_validate(fields)
            )
            return {"contact_id": str(contact.id)}
        raise ValidationError("action", f"action: unknown action {action!r}")


async def notify_delivery_failed(uow: UnitOfWork, failure: DeliveryFailure) -> None:
    """Tell the tenant's owners that a delivery failed for good (collapsed per destination)."""
    owners = await MembershipRepository(uow).owners()
    delivery = failure.delivery
    why = delivery.last_error or f"HTTP {delivery.last_status_code}"
    disabled = " The destination was disabled (410 Gone)." if failure.destination_disabled else ""
    for owner in owners:
        await NotificationService(uow).notify(
            user_id=owner,
            type=NotificationType.AUTOMATION_DELIVERY_FAILED,
            entity_type="automation_destination",
            entity_id=delivery.destination_id,
            title=f"Falha na automação / Delivery failed: {failure.destination_name}",
            message=(
                f"'{failure.event_type}' could not be delivered to '{failure.destination_name}' "
                f"after {delivery.attempts} attempt(s): {why}.{disabled} "
                f"Redeliver with POST /api/v1/automations/deliveries/{delivery.id}/redeliver."
            ),
        )
