"""Alfred CRM core: the domain models, schemas and services, with no HTTP in sight."""

from importlib.metadata import version as _version

from alfred_crm_core.db import APP_ROLE, Database, EmbeddedPostgres, create_engine, normalize_url
from alfred_crm_core.errors import (
    AuthenticationError,
    ConfigurationError,
    ConflictError,
    ConsentRequiredError,
    CRMError,
    DatabaseError,
    InvalidCredentialsError,
    InvalidGrantError,
    NotFoundError,
    PermissionDeniedError,
    ThrottledError,
    ValidationError,
)
from alfred_crm_core.events import DomainEvent, EventSink, NullEventSink
from alfred_crm_core.identity.authenticator import Authenticator
from alfred_crm_core.identity.config import AuthConfig
from alfred_crm_core.identity.models import Role
from alfred_crm_core.identity.passwords import PasswordHasher
from alfred_crm_core.identity.schemas import (
    AuthResult,
    LoginCredentials,
    PasswordChange,
    Principal,
    Profile,
    TenantRead,
    TokenRefresh,
    UserCreate,
    UserRead,
    normalize_email,
)
from alfred_crm_core.identity.service import IdentityService
from alfred_crm_core.identity.tokens import AccessClaims
from alfred_crm_core.notification.models import NotificationType
from alfred_crm_core.notification.schemas import NotificationRead
from alfred_crm_core.notification.service import NotificationService
from alfred_crm_core.pagination import Page
from alfred_crm_core.types import TenantId, UserId
from alfred_crm_core.uow import UnitOfWork

__version__ = _version("alfred-crm-core")

__all__ = [
    "APP_ROLE",
    "AccessClaims",
    "AuthConfig",
    "AuthResult",
    "AuthenticationError",
    "Authenticator",
    "CRMError",
    "ConfigurationError",
    "ConflictError",
    "ConsentRequiredError",
    "Database",
    "DatabaseError",
    "DomainEvent",
    "EmbeddedPostgres",
    "EventSink",
    "IdentityService",
    "InvalidCredentialsError",
    "InvalidGrantError",
    "LoginCredentials",
    "NotFoundError",
    "NotificationRead",
    "NotificationService",
    "NotificationType",
    "NullEventSink",
    "Page",
    "PasswordChange",
    "PasswordHasher",
    "PermissionDeniedError",
    "Principal",
    "Profile",
    "Role",
    "TenantId",
    "TenantRead",
    "ThrottledError",
    "TokenRefresh",
    "UnitOfWork",
    "UserCreate",
    "UserId",
    "UserRead",
    "ValidationError",
    "__version__",
    "create_engine",
    "normalize_email",
    "normalize_url",
]
