"""Signatures for deliveries and callbacks, and destination secrets.

Two schemes are produced for every outbound delivery, and Alfred's own scheme is checked on
inbound callbacks:

* **Alfred's scheme** (both directions): ``X-Alfred-Signature`` / ``X-Automation-Signature`` is the
  lowercase hex HMAC-SHA256 of ``f"{timestamp}.".encode() + raw_body``, where ``timestamp`` is the
  decimal epoch seconds sent in ``X-Alfred-Timestamp`` / ``X-Automation-Timestamp``. The HMAC key is
  the destination secret **exactly as the user sees it**, UTF-8 encoded, ``whsec_`` prefix
  included: that is what a no-code tool's "HMAC" step does with a pasted secret.
* **Standard Webhooks** (outbound only): ``webhook-id``, ``webhook-timestamp`` and
  ``webhook-signature: v1,<base64 HMAC-SHA256 of "{id}.{timestamp}.{body}">``. The key follows the
  Standard Webhooks convention: for a ``whsec_<base64>`` secret it is the base64-decoded part, so
  ``standardwebhooks.Webhook(secret)`` verifies our deliveries. For a user-supplied secret without
  the prefix the key is the secret's UTF-8 bytes, and receivers pass those bytes instead
  (``Webhook(secret.encode())``).

Secrets: `generate_secret` makes ``whsec_`` + standard base64 of 32 random bytes, `mask_secret`
gives the form shown in responses (``whsec_****abcd``), and `validate_secret` checks a
user-supplied secret at save time.

The callback's ``X-Automation-Event-Id`` is not covered by the signature (the scheme signs only the
timestamp and body), so a route should also refuse a signature it has already accepted inside the
replay window, and check the id's shape with `check_event_id`.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import math
import re
import secrets
from collections.abc import Sequence
from datetime import datetime
from uuid import UUID

from alfred_automation.errors import InvalidSecretError, SignatureError

__all__ = [
    "DEFAULT_TOLERANCE_SECONDS",
    "SECRET_PREFIX",
    "check_event_id",
    "generate_secret",
    "mask_secret",
    "outbound_headers",
    "sign",
    "validate_secret",
    "verify",
]

SECRET_PREFIX = "whsec_"  # noqa: S105  # a public prefix, not a secret
DEFAULT_TOLERANCE_SECONDS = 300
"""The replay window on either side of now, as in Svix and Standard Webhooks (5 minutes)."""

_GENERATED_SECRET_BYTES = 32
_WHSEC_MIN_BYTES, _WHSEC_MAX_BYTES = 24, 64  # the Standard Webhooks bounds for a symmetric key
_RAW_MIN_CHARS, _RAW_MAX_BYTES = 16, 512
_STANDARD_BASE64 = re.compile(r"[A-Za-z0-9+/]+={0,2}")
_TIMESTAMP = re.compile(r"[0-9]{1,12}")
_HEX_SIGNATURE = re.compile(r"[0-9a-fA-F]{64}")
_EVENT_ID = re.compile(r"[A-Za-z0-9_:\-]{1,255}")  # no "." so that ids cannot shift a boundary
_MASK_MIN_CHARS = 12  # below this, showing 4 characters would reveal too much of the secret


def generate_secret() -> str:
    """Make a new destination secret: ``whsec_`` + standard base64 of 32 random bytes."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(_GENERATED_SECRET_BYTES)).decode()


def mask_secret(secret: str) -> str:
    """Return the form of a secret that may be shown and stored in plain text.

    The ``whsec_`` prefix is kept when present, followed by ``****`` and the last 4 characters
    (``whsec_****abcd``). A secret whose body has fewer than 12 characters shows no characters
    at all (``****``), because 4 of them would be too large a share of it.
    """
    prefix = SECRET_PREFIX if secret.startswith(SECRET_PREFIX) else ""
    body = secret[len(prefix) :]
    tail = body[-4:] if len(body) >= _MASK_MIN_CHARS else ""
    return f"{prefix}****{tail}"


def validate_secret(secret: str) -> None:
    """Check a user-supplied destination secret before it is stored.

    A ``whsec_`` secret must continue with standard base64 (padding optional) of 24 to 64 bytes,
    so that Standard Webhooks libraries derive the same key as Alfred. Any other secret must be
    at least 16 characters and at most 512 bytes of UTF-8.

    Raises:
        InvalidSecretError: With reason ``malformed``, ``too_short`` or ``too_long``.
    """
    if secret.startswith(SECRET_PREFIX):
        size = len(_whsec_key(secret))
        if size < _WHSEC_MIN_BYTES:
            raise InvalidSecretError("too_short")
        if size > _WHSEC_MAX_BYTES:
            raise InvalidSecretError("too_long")
        return
    if len(secret) < _RAW_MIN_CHARS:
        raise InvalidSecretError("too_short")
    if len(secret.encode()) > _RAW_MAX_BYTES:
        raise InvalidSecretError("too_long")


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """Alfred's signature: lowercase hex HMAC-SHA256 over ``f"{timestamp}.".encode() + body``.

    Args:
        secret: The destination secret as the user sees it (its UTF-8 bytes are the key).
        timestamp: Epoch seconds, the value sent in the timestamp header.
        body: The exact bytes sent or received.
    """
    if timestamp < 0:
        raise ValueError("timestamp must be epoch seconds (non-negative)")
    return _hex_signature(secret, str(timestamp), body)


def verify(
    secret_or_secrets: str | Sequence[str],
    timestamp_header: str | None,
    body: bytes,
    signature: str | None,
    *,
    now: datetime,
    tolerance_seconds: int = DEFAULT_TOLERANCE_SECONDS,
) -> None:
    """Check an inbound request signed with Alfred's scheme; return only if it is authentic.

    The timestamp must be decimal epoch seconds within ``tolerance_seconds`` of ``now`` on either
    side (inclusive, whole seconds: 300 s off passes a 300 s window, 301 s fails). The signature
    may be upper or lower case hex. Every candidate secret is tried with
    `hmac.compare_digest`, so the current and the previous secret (kept 24 h after a rotation)
    are both accepted; an empty list of secrets accepts nothing.

    Args:
        secret_or_secrets: One secret, or the candidates (current first).
        timestamp_header: The ``X-Automation-Timestamp`` value, or None when absent.
        body: The raw request body, before any parsing.
        signature: The ``X-Automation-Signature`` value, or None when absent.
        now: The current time, timezone-aware.
        tolerance_seconds: The replay window on each side of ``now``.

    Raises:
        SignatureError: With reason ``missing``, ``malformed_timestamp``,
            ``timestamp_out_of_window``, ``malformed_signature`` or ``mismatch``, checked in
            that order.
        ValueError: ``now`` is naive.
    """
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    if not timestamp_header or not signature:
        raise SignatureError("missing")
    if not _TIMESTAMP.fullmatch(timestamp_header):
        raise SignatureError("malformed_timestamp")
    if abs(math.floor(now.timestamp()) - int(timestamp_header)) > tolerance_seconds:
        raise SignatureError("timestamp_out_of_window")
    if not _HEX_SIGNATURE.fullmatch(signature):
        raise SignatureError("malformed_signature")
    candidates = [secret_or_secrets] if isinstance(secret_or_secrets, str) else secret_or_secrets
    given = signature.lower()
    matched = False
    for secret in candidates:
        expected = _hex_signature(secret, timestamp_header, body)
        # No early exit: the time taken does not depend on which candidate matched.
        matched |= hmac.compare_digest(expected, given)
    if not matched:
        raise SignatureError("mismatch")


def check_event_id(event_id: str | None) -> str:
    """Return a callback's event id if it has a safe shape.

    Allowed: 1 to 255 characters among ASCII letters, digits, ``_``, ``-`` and ``:`` (UUIDs and
    ids like ``cbk-evt-001``). A ``.`` is refused: signed strings use it as a separator.

    Raises:
        SignatureError: Reason ``missing`` when absent or empty, ``malformed_event_id`` otherwise.
    """
    if not event_id:
        raise SignatureError("missing")
    if not _EVENT_ID.fullmatch(event_id):
        raise SignatureError("malformed_event_id")
    return event_id


def outbound_headers(
    secret: str,
    event_id: str | UUID,
    tenant_id: str | UUID,
    timestamp: int,
    body: bytes,
    *,
    previous_secrets: Sequence[str] = (),
) -> dict[str, str]:
    """Build the headers of one delivery attempt, signed over the exact ``body`` bytes sent.

    ``X-Alfred-Signature`` is signed with ``secret`` only. ``webhook-signature`` carries one
    ``v1,<base64>`` entry per secret (space-separated, current first), so that during a secret
    rotation a Standard Webhooks receiver still holding the previous secret keeps verifying.

    Args:
        secret: The destination's current secret.
        event_id: The event id; the same on every attempt, so receivers can deduplicate.
        tenant_id: The tenant that owns the event.
        timestamp: Epoch seconds of this attempt (a retry is signed afresh).
        body: The JSON body to send, already serialized.
        previous_secrets: Secrets still valid after a rotation (at most 24 h old).

    Returns:
        ``X-Alfred-Signature``, ``X-Alfred-Event-Id``, ``X-Alfred-Tenant-Id``,
        ``X-Alfred-Timestamp``, ``webhook-id``, ``webhook-timestamp``, ``webhook-signature`` and
        ``Content-Type`` (``application/json``).

    Raises:
        InvalidSecretError: A ``whsec_`` secret is not followed by standard base64.
    """
    alfred_signature = sign(secret, timestamp, body)
    ts, event = str(timestamp), str(event_id)
    signed = f"{event}.{ts}.".encode() + body
    standard = " ".join(
        "v1," + base64.b64encode(_hmac(_standard_key(s), signed)).decode()
        for s in (secret, *previous_secrets)
    )
    return {
        "X-Alfred-Signature": alfred_signature,
        "X-Alfred-Event-Id": event,
        "X-Alfred-Tenant-Id": str(tenant_id),
        "X-Alfred-Timestamp": ts,
        "webhook-id": event,
        "webhook-timestamp": ts,
        "webhook-signature": standard,
        "Content-Type": "application/json",
    }


def _hex_signature(secret: str, timestamp: str, body: bytes) -> str:
    return _hmac(secret.encode(), f"{timestamp}.".encode() + body).hex()


def _hmac(key: bytes, data: bytes) -> bytes:
    return hmac.new(key, data, hashlib.sha256).digest()


def _standard_key(secret: str) -> bytes:
    return _whsec_key(secret) if secret.startswith(SECRET_PREFIX) else secret.encode()


def _whsec_key(secret: str) -> bytes:
    encoded = secret[len(SECRET_PREFIX) :]
    # Strict alphabet: the reference library decodes leniently (it drops unknown characters), so
    # only strict standard base64 gives both sides the same key.
    if not _STANDARD_BASE64.fullmatch(encoded):
        raise InvalidSecretError("malformed")
    try:
        return base64.b64decode(encoded + "=" * (-len(encoded) % 4), validate=True)
    except binascii.Error as exc:
        raise InvalidSecretError("malformed") from exc
