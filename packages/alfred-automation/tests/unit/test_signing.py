"""Signatures (Alfred's scheme and Standard Webhooks) and destination secrets."""

from __future__ import annotations

import base64
import hmac
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from uuid import UUID

import pytest
import standardwebhooks

from alfred_automation import (
    InvalidSecretError,
    SignatureError,
    check_event_id,
    generate_secret,
    mask_secret,
    outbound_headers,
    sign,
    validate_secret,
    verify,
)
from alfred_automation.signing import DEFAULT_TOLERANCE_SECONDS

# The example of the Standard Webhooks and Svix documentation.
SVIX_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
SVIX_ID = "msg_p5jXN8AQM9LWM0D4loKWxJek"
SVIX_TIMESTAMP = 1614265330
SVIX_BODY = b'{"test": 2432232314}'
SVIX_SIGNATURE = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="

TS = 1_700_000_000
NOW = datetime.fromtimestamp(TS, UTC)
BODY = b'{"event_id":"evt_1"}'
RAW_SECRET = "a-shared-secret-typed-by-a-user"


def reason(call: Callable[[], object]) -> str:
    with pytest.raises(SignatureError) as caught:
        call()
    return caught.value.reason


class TestSign:
    def test_matches_an_independent_hmac_when_the_secret_has_the_whsec_prefix(self) -> None:
        # printf '1700000000.{"event_id":"evt_1"}' | openssl dgst -sha256 -hmac "$SVIX_SECRET"
        expected = "b0015c2c3e514f44846e6301dfc8bbf7d9456f4f8c361a17081cbb333da63ce6"
        assert sign(SVIX_SECRET, TS, BODY) == expected

    def test_signs_the_exact_bytes_when_the_body_is_not_utf8(self) -> None:
        assert sign(RAW_SECRET, TS, b"\xff\x00") != sign(RAW_SECRET, TS, b"\xff\x01")

    def test_refuses_a_negative_timestamp(self) -> None:
        with pytest.raises(ValueError, match="epoch"):
            sign(RAW_SECRET, -1, BODY)


class TestVerify:
    def test_accepts_a_valid_signature(self) -> None:
        verify(RAW_SECRET, str(TS), BODY, sign(RAW_SECRET, TS, BODY), now=NOW)

    def test_accepts_upper_case_hex(self) -> None:
        verify(RAW_SECRET, str(TS), BODY, sign(RAW_SECRET, TS, BODY).upper(), now=NOW)

    @pytest.mark.parametrize("offset", [-300, -1, 0, 1, 300])
    def test_accepts_a_timestamp_inside_the_window(self, offset: int) -> None:
        ts = TS + offset
        verify(RAW_SECRET, str(ts), BODY, sign(RAW_SECRET, ts, BODY), now=NOW)

    @pytest.mark.parametrize("offset", [-301, 301, -86_400, 10**9])
    def test_rejects_a_timestamp_outside_the_window_on_either_side(self, offset: int) -> None:
        # Checklist row 43.
        ts = TS + offset
        signature = sign(RAW_SECRET, ts, BODY)
        assert reason(lambda: verify(RAW_SECRET, str(ts), BODY, signature, now=NOW)) == (
            "timestamp_out_of_window"
        )

    def test_the_window_is_configurable(self) -> None:
        ts = TS - 30
        signature = sign(RAW_SECRET, ts, BODY)
        verify(RAW_SECRET, str(ts), BODY, signature, now=NOW, tolerance_seconds=30)
        assert DEFAULT_TOLERANCE_SECONDS == 300
        assert reason(
            lambda: verify(RAW_SECRET, str(ts), BODY, signature, now=NOW, tolerance_seconds=29)
        ) == ("timestamp_out_of_window")

    def test_the_window_counts_whole_seconds_when_now_has_a_fraction(self) -> None:
        ts = TS - 300
        now = NOW + timedelta(milliseconds=999)
        verify(RAW_SECRET, str(ts), BODY, sign(RAW_SECRET, ts, BODY), now=now)

    @pytest.mark.parametrize(
        ("timestamp", "signature"),
        [(None, "ab" * 32), (str(TS), None), ("", "ab" * 32), (str(TS), "")],
    )
    def test_rejects_missing_headers(self, timestamp: str | None, signature: str | None) -> None:
        assert reason(lambda: verify(RAW_SECRET, timestamp, BODY, signature, now=NOW)) == "missing"

    @pytest.mark.parametrize(
        "timestamp",
        [
            "abc",
            "-5",
            "+1700000000",
            "1700000000.5",
            " 1700000000",
            "\u0661\u0667\u0660\u0660",
            "1" * 13,
        ],
    )
    def test_rejects_a_malformed_timestamp(self, timestamp: str) -> None:
        signature = sign(RAW_SECRET, TS, BODY)
        assert reason(lambda: verify(RAW_SECRET, timestamp, BODY, signature, now=NOW)) == (
            "malformed_timestamp"
        )

    @pytest.mark.parametrize(
        "signature", ["ab" * 31, "ab" * 33, "zz" * 32, "sha256=" + "ab" * 32, "v1,abc"]
    )
    def test_rejects_a_malformed_signature(self, signature: str) -> None:
        assert reason(lambda: verify(RAW_SECRET, str(TS), BODY, signature, now=NOW)) == (
            "malformed_signature"
        )

    def test_rejects_a_body_with_one_byte_changed(self) -> None:
        # Checklist row 45.
        signature = sign(RAW_SECRET, TS, BODY)
        tampered = BODY.replace(b"1", b"2")
        assert reason(lambda: verify(RAW_SECRET, str(TS), tampered, signature, now=NOW)) == (
            "mismatch"
        )

    def test_rejects_the_wrong_secret(self) -> None:
        signature = sign(RAW_SECRET + "x", TS, BODY)
        assert reason(lambda: verify(RAW_SECRET, str(TS), BODY, signature, now=NOW)) == "mismatch"

    def test_rejects_a_signature_moved_to_another_timestamp(self) -> None:
        signature = sign(RAW_SECRET, TS, BODY)
        assert reason(lambda: verify(RAW_SECRET, str(TS + 1), BODY, signature, now=NOW)) == (
            "mismatch"
        )

    def test_accepts_the_previous_secret_after_a_rotation(self) -> None:
        new, old = generate_secret(), generate_secret()
        for secret in (new, old):
            verify([new, old], str(TS), BODY, sign(secret, TS, BODY), now=NOW)
        stranger = sign(generate_secret(), TS, BODY)
        assert reason(lambda: verify([new, old], str(TS), BODY, stranger, now=NOW)) == "mismatch"

    def test_accepts_nothing_when_there_is_no_secret(self) -> None:
        signature = sign(RAW_SECRET, TS, BODY)
        assert reason(lambda: verify([], str(TS), BODY, signature, now=NOW)) == "mismatch"

    def test_compares_in_constant_time_with_every_candidate(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        calls: list[tuple[str, str]] = []
        real = hmac.compare_digest

        def spy(a: str, b: str) -> bool:
            calls.append((a, b))
            return real(a, b)

        monkeypatch.setattr(hmac, "compare_digest", spy)
        secrets = [RAW_SECRET, generate_secret(), generate_secret()]
        verify(secrets, str(TS), BODY, sign(RAW_SECRET, TS, BODY), now=NOW)
        assert len(calls) == 3  # no early exit on the first match

    def test_refuses_a_naive_now(self) -> None:
        with pytest.raises(ValueError, match="timezone-aware"):
            verify(RAW_SECRET, str(TS), BODY, sign(RAW_SECRET, TS, BODY), now=datetime(2024, 1, 1))

    def test_error_carries_a_stable_code_and_no_secret(self) -> None:
        with pytest.raises(SignatureError) as caught:
            verify(RAW_SECRET, str(TS), BODY, "ab" * 32, now=NOW)
        assert caught.value.code == "invalid_signature"
        assert RAW_SECRET not in str(caught.value)


class TestOutboundHeaders:
    def test_match_the_standard_webhooks_reference_example(self) -> None:
        headers = outbound_headers(SVIX_SECRET, SVIX_ID, "t", SVIX_TIMESTAMP, SVIX_BODY)
        assert headers["webhook-signature"] == SVIX_SIGNATURE

    def test_carry_every_header_with_alfreds_signature(self) -> None:
        headers = outbound_headers(SVIX_SECRET, "evt_1", "tenant-a", TS, BODY)
        assert headers == {
            "X-Alfred-Signature": sign(SVIX_SECRET, TS, BODY),
            "X-Alfred-Event-Id": "evt_1",
            "X-Alfred-Tenant-Id": "tenant-a",
            "X-Alfred-Timestamp": str(TS),
            "webhook-id": "evt_1",
            "webhook-timestamp": str(TS),
            "webhook-signature": headers["webhook-signature"],
            "Content-Type": "application/json",
        }
        verify(
            SVIX_SECRET, headers["X-Alfred-Timestamp"], BODY, headers["X-Alfred-Signature"], now=NOW
        )

    def test_verify_with_the_standard_webhooks_library(self) -> None:
        # Checklist row 39; the library checks the timestamp against the real clock.
        secret = generate_secret()
        headers = outbound_headers(secret, "evt_1", "tenant-a", int(time.time()), BODY)
        assert standardwebhooks.Webhook(secret).verify(BODY, headers) == {"event_id": "evt_1"}

    def test_verify_with_the_library_when_the_secret_has_no_prefix(self) -> None:
        headers = outbound_headers(RAW_SECRET, "evt_1", "tenant-a", int(time.time()), BODY)
        standardwebhooks.Webhook(RAW_SECRET.encode()).verify(BODY, headers)
        verify(
            RAW_SECRET,
            headers["X-Alfred-Timestamp"],
            BODY,
            headers["X-Alfred-Signature"],
            now=datetime.now(UTC),
        )

    def test_fail_the_library_when_the_body_or_the_id_changes(self) -> None:
        # Checklist row 45: a signature from a different id does not verify.
        secret = generate_secret()
        headers = outbound_headers(secret, "evt_1", "tenant-a", int(time.time()), BODY)
        webhook = standardwebhooks.Webhook(secret)
        with pytest.raises(standardwebhooks.WebhookVerificationError):
            webhook.verify(BODY + b" ", headers)
        with pytest.raises(standardwebhooks.WebhookVerificationError):
            webhook.verify(BODY, {**headers, "webhook-id": "evt_2"})

    def test_sign_with_the_previous_secret_too_during_a_rotation(self) -> None:
        new, old = generate_secret(), generate_secret()
        headers = outbound_headers(
            new, "evt_1", "t", int(time.time()), BODY, previous_secrets=[old]
        )
        assert len(headers["webhook-signature"].split(" ")) == 2
        for secret in (new, old):
            standardwebhooks.Webhook(secret).verify(BODY, headers)
        assert headers["X-Alfred-Signature"] == sign(new, int(headers["X-Alfred-Timestamp"]), BODY)

    def test_accept_uuids(self) -> None:
        event, tenant = UUID(int=1), UUID(int=2)
        headers = outbound_headers(RAW_SECRET, event, tenant, TS, BODY)
        assert headers["X-Alfred-Event-Id"] == str(event)
        assert headers["X-Alfred-Tenant-Id"] == str(tenant)

    def test_refuse_a_whsec_secret_that_is_not_base64(self) -> None:
        with pytest.raises(InvalidSecretError):
            outbound_headers("whsec_not base64!", "evt_1", "t", TS, BODY)


class TestSecrets:
    def test_a_generated_secret_is_whsec_and_32_random_bytes(self) -> None:
        secret = generate_secret()
        assert secret.startswith("whsec_")
        assert len(base64.b64decode(secret.removeprefix("whsec_"), validate=True)) == 32
        validate_secret(secret)
        assert len({generate_secret() for _ in range(50)}) == 50

    @pytest.mark.parametrize(
        ("secret", "masked"),
        [
            ("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "whsec_****LaSw"),
            (RAW_SECRET, "****user"),
            ("short-one", "****"),
            ("whsec_abc", "whsec_****"),
            ("", "****"),
        ],
    )
    def test_mask_keeps_the_prefix_and_the_last_four(self, secret: str, masked: str) -> None:
        assert mask_secret(secret) == masked

    def test_mask_of_a_generated_secret_reveals_only_four_characters(self) -> None:
        secret = generate_secret()
        assert mask_secret(secret) == f"whsec_****{secret[-4:]}"

    @pytest.mark.parametrize(
        "secret",
        [
            SVIX_SECRET,  # 24 bytes
            "whsec_" + base64.b64encode(bytes(64)).decode(),
            "whsec_" + base64.b64encode(bytes(32)).decode().rstrip("="),
            RAW_SECRET,
            "x" * 16,
            "é" * 256,
        ],
    )
    def test_validate_accepts_usable_secrets(self, secret: str) -> None:
        validate_secret(secret)

    @pytest.mark.parametrize(
        ("secret", "why"),
        [
            ("whsec_not base64!", "malformed"),
            ("whsec_" + base64.urlsafe_b64encode(b"\xfb\xff" * 16).decode(), "malformed"),
            ("whsec_", "malformed"),
            ("whsec_abcde", "malformed"),
            ("whsec_" + base64.b64encode(bytes(16)).decode(), "too_short"),
            ("whsec_" + base64.b64encode(bytes(65)).decode(), "too_long"),
            ("x" * 15, "too_short"),
            ("", "too_short"),
            ("é" * 257, "too_long"),
        ],
    )
    def test_validate_refuses_unusable_secrets(self, secret: str, why: str) -> None:
        with pytest.raises(InvalidSecretError) as caught:
            validate_secret(secret)
        assert caught.value.reason == why
        assert caught.value.code == "invalid_secret"


class TestCheckEventId:
    @pytest.mark.parametrize(
        "event_id", ["cbk-evt-001", "0b9f7c7e-5a4e-4a33-9b1e-7f1d2c3b4a59", "run:42_x", "a" * 255]
    )
    def test_accepts_safe_ids(self, event_id: str) -> None:
        assert check_event_id(event_id) == event_id

    @pytest.mark.parametrize("event_id", ["evt.1", "a" * 256, "evt 1", "evt/1", "é", "a\n"])
    def test_refuses_ids_with_a_dot_or_odd_characters(self, event_id: str) -> None:
        # Checklist row 45: an id containing "." is refused.
        assert reason(lambda: check_event_id(event_id)) == "malformed_event_id"

    @pytest.mark.parametrize("event_id", [None, ""])
    def test_refuses_a_missing_id(self, event_id: str | None) -> None:
        assert reason(lambda: check_event_id(event_id)) == "missing"
