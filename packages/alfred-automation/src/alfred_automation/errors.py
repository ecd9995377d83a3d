"""Errors raised by alfred-automation.

The tree::

    AutomationError
    ├── ConfigurationError      misuse: bad settings (e.g. an encryption key of the wrong size)
    ├── InvalidSecretError      a user-supplied destination secret is unusable (save time: 422)
    ├── SecretDecryptError      a stored secret failed to decrypt (tampered, moved, unknown key)
    ├── SignatureError          an inbound signature failed (callback: 401); see ``reason``
    └── UnsafeURLError          a destination URL or address is refused (SSRF guard); see ``reason``

Every error except ``ConfigurationError`` carries a stable machine-readable ``reason`` (a closed
set, typed as a ``Literal``) that callers may put in responses and logs; messages never contain
secrets or plaintext.

Where each one surfaces:

* ``ConfigurationError``: building `HubConfig` (a missing or short encryption key): the app
  refuses to start.
* ``UnsafeURLError`` and ``InvalidSecretError``: the destination service turns them into core's
  ``ValidationError`` (field ``url`` or ``secret``, answered 422 by the app's error table) and
  chains the original as ``__cause__``; at delivery time an unsafe address is a failed attempt.
* ``SecretDecryptError``: never raised to a caller: a delivery records it as a failed attempt
  (fail closed), a callback is answered 401, the key rotation job reports the row.
* ``SignatureError``: the callback processor answers 401 and logs the reason.

The services also raise core's ``NotFoundError`` (another tenant's id, or no such row) and
``ValidationError`` (a domain rule), and the callback processor raises nothing for a bad request:
it returns a `CallbackResult` with the status to answer.
"""

from __future__ import annotations

from typing import Literal, TypeAlias

__all__ = [
    "AutomationError",
    "ConfigurationError",
    "InvalidSecretError",
    "InvalidSecretReason",
    "SecretDecryptError",
    "SecretDecryptReason",
    "SignatureError",
    "SignatureReason",
    "UnsafeURLError",
    "UnsafeURLReason",
]

SignatureReason: TypeAlias = Literal[
    "missing",
    "malformed_timestamp",
    "timestamp_out_of_window",
    "malformed_signature",
    "malformed_event_id",
    "mismatch",
]
UnsafeURLReason: TypeAlias = Literal[
    "invalid_url",
    "scheme_not_allowed",
    "https_required",
    "credentials_in_url",
    "missing_host",
    "port_not_allowed",
    "blocked_host",
    "blocked_ip",
    "unresolvable",
]
SecretDecryptReason: TypeAlias = Literal["malformed", "unknown_key", "authentication_failed"]
InvalidSecretReason: TypeAlias = Literal["malformed", "too_short", "too_long"]

_SIGNATURE_MESSAGES: dict[SignatureReason, str] = {
    "missing": "the signature or timestamp header is missing",
    "malformed_timestamp": "the timestamp is not epoch seconds",
    "timestamp_out_of_window": "the timestamp is outside the replay window",
    "malformed_signature": "the signature is not lowercase hex HMAC-SHA256",
    "malformed_event_id": "the event id is empty, too long or contains disallowed characters",
    "mismatch": "the signature does not match",
}
_UNSAFE_URL_MESSAGES: dict[UnsafeURLReason, str] = {
    "invalid_url": "the URL cannot be parsed",
    "scheme_not_allowed": "only http and https URLs are allowed",
    "https_required": "the URL must use https",
    "credentials_in_url": "the URL must not contain a user name or password",
    "missing_host": "the URL has no host",
    "port_not_allowed": "the port is not allowed",
    "blocked_host": "the host is a local or metadata name",
    "blocked_ip": "the host is or resolves to a private, loopback, link-local or reserved address",
    "unresolvable": "the host does not resolve",
}
_DECRYPT_MESSAGES: dict[SecretDecryptReason, str] = {
    "malformed": "the stored secret is not in a known format",
    "unknown_key": "the stored secret was encrypted with a key that is not configured",
    "authentication_failed": "the stored secret was altered or belongs to another row",
}
_INVALID_SECRET_MESSAGES: dict[InvalidSecretReason, str] = {
    "malformed": "a secret starting with whsec_ must continue with standard base64",
    "too_short": "the secret is too short",
    "too_long": "the secret is too long",
}


class AutomationError(Exception):
    """Root of every error this package raises."""

    code: str = "automation_error"


class ConfigurationError(AutomationError):
    """The hub was set up wrongly; the message says how to fix it."""

    code = "configuration_error"


class SignatureError(AutomationError):
    """A signed request failed verification.

    Attributes:
        reason: Why, as a stable code. Routes answer 401 whatever the reason and should not tell
            the caller more than that (log the reason instead).
    """

    code = "invalid_signature"

    def __init__(self, reason: SignatureReason) -> None:
        super().__init__(_SIGNATURE_MESSAGES[reason])
        self.reason: SignatureReason = reason


class UnsafeURLError(AutomationError):
    """A destination URL, host or address is refused by the SSRF guard.

    Attributes:
        reason: Why, as a stable code (``blocked_ip``, ``scheme_not_allowed``, ...).
        detail: The offending part (a scheme, host, port or address), never a credential.
    """

    code = "unsafe_url"

    def __init__(self, reason: UnsafeURLReason, detail: str = "") -> None:
        message = _UNSAFE_URL_MESSAGES[reason]
        super().__init__(f"{message}: {detail}" if detail else message)
        self.reason: UnsafeURLReason = reason
        self.detail = detail


class SecretDecryptError(AutomationError):
    """A stored destination secret could not be decrypted; it fails closed.

    Attributes:
        reason: ``malformed``, ``unknown_key`` or ``authentication_failed`` (flipped byte, or a
            ciphertext copied to another row so that its associated data differs).
    """

    code = "secret_decrypt_failed"

    def __init__(self, reason: SecretDecryptReason) -> None:
        super().__init__(_DECRYPT_MESSAGES[reason])
        self.reason: SecretDecryptReason = reason


class InvalidSecretError(AutomationError):
    """A destination secret supplied by a user cannot be used for signing.

    Attributes:
        reason: ``malformed``, ``too_short`` or ``too_long``.
    """

    code = "invalid_secret"

    def __init__(self, reason: InvalidSecretReason) -> None:
        super().__init__(_INVALID_SECRET_MESSAGES[reason])
        self.reason: InvalidSecretReason = reason
