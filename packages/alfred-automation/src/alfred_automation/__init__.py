"""Alfred's automation hub: outbox, signed deliveries with retries, signed callbacks."""

from importlib.metadata import version as _version

from alfred_automation.backoff import (
    Outcome,
    classify,
    next_delay,
    retry_after_seconds,
)
from alfred_automation.callbacks import (
    ActionRunner,
    CallbackProcessor,
    CallbackResult,
    PruneResult,
    prune,
)
from alfred_automation.config import HubConfig
from alfred_automation.deliveries import DeliveryService
from alfred_automation.destinations import DestinationService, KeyRotationResult, rotate_encryption
from alfred_automation.errors import (
    AutomationError,
    ConfigurationError,
    InvalidSecretError,
    SecretDecryptError,
    SignatureError,
    UnsafeURLError,
)
from alfred_automation.outbox import EventService, OutboxSink
from alfred_automation.schemas import (
    DeliveryAttemptRead,
    DeliveryFilter,
    DeliveryRead,
    DeliveryStatus,
    DestinationCreate,
    DestinationRead,
    DestinationUpdate,
    DestinationWithSecret,
    EventFilter,
    EventPublish,
    EventRecord,
)
from alfred_automation.secretbox import SecretBox, generate_key, secret_aad
from alfred_automation.signing import (
    check_event_id,
    generate_secret,
    mask_secret,
    outbound_headers,
    sign,
    validate_secret,
    verify,
)
from alfred_automation.urlguard import (
    IPAddress,
    ParsedURL,
    Resolver,
    VettedTransport,
    delivery_client,
    resolve_and_vet,
    system_resolver,
    validate_destination_url,
    vet_destination_url,
)
from alfred_automation.worker import DeliveryFailure, Dispatcher, OnDeliveryFailed

__version__ = _version("alfred-automation")

__all__ = [
    "ActionRunner",
    "AutomationError",
    "CallbackProcessor",
    "CallbackResult",
    "ConfigurationError",
    "DeliveryAttemptRead",
    "DeliveryFailure",
    "DeliveryFilter",
    "DeliveryRead",
    "DeliveryService",
    "DeliveryStatus",
    "DestinationCreate",
    "DestinationRead",
    "DestinationService",
    "DestinationUpdate",
    "DestinationWithSecret",
    "Dispatcher",
    "EventFilter",
    "EventPublish",
    "EventRecord",
    "EventService",
    "HubConfig",
    "IPAddress",
    "InvalidSecretError",
    "KeyRotationResult",
    "OnDeliveryFailed",
    "OutboxSink",
    "Outcome",
    "ParsedURL",
    "PruneResult",
    "Resolver",
    "SecretBox",
    "SecretDecryptError",
    "SignatureError",
    "UnsafeURLError",
    "VettedTransport",
    "__version__",
    "check_event_id",
    "classify",
    "delivery_client",
    "generate_key",
    "generate_secret",
    "mask_secret",
    "next_delay",
    "outbound_headers",
    "prune",
    "resolve_and_vet",
    "retry_after_seconds",
    "rotate_encryption",
    "secret_aad",
    "sign",
    "system_resolver",
    "validate_destination_url",
    "validate_secret",
    "verify",
    "vet_destination_url",
]
