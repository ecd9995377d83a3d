"""FastAPI dependencies: the app's runtime parts, as `Annotated` aliases for route signatures."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request

from alfred_crm_core import Database
from alfred_reference_api.settings import Settings

__all__ = ["DatabaseDep", "Runtime", "RuntimeDep", "SettingsDep"]


@dataclass
class Runtime:
    """What one app instance holds for its whole life."""

    settings: Settings
    database: Database
    migration_locations: tuple[str, ...]


def get_runtime(request: Request) -> Runtime:
    """Return the runtime the app factory attached."""
    runtime: Runtime = request.app.state.runtime
    return runtime


def get_database(request: Request) -> Database:
    """Return the app's `Database`."""
    return get_runtime(request).database


def get_settings(request: Request) -> Settings:
    """Return the app's settings."""
    return get_runtime(request).settings


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]
DatabaseDep = Annotated[Database, Depends(get_database)]
SettingsDep = Annotated[Settings, Depends(get_settings)]
