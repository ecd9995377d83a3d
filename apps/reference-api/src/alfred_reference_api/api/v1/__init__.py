"""Version 1 of the HTTP API: one router per domain, composed under `/api/v1`."""

from __future__ import annotations

from fastapi import APIRouter

from alfred_reference_api.api.v1 import health

__all__ = ["router"]

router = APIRouter()
router.include_router(health.router)
