"""Version 1 of the HTTP API: one router per domain, composed under `/api/v1`."""

from __future__ import annotations

from fastapi import APIRouter

from alfred_reference_api.api.v1 import auth, conversations, health, notifications

__all__ = ["router"]

router = APIRouter()
router.include_router(health.router)
router.include_router(auth.router)
router.include_router(conversations.router)
router.include_router(notifications.router)
