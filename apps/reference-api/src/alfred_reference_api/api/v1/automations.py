"""The automation hub: destinations, events, deliveries and signed callbacks.

Mounted twice, under `/api/v1/automations` and `/v1/automations` (the alias integrations such as
Activepieces use). When `AUTOMATION_ENABLED=false` it is not mounted at all (404), while events
are still recorded in the outbox.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import JSONResponse

from alfred_automation import (
    DeliveryAttemptRead,
    DeliveryFilter,
    DeliveryRead,
    DeliveryService,
    DeliveryStatus,
    DestinationCreate,
    DestinationRead,
    DestinationService,
    DestinationUpdate,
    DestinationWithSecret,
    EventFilter,
    EventPublish,
    EventRecord,
    EventService,
    HubConfig,
    OutboxSink,
)
from alfred_automation.callbacks import CallbackProcessor
from alfred_crm_core import Page, PermissionDeniedError, Principal, Role
from alfred_reference_api.api.v1._params import Cursor, Limit
from alfred_reference_api.deps import PrincipalDep, UowDep
from alfred_reference_api.errors import problems

router = APIRouter(prefix="/automations", tags=["automations"])


@dataclass
class Automation:
    """The hub's parts for one app instance."""

    config: HubConfig
    sink: OutboxSink
    callbacks: CallbackProcessor


async def get_automation(request: Request) -> Automation:
    """The hub's parts the app factory attached."""
    automation: Automation = request.app.state.automation
    return automation


AutomationDep = Annotated[Automation, Depends(get_automation)]


def _admin(principal: Principal) -> None:
    if principal.role not in (Role.OWNER, Role.ADMIN):
        raise PermissionDeniedError("managing automations needs the owner or admin role")


# -- destinations ------------------------------------------------------------------------------


@router.post(
    "/destinations",
    status_code=201,
    summary="Create a destination",
    responses=problems(401, 403, 422),
)
async def create_destination(
    data: DestinationCreate, uow: UowDep, principal: PrincipalDep, hub: AutomationDep
) -> DestinationWithSecret:
    """Create an outbound webhook destination.

    The secret is write-only: when you send none, Alfred generates `whsec_...` and returns it in
    this response only. The URL must be http(s), carry no credentials and resolve to a public
    address (422 otherwise).
    """
    _admin(principal)
    return await DestinationService(uow, hub.config).create(data)


@router.get("/destinations", summary="List destinations", responses=problems(401, 422))
async def list_destinations(
    uow: UowDep, hub: AutomationDep, limit: Limit = 50, cursor: Cursor = None
) -> Page[DestinationRead]:
    """Destinations, newest first; secrets only as `secret_masked`."""
    return await DestinationService(uow, hub.config).list(limit=limit, cursor=cursor)


@router.get(
    "/destinations/{destination_id}",
    summary="Get a destination",
    responses=problems(401, 404, 422),
)
async def get_destination(
    destination_id: uuid.UUID, uow: UowDep, hub: AutomationDep
) -> DestinationRead:
    """One destination."""
    return await DestinationService(uow, hub.config).get(destination_id)


@router.patch(
    "/destinations/{destination_id}",
    summary="Update a destination",
    responses=problems(401, 403, 404, 422),
)
async def update_destination(
    destination_id: uuid.UUID,
    data: DestinationUpdate,
    uow: UowDep,
    principal: PrincipalDep,
    hub: AutomationDep,
) -> DestinationRead:
    """Change name, URL (vetted again), enabled or event types."""
    _admin(principal)
    return await DestinationService(uow, hub.config).update(destination_id, data)


@router.delete(
    "/destinations/{destination_id}",
    status_code=204,
    summary="Delete a destination",
    responses=problems(401, 403, 404, 422),
)
async def delete_destination(
    destination_id: uuid.UUID, uow: UowDep, principal: PrincipalDep, hub: AutomationDep
) -> Response:
    """Delete a destination and its deliveries."""
    _admin(principal)
    await DestinationService(uow, hub.config).delete(destination_id)
    return Response(status_code=204)


@router.post(
    "/destinations/{destination_id}/rotate-secret",
    summary="Rotate a destination's secret",
    responses=problems(401, 403, 404, 422),
)
async def rotate_secret(
    destination_id: uuid.UUID, uow: UowDep, principal: PrincipalDep, hub: AutomationDep
) -> DestinationWithSecret:
    """Generate a new secret (returned once); the previous one stays valid for 24 hours."""
    _admin(principal)
    return await DestinationService(uow, hub.config).rotate_secret(destination_id)


# -- events ------------------------------------------------------------------------------------


@router.post(
    "/events",
    status_code=201,
    summary="Publish a custom or test event",
    responses={
        200: {"model": EventRecord, "description": "Seen before: the original."},
        **problems(401, 422),
    },
)
async def publish_event(
    data: EventPublish, uow: UowDep, hub: AutomationDep, response: Response
) -> EventRecord:
    """Publish an event to the tenant's matching destinations.

    With a `source_event_id` seen before for the same type, nothing new is published and the
    original event is returned with 200.
    """
    record, created = await EventService(uow, hub.sink).publish(data)
    if not created:
        response.status_code = 200
    return record


@router.get("/events", summary="List events", responses=problems(401, 422))
async def list_events(
    uow: UowDep,
    hub: AutomationDep,
    type: str | None = None,  # the README's field name
    limit: Limit = 50,
    cursor: Cursor = None,
) -> Page[EventRecord]:
    """The outbox, newest first, optionally of one type."""
    return await EventService(uow, hub.sink).list(
        EventFilter(type=type), limit=limit, cursor=cursor
    )


# -- deliveries --------------------------------------------------------------------------------


@router.get("/deliveries", summary="List deliveries", responses=problems(401, 422))
async def list_deliveries(
    uow: UowDep,
    status: DeliveryStatus | None = None,
    destination_id: uuid.UUID | None = None,
    event_id: uuid.UUID | None = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> Page[DeliveryRead]:
    """Deliveries newest first: `pending` ones show `attempts` and `next_retry_at`."""
    filters = DeliveryFilter(status=status, destination_id=destination_id, event_id=event_id)
    return await DeliveryService(uow).list(filters, limit=limit, cursor=cursor)


@router.get(
    "/deliveries/{delivery_id}", summary="Get a delivery", responses=problems(401, 404, 422)
)
async def get_delivery(delivery_id: uuid.UUID, uow: UowDep) -> DeliveryRead:
    """One delivery."""
    return await DeliveryService(uow).get(delivery_id)


@router.get(
    "/deliveries/{delivery_id}/attempts",
    summary="A delivery's attempts log",
    responses=problems(401, 404, 422),
)
async def delivery_attempts(delivery_id: uuid.UUID, uow: UowDep) -> list[DeliveryAttemptRead]:
    """Every attempt: when, how long, status code, error, the response's start."""
    return await DeliveryService(uow).attempts(delivery_id)


@router.post(
    "/deliveries/{delivery_id}/redeliver",
    summary="Deliver again",
    responses=problems(401, 403, 404, 422),
)
async def redeliver(delivery_id: uuid.UUID, uow: UowDep, principal: PrincipalDep) -> DeliveryRead:
    """Queue the delivery again now, with a fresh attempt budget (same event id)."""
    _admin(principal)
    return await DeliveryService(uow).redeliver(delivery_id)


# -- callbacks ---------------------------------------------------------------------------------


@router.post(
    "/callbacks",
    summary="Signed callback from an automation platform",
    responses=problems(401, 403, 404, 409, 413, 422, 429),
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {
                    "schema": {
                        "type": "object",
                        "required": ["tenant_id", "action"],
                        "properties": {
                            "tenant_id": {"type": "string", "format": "uuid"},
                            "correlation_id": {"type": "string"},
                            "action": {
                                "type": "string",
                                "enum": [
                                    "create_task",
                                    "update_conversation_status",
                                    "add_internal_comment",
                                    "send_message",
                                    "update_contact",
                                ],
                            },
                            "params": {"type": "object"},
                            "payload": {"type": "object", "description": "Alias of params."},
                        },
                    }
                }
            },
        },
        "security": [],
    },
)
async def callback(request: Request, hub: AutomationDep) -> JSONResponse:
    """Run a CRM action for an automation flow, once per event id.

    Authenticated by signature, not bearer: `X-Automation-Signature` is the hex HMAC-SHA256 of
    `"{X-Automation-Timestamp}.{raw body}"` with the destination's secret; `X-Automation-Event-Id`
    and `X-Automation-Destination-Id` are required. The same event id again returns the stored
    response without running the action twice.
    """
    result = await hub.callbacks.process_callback(request.headers, await request.body())
    return JSONResponse(
        result.body,
        status_code=result.status_code,
        media_type=result.media_type,
        headers=dict(result.headers),
    )
