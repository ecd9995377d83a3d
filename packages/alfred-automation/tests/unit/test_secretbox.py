"""Encryption of destination secrets at rest (checklist rows 40-42 at unit level)."""

from __future__ import annotations

import base64
import os
from collections.abc import Callable
from uuid import UUID

import pytest

from alfred_automation import (
    ConfigurationError,
    SecretBox,
    SecretDecryptError,
    generate_key,
    generate_secret,
    secret_aad,
)

TENANT_A, TENANT_B = UUID(int=0xA), UUID(int=0xB)
DESTINATION = UUID(int=1)
AAD = secret_aad(TENANT_A, DESTINATION)
PLAINTEXT = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"


def key() -> bytes:
    return os.urandom(32)


def decrypt_failure(box: SecretBox, token: str, aad: bytes = AAD) -> SecretDecryptError:
    with pytest.raises(SecretDecryptError) as caught:
        box.decrypt(token, aad)
    assert PLAINTEXT not in str(caught.value)
    assert PLAINTEXT not in repr(caught.value)
    assert caught.value.code == "secret_decrypt_failed"
    return caught.value


class TestRoundTrip:
    def test_decrypts_what_it_encrypted(self) -> None:
        box = SecretBox([key()])
        token = box.encrypt(PLAINTEXT, AAD)
        assert box.decrypt(token, AAD) == PLAINTEXT

    def test_the_stored_text_is_versioned_and_names_its_key_but_holds_no_plaintext(self) -> None:
        box = SecretBox([key()])
        token = box.encrypt(PLAINTEXT, AAD)
        version, key_id, data = token.split(":")
        assert (version, key_id) == ("v1", box.key_id)
        assert len(key_id) == 8
        assert PLAINTEXT not in token
        assert "MfKQ9r8G" not in token
        assert len(base64.urlsafe_b64decode(data + "==")) == 12 + len(PLAINTEXT) + 16

    def test_each_encryption_uses_a_fresh_nonce(self) -> None:
        box = SecretBox([key()])
        tokens = {box.encrypt(PLAINTEXT, AAD) for _ in range(20)}
        assert len(tokens) == 20

    def test_handles_unicode_and_empty_secrets(self) -> None:
        box = SecretBox([key()])
        for secret in ("", "sénha-ção-🔑"):
            assert box.decrypt(box.encrypt(secret, AAD), AAD) == secret

    def test_the_aad_names_tenant_and_destination(self) -> None:
        assert secret_aad(TENANT_A, DESTINATION) == f"{TENANT_A}:{DESTINATION}".encode()
        assert secret_aad("t", "d") == b"t:d"


class TestRotation:
    def test_reads_work_at_every_step_of_a_key_rotation(self) -> None:
        # Checklist row 41: encrypt under k1, deploy k2,k1, rotate, remove k1.
        k1, k2 = key(), key()
        rows = {secret_aad(TENANT_A, UUID(int=n)): generate_secret() for n in range(5)}
        old = SecretBox([k1])
        stored = {aad: old.encrypt(secret, aad) for aad, secret in rows.items()}

        both = SecretBox([k2, k1])
        assert all(both.decrypt(stored[aad], aad) == secret for aad, secret in rows.items())
        assert all(both.needs_rotation(token) for token in stored.values())

        stored = {aad: both.rotate(token, aad) for aad, token in stored.items()}
        assert not any(both.needs_rotation(token) for token in stored.values())

        new = SecretBox([k2])
        assert all(new.decrypt(stored[aad], aad) == secret for aad, secret in rows.items())
        for aad, token in stored.items():
            assert decrypt_failure(old, token, aad).reason == "unknown_key"

    def test_a_ciphertext_under_a_removed_key_fails_closed(self) -> None:
        k1, k2 = key(), key()
        token = SecretBox([k1]).encrypt(PLAINTEXT, AAD)
        assert decrypt_failure(SecretBox([k2]), token).reason == "unknown_key"
        with pytest.raises(SecretDecryptError):
            SecretBox([k2]).rotate(token, AAD)

    def test_rotation_always_re_encrypts(self) -> None:
        box = SecretBox([key()])
        token = box.encrypt(PLAINTEXT, AAD)
        rotated = box.rotate(token, AAD)
        assert rotated != token
        assert box.decrypt(rotated, AAD) == PLAINTEXT

    def test_the_same_key_listed_twice_is_one_key(self) -> None:
        k1 = key()
        box = SecretBox([k1, k1])
        assert repr(box) == f"SecretBox(key_ids=[{box.key_id!r}])"


class TestTampering:
    def test_a_flipped_byte_anywhere_fails_closed(self) -> None:
        # Checklist row 42.
        box = SecretBox([key()])
        token = box.encrypt(PLAINTEXT, AAD)
        prefix, data = token.rsplit(":", 1)
        raw = base64.urlsafe_b64decode(data + "==")
        for index in range(len(raw)):
            flipped = bytearray(raw)
            flipped[index] ^= 0x01
            encoded = base64.urlsafe_b64encode(bytes(flipped)).decode().rstrip("=")
            failure = decrypt_failure(box, f"{prefix}:{encoded}")
            assert failure.reason == "authentication_failed"

    def test_a_ciphertext_copied_to_another_row_fails_closed(self) -> None:
        # Checklist row 42: the associated data binds it to tenant and destination.
        box = SecretBox([key()])
        token = box.encrypt(PLAINTEXT, AAD)
        for other in (secret_aad(TENANT_B, DESTINATION), secret_aad(TENANT_A, UUID(int=2))):
            assert decrypt_failure(box, token, other).reason == "authentication_failed"

    @pytest.mark.parametrize(
        "mangle",
        [
            lambda t: "",
            lambda t: "garbage",
            lambda t: t.replace("v1:", "v2:", 1),
            lambda t: t.rsplit(":", 1)[0],
            lambda t: t[:20],
            lambda t: t.split(":")[0] + ":XYZ:" + t.split(":")[2],
            lambda t: t + "!*",
            lambda t: t.rsplit(":", 1)[0] + ":abcde",
        ],
    )
    def test_a_malformed_token_fails_closed(self, mangle: Callable[[str], str]) -> None:
        box = SecretBox([key()])
        token = box.encrypt(PLAINTEXT, AAD)
        failure = decrypt_failure(box, mangle(token))
        assert failure.reason in {"malformed", "authentication_failed"}

    def test_a_forged_key_id_fails_closed(self) -> None:
        box = SecretBox([key()])
        version, _, data = box.encrypt(PLAINTEXT, AAD).split(":")
        assert decrypt_failure(box, f"{version}:00000000:{data}").reason == "unknown_key"

    def test_needs_rotation_refuses_a_malformed_token(self) -> None:
        with pytest.raises(SecretDecryptError):
            SecretBox([key()]).needs_rotation("nope")


class TestKeys:
    @pytest.mark.parametrize("size", [0, 16, 24, 31, 33, 64])
    def test_a_key_of_the_wrong_size_is_a_configuration_error(self, size: int) -> None:
        with pytest.raises(ConfigurationError, match="32"):
            SecretBox([os.urandom(size)])

    def test_no_key_is_a_configuration_error(self) -> None:
        with pytest.raises(ConfigurationError, match="AUTOMATION_SECRET_ENCRYPTION_KEY"):
            SecretBox([])

    def test_the_setting_takes_base64_or_hex_keys_first_one_encrypting(self) -> None:
        k1, k2, k3 = key(), key(), key()
        setting = ", ".join(
            [
                base64.urlsafe_b64encode(k1).decode().rstrip("="),
                base64.b64encode(k2).decode(),
                k3.hex().upper(),
            ]
        )
        box = SecretBox.from_setting(setting)
        assert box.key_id == SecretBox([k1]).key_id
        for k in (k2, k3):
            assert box.decrypt(SecretBox([k]).encrypt(PLAINTEXT, AAD), AAD) == PLAINTEXT

    def test_a_generated_key_is_accepted(self) -> None:
        box = SecretBox.from_setting(generate_key())
        assert box.decrypt(box.encrypt(PLAINTEXT, AAD), AAD) == PLAINTEXT

    @pytest.mark.parametrize(
        "setting",
        [
            None,
            "",
            "  ",
            "short",
            "change-me-please",
            base64.b64encode(os.urandom(16)).decode(),
            generate_key() + ",",
            generate_key() + "," + base64.b64encode(os.urandom(31)).decode(),
            "not base64 at all!",
        ],
    )
    def test_a_missing_or_short_key_refuses_to_start(self, setting: str | None) -> None:
        # Checklist row 42: the app refuses to start, naming the fix and never echoing the key.
        with pytest.raises(ConfigurationError, match="generate_key") as caught:
            SecretBox.from_setting(setting)
        for part in filter(None, (p.strip() for p in (setting or "").split(","))):
            assert part not in str(caught.value)

    def test_the_repr_shows_key_ids_only(self) -> None:
        k1 = key()
        box = SecretBox([k1])
        assert k1.hex() not in repr(box)
        assert base64.b64encode(k1).decode() not in repr(box)
        assert box.key_id in repr(box)
