"""Version 1 of the HTTP API: one router per domain, composed under `/api/v1`."""

from __future__ import annotations

from fastapi import APIRouter

from alfred_reference_api.api.v1 import (
    api_keys,
    auth,
    consents,
    contacts,
    conversations,
    health,
    inferences,
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
router.include_router(consents.router)
router.include_router(inferences.router)
router.include_router(conversations.router)
router.include_router(tasks.router)
router.include_router(leads.router)
router.include_router(webhooks.router)
router.include_router(notifications.router)
router.include_router(api_keys.router)
