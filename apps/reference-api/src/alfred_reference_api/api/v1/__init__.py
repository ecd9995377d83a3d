"""Version 1 of the HTTP API: one router per domain, composed under `/api/v1`."""

from __future__ import annotations

from fastapi import APIRouter

from alfred_reference_api.api.v1 import (
    auth,
    contacts,
    conversations,
    health,
    leads,
    notifications,
    tasks,
    webhooks,
)

__all__ = ["router"]

router = APIRouter()
router.include_router(health.router)
router.include_router(auth.router)
router.include_router(contacts.router)
router.include_router(conversations.router)
router.include_router(tasks.router)
router.include_router(leads.router)
router.include_router(webhooks.router)
router.include_router(notifications.router)
