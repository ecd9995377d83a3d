"""The hub's settings, as one frozen value the app builds from its environment.

Every ``AUTOMATION_*`` variable of the product README maps to a field; the rest have defaults
chosen for production and are tuned down in tests (short retries, short leases).
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass, field

from alfred_automation.backoff import DEFAULT_RETRY_BASE_SECONDS
from alfred_automation.errors import ConfigurationError
from alfred_automation.secretbox import SecretBox
from alfred_automation.signing import DEFAULT_TOLERANCE_SECONDS
from alfred_automation.urlguard import DEFAULT_ALLOWED_PORTS

__all__ = ["HubConfig"]

_LEASE_MARGIN_SECONDS = 30.0


@dataclass(frozen=True, kw_only=True)
class HubConfig:
    """How the automation hub behaves; the app builds one from its settings.

    Attributes:
        encryption_keys: ``AUTOMATION_SECRET_ENCRYPTION_KEY`` decoded: 32-byte keys, the first
            encrypts and every one decrypts (rotation).
        enabled: ``AUTOMATION_ENABLED``. When false, events are still recorded but no delivery
            is created and the dispatcher sends nothing.
        timeout_seconds: ``AUTOMATION_DEFAULT_TIMEOUT_SECONDS``: the whole of one attempt
            (resolving, connecting, sending and reading the capped response).
        max_attempts: ``AUTOMATION_MAX_ATTEMPTS``: attempts before a delivery fails.
        retry_base_seconds: ``AUTOMATION_RETRY_BASE_SECONDS``: the first retry's ceiling.
        retry_max_seconds: ``AUTOMATION_RETRY_MAX_SECONDS``: the longest wait between attempts.
        replay_window_seconds: ``AUTOMATION_REPLAY_WINDOW_SECONDS``: callback timestamps are
            accepted this far from now, on either side.
        rate_limit_per_minute: ``AUTOMATION_RATE_LIMIT_PER_MINUTE``: callbacks accepted per
            destination per clock minute, counted across every process.
        allow_private_urls: ``AUTOMATION_ALLOW_PRIVATE_URLS``: lift the private-address checks
            (local development and tests; cloud metadata addresses stay refused).
        require_https: Refuse ``http:`` destination URLs (set it in production).
        allowed_ports: Destination ports allowed when private URLs are not.
        concurrency: Deliveries one dispatcher sends at once.
        per_destination_concurrency: Deliveries one dispatcher sends at once to one destination,
            so that a slow destination cannot take every slot.
        batch_size: Deliveries claimed per query.
        poll_interval_seconds: How often the dispatcher looks for due retries when no
            notification wakes it.
        lease_seconds: How long a claimed delivery stays reserved to its dispatcher; after that
            another dispatcher takes it (a dispatcher that died loses nothing). None means
            ``timeout_seconds + 30``. Must exceed ``timeout_seconds``.
        response_body_limit: The most bytes read from a receiver's response.
        secret_grace_seconds: How long a rotated-out destination secret stays valid (24 h).
        receipt_retention_seconds: How long callback receipts are kept by `prune`.
    """

    encryption_keys: Sequence[bytes] = field(repr=False)  # never in logs
    enabled: bool = True
    timeout_seconds: float = 10.0
    max_attempts: int = 8
    retry_base_seconds: float = DEFAULT_RETRY_BASE_SECONDS
    retry_max_seconds: float = 3600.0
    replay_window_seconds: int = DEFAULT_TOLERANCE_SECONDS
    rate_limit_per_minute: int = 60
    allow_private_urls: bool = False
    require_https: bool = False
    allowed_ports: Collection[int] = DEFAULT_ALLOWED_PORTS
    concurrency: int = 64
    per_destination_concurrency: int = 10
    batch_size: int = 100
    poll_interval_seconds: float = 1.0
    lease_seconds: float | None = None
    response_body_limit: int = 64 * 1024
    secret_grace_seconds: int = 24 * 3600
    receipt_retention_seconds: int = 7 * 24 * 3600
    secret_box: SecretBox = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        # SecretBox raises ConfigurationError for a missing or short key: the app refuses to start.
        object.__setattr__(self, "secret_box", SecretBox(list(self.encryption_keys)))
        positive = {
            "timeout_seconds": self.timeout_seconds,
            "retry_base_seconds": self.retry_base_seconds,
            "retry_max_seconds": self.retry_max_seconds,
            "poll_interval_seconds": self.poll_interval_seconds,
            "max_attempts": self.max_attempts,
            "replay_window_seconds": self.replay_window_seconds,
            "rate_limit_per_minute": self.rate_limit_per_minute,
            "concurrency": self.concurrency,
            "per_destination_concurrency": self.per_destination_concurrency,
            "batch_size": self.batch_size,
            "response_body_limit": self.response_body_limit,
            "secret_grace_seconds": self.secret_grace_seconds,
            "receipt_retention_seconds": self.receipt_retention_seconds,
        }
        for name, value in positive.items():
            if value <= 0:
                raise ConfigurationError(f"HubConfig.{name} must be positive (got {value})")
        if self.retry_max_seconds < self.retry_base_seconds:
            raise ConfigurationError(
                "AUTOMATION_RETRY_MAX_SECONDS must not be below AUTOMATION_RETRY_BASE_SECONDS"
            )
        if self.lease_seconds is not None and self.lease_seconds <= self.timeout_seconds:
            raise ConfigurationError(
                "HubConfig.lease_seconds must exceed timeout_seconds, or a slow attempt would be "
                "sent twice at once; leave it unset for timeout_seconds + 30"
            )

    @property
    def lease(self) -> float:
        """The claim lease in seconds (see ``lease_seconds``)."""
        if self.lease_seconds is not None:
            return self.lease_seconds
        return self.timeout_seconds + _LEASE_MARGIN_SECONDS
