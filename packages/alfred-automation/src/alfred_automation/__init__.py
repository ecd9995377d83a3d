"""Alfred's automation hub: outbox, signed deliveries with retries, signed callbacks."""

from importlib.metadata import version as _version

from alfred_automation.backoff import (
    Outcome,
    classify,
    next_delay,
    retry_after_seconds,
)
from alfred_automation.errors import (
    AutomationError,
    ConfigurationError,
    InvalidSecretError,
    SecretDecryptError,
    SignatureError,
    UnsafeURLError,
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

__version__ = _version("alfred-automation")

__all__ = [
    "AutomationError",
    "ConfigurationError",
    "InvalidSecretError",
    "Outcome",
    "SecretBox",
    "SecretDecryptError",
    "SignatureError",
    "UnsafeURLError",
    "__version__",
    "check_event_id",
    "classify",
    "generate_key",
    "generate_secret",
    "mask_secret",
    "next_delay",
    "outbound_headers",
    "retry_after_seconds",
    "secret_aad",
    "sign",
    "validate_secret",
    "verify",
]
