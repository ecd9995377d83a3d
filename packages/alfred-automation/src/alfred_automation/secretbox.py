"""Encryption of destination secrets at rest (``secret_encrypted``), with key rotation.

AES-256-GCM with a random 96-bit nonce per encryption. The associated data binds a ciphertext
to its row (`secret_aad` gives ``f"{tenant_id}:{destination_id}"``), so a ciphertext copied into
another tenant's or destination's row does not decrypt. The stored text describes itself::

    v1:<key id>:<base64url(nonce || ciphertext || tag)>

where the key id is the first 8 hex digits of a domain-separated SHA-256 of the key: it says which
configured key to use without revealing anything of it. Version and key id are also
authenticated (they are part of the associated data).

Rotation (``AUTOMATION_SECRET_ENCRYPTION_KEY=k2,k1``): the first key encrypts, every key decrypts.
Deploy ``k2,k1``, re-encrypt every row with `SecretBox.rotate` (`SecretBox.needs_rotation` finds
the rows left), then deploy ``k2`` alone.

Every failure raises `SecretDecryptError`: the caller fails closed, and no message carries
plaintext, ciphertext or key material.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
import secrets
from collections.abc import Sequence
from uuid import UUID

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from alfred_automation.errors import ConfigurationError, SecretDecryptError

__all__ = ["SecretBox", "generate_key", "secret_aad"]

_VERSION = "v1"
_KEY_BYTES = 32
_NONCE_BYTES = 12
_TAG_BYTES = 16
_KEY_ID = re.compile(r"[0-9a-f]{8}")
_DATA = re.compile(r"[A-Za-z0-9_-]+")  # unpadded URL-safe base64; the decoder alone is lenient
_HEX_KEY = re.compile(r"[0-9a-fA-F]{64}")
_FIX = (
    "set AUTOMATION_SECRET_ENCRYPTION_KEY to one or more comma-separated 32-byte keys in base64 "
    "or hex, the encrypting key first; make one with "
    "`python -c 'import alfred_automation; print(alfred_automation.generate_key())'`"
)


def generate_key() -> str:
    """Make a new encryption key: URL-safe base64 of 32 random bytes."""
    return base64.urlsafe_b64encode(secrets.token_bytes(_KEY_BYTES)).decode()


def secret_aad(tenant_id: str | UUID, destination_id: str | UUID) -> bytes:
    """The associated data that binds a destination's secret to its row."""
    return f"{tenant_id}:{destination_id}".encode()


class SecretBox:
    """Encrypts and decrypts destination secrets under a list of keys.

    Args:
        keys: 32-byte AES-256 keys; the first encrypts, every one decrypts.

    Raises:
        ConfigurationError: No key, or a key that is not 32 bytes.
    """

    def __init__(self, keys: Sequence[bytes]) -> None:
        if not keys:
            raise ConfigurationError(f"no secret encryption key: {_FIX}")
        self._keys: dict[str, AESGCM] = {}
        for position, key in enumerate(keys, start=1):
            if len(key) != _KEY_BYTES:
                raise ConfigurationError(
                    f"secret encryption key #{position} is {len(key)} bytes, not 32: {_FIX}"
                )
            key_id = _key_id(key)
            self._keys.setdefault(key_id, AESGCM(key))
        self._primary = _key_id(keys[0])

    @classmethod
    def from_setting(cls, value: str | None) -> SecretBox:
        """Build a box from the ``AUTOMATION_SECRET_ENCRYPTION_KEY`` setting.

        Args:
            value: Comma-separated keys, each 32 bytes as base64 (standard or URL-safe, padding
                optional) or 64 hex digits; the encrypting key first.

        Raises:
            ConfigurationError: The setting is missing, empty or holds a key that is not 32 bytes.
        """
        if value is None or not value.strip():
            raise ConfigurationError(f"AUTOMATION_SECRET_ENCRYPTION_KEY is missing: {_FIX}")
        return cls(
            [
                _decode_key(part.strip(), position)
                for position, part in enumerate(value.split(","), start=1)
            ]
        )

    @property
    def key_id(self) -> str:
        """The id of the key that encrypts."""
        return self._primary

    def __repr__(self) -> str:
        return f"SecretBox(key_ids={list(self._keys)!r})"

    def encrypt(self, plaintext: str, aad: bytes) -> str:
        """Encrypt a secret under the first key, bound to ``aad`` (see `secret_aad`)."""
        nonce = secrets.token_bytes(_NONCE_BYTES)
        sealed = self._keys[self._primary].encrypt(
            nonce, plaintext.encode(), _associated(self._primary, aad)
        )
        data = base64.urlsafe_b64encode(nonce + sealed).decode().rstrip("=")
        return f"{_VERSION}:{self._primary}:{data}"

    def decrypt(self, token: str, aad: bytes) -> str:
        """Decrypt a stored secret with whichever configured key encrypted it.

        Raises:
            SecretDecryptError: ``malformed``, ``unknown_key`` or ``authentication_failed``
                (altered, or ``aad`` is not the row it was encrypted for).
        """
        key_id, data = _parse(token)
        cipher = self._keys.get(key_id)
        if cipher is None:
            raise SecretDecryptError("unknown_key")
        nonce, sealed = data[:_NONCE_BYTES], data[_NONCE_BYTES:]
        try:
            plaintext = cipher.decrypt(nonce, sealed, _associated(key_id, aad))
        except InvalidTag:
            raise SecretDecryptError("authentication_failed") from None
        return plaintext.decode()

    def rotate(self, token: str, aad: bytes) -> str:
        """Re-encrypt a stored secret under the first key (a fresh nonce every time).

        Raises:
            SecretDecryptError: As `decrypt`.
        """
        return self.encrypt(self.decrypt(token, aad), aad)

    def needs_rotation(self, token: str) -> bool:
        """Whether a stored secret was encrypted with a key other than the first.

        Raises:
            SecretDecryptError: ``malformed``.
        """
        key_id, _ = _parse(token)
        return key_id != self._primary


def _key_id(key: bytes) -> str:
    return hashlib.sha256(b"alfred-secretbox key id\x00" + key).hexdigest()[:8]


def _associated(key_id: str, aad: bytes) -> bytes:
    return f"alfred-secretbox:{_VERSION}:{key_id}:".encode() + aad


def _parse(token: str) -> tuple[str, bytes]:
    version, _, rest = token.partition(":")
    key_id, _, encoded = rest.partition(":")
    if version != _VERSION or not _KEY_ID.fullmatch(key_id) or not _DATA.fullmatch(encoded):
        raise SecretDecryptError("malformed")
    try:
        data = base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4))
    except (binascii.Error, ValueError):
        raise SecretDecryptError("malformed") from None
    if len(data) < _NONCE_BYTES + _TAG_BYTES:
        raise SecretDecryptError("malformed")
    return key_id, data


def _decode_key(text: str, position: int) -> bytes:
    if _HEX_KEY.fullmatch(text):
        return bytes.fromhex(text)
    standard = text.replace("-", "+").replace("_", "/")
    try:
        key = base64.b64decode(standard + "=" * (-len(standard) % 4), validate=True)
    except (binascii.Error, ValueError):
        raise ConfigurationError(
            f"secret encryption key #{position} is not base64: {_FIX}"
        ) from None
    return key  # its size is checked by SecretBox
