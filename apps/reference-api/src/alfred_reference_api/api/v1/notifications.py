"""The caller's notifications in its tenant."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel

from alfred_crm_core import NotificationRead, NotificationService, Page
from alfred_reference_api.deps import UowDep
from alfred_reference_api.errors import problems

router = APIRouter(prefix="/notifications", tags=["notifications"])


class UnreadCount(BaseModel):
    """How many notifications are unread."""

    count: int


class ReadAll(BaseModel):
    """How many notifications were marked read."""

    updated: int


@router.get("", summary="List notifications", responses=problems(401, 422))
async def list_notifications(
    uow: UowDep,
    unread: Annotated[
        bool | None, Query(description="true: only unread; false: only read; absent: all")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=200, description="Page size.")] = 50,
    cursor: Annotated[
        str | None, Query(max_length=512, description="`next_cursor` of the previous page.")
    ] = None,
) -> Page[NotificationRead]:
    """The caller's notifications, newest first (onboarding arrives with the first token)."""
    assert uow.actor_id is not None  # set from the principal by get_uow
    return await NotificationService(uow).list(
        uow.actor_id, unread=unread, limit=limit, cursor=cursor
    )


@router.get("/unread-count", summary="Count unread notifications", responses=problems(401))
async def unread_count(uow: UowDep) -> UnreadCount:
    """How many of the caller's notifications are unread."""
    assert uow.actor_id is not None
    return UnreadCount(count=await NotificationService(uow).unread_count(uow.actor_id))


@router.post("/read-all", summary="Mark every notification read", responses=problems(401))
async def read_all(uow: UowDep) -> ReadAll:
    """Mark every unread notification of the caller read."""
    assert uow.actor_id is not None
    return ReadAll(updated=await NotificationService(uow).mark_all_read(uow.actor_id))


@router.post(
    "/{notification_id}/read", summary="Mark a notification read", responses=problems(401, 404)
)
async def read(notification_id: uuid.UUID, uow: UowDep) -> NotificationRead:
    """Mark one of the caller's notifications read (again: no change)."""
    assert uow.actor_id is not None
    return await NotificationService(uow).mark_read(uow.actor_id, notification_id)
