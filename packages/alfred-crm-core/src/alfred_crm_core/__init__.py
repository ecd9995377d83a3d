"""Alfred CRM core: the domain models, schemas and services, with no HTTP in sight."""

from importlib.metadata import version as _version

from alfred_crm_core.db import APP_ROLE, Database, EmbeddedPostgres, create_engine, normalize_url
from alfred_crm_core.errors import (
    ConfigurationError,
    ConflictError,
    CRMError,
    DatabaseError,
    NotFoundError,
    ValidationError,
)
from alfred_crm_core.events import DomainEvent, EventSink, NullEventSink
from alfred_crm_core.pagination import Page
from alfred_crm_core.types import TenantId, UserId
from alfred_crm_core.uow import UnitOfWork

__version__ = _version("alfred-crm-core")

__all__ = [
    "APP_ROLE",
    "CRMError",
    "ConfigurationError",
    "ConflictError",
    "Database",
    "DatabaseError",
    "DomainEvent",
    "EmbeddedPostgres",
    "EventSink",
    "NotFoundError",
    "NullEventSink",
    "Page",
    "TenantId",
    "UnitOfWork",
    "UserId",
    "ValidationError",
    "__version__",
    "create_engine",
    "normalize_url",
]
