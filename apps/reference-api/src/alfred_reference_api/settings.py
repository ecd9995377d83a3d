"""Settings, read from the environment and from `.env` in the working directory.

Every variable is listed with its default in `.env.example` (a test keeps the two in step).
"""

from __future__ import annotations

import base64
import binascii
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = ["Settings", "decode_encryption_keys"]

_MIB = 1024 * 1024
_HOUR = 60 * 60
_DAY = 24 * _HOUR


def decode_encryption_keys(value: str) -> list[bytes]:
    """Decode `AUTOMATION_SECRET_ENCRYPTION_KEY`: comma-separated base64 keys of 32 bytes each.

    The first key encrypts; every key decrypts (rotation: deploy `new,old`, re-encrypt, drop old).

    Raises:
        ValueError: A key is not base64 or not 32 bytes long.
    """
    keys: list[bytes] = []
    for i, raw in enumerate(part.strip() for part in value.split(",")):
        if not raw:
            continue
        try:
            key = base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4))
        except (binascii.Error, ValueError) as exc:
            raise ValueError(f"key #{i + 1} is not base64") from exc
        if len(key) != 32:
            raise ValueError(f"key #{i + 1} decodes to {len(key)} bytes; 32 are required")
        keys.append(key)
    if not keys:
        raise ValueError("no key given")
    return keys


class Settings(BaseSettings):
    """Everything the app reads from its environment."""

    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", frozen=False
    )

    # Runtime
    environment: Literal["development", "production"] = "development"
    database_url: str | None = Field(
        default=None,
        description="libpq-style postgresql:// URL; unset = embedded PostgreSQL in ALFRED_DATA_DIR",
    )
    alfred_data_dir: Path = Path(".alfred")
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"] = "INFO"
    db_pool_size: int = Field(default=10, ge=1, le=200)
    max_body_bytes: int = Field(default=_MIB, ge=1024)

    # Auth
    jwt_secret: SecretStr | None = None
    jwt_issuer: str = Field(default="alfred", min_length=1)
    jwt_audience: str = Field(default="alfred-api", min_length=1)
    jwt_leeway_seconds: int = Field(default=30, ge=0, le=300)
    access_token_ttl_seconds: int = Field(default=15 * 60, ge=60, le=24 * _HOUR)
    refresh_token_ttl_seconds: int = Field(default=30 * _DAY, ge=5 * 60)
    refresh_family_max_age_seconds: int = Field(default=90 * _DAY, ge=5 * 60)
    password_min_length: int | None = Field(
        default=None, ge=1, le=1024, description="unset: 8 in production, 6 otherwise"
    )
    login_max_failures: int = Field(default=5, ge=1)
    login_lockout_seconds: int = Field(default=15 * 60, ge=1)
    password_hash_time_cost: int = Field(default=2, ge=1, le=20)
    password_hash_memory_kib: int = Field(default=19 * 1024, ge=1024, le=4 * 1024 * 1024)
    password_hash_parallelism: int = Field(default=1, ge=1, le=16)

    # Automation hub (names as in the product README)
    automation_enabled: bool = True
    automation_default_timeout_seconds: float = Field(default=10, gt=0, le=300)
    automation_max_attempts: int = Field(default=8, ge=1, le=50)
    automation_replay_window_seconds: int = Field(default=300, ge=1)
    automation_rate_limit_per_minute: int = Field(default=60, ge=1)
    automation_secret_encryption_key: SecretStr | None = None
    automation_allow_private_urls: bool = False
    automation_retry_base_seconds: float = Field(default=5, gt=0)
    automation_retry_max_seconds: float = Field(default=3600, gt=0)

    # Background jobs
    lead_stalled_after_days: float = Field(default=7, ge=0)
    job_overdue_tasks_interval_seconds: float = Field(default=3600, gt=0)
    job_stalled_leads_interval_seconds: float = Field(default=86400, gt=0)
    job_housekeeping_interval_seconds: float = Field(default=3600, gt=0)

    # AI
    ai_provider_backend: str = "mock"
    consent_financial_inference_text_version: str = Field(
        default="2026-11",
        min_length=1,
        max_length=64,
        description="the purpose text version in force; grants of other versions are not active",
    )

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper_log_level(cls, value: object) -> object:
        return value.upper() if isinstance(value, str) else value

    @field_validator("database_url", "password_min_length", mode="before")
    @classmethod
    def _blank_is_none(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("automation_secret_encryption_key")
    @classmethod
    def _valid_keys(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None:
            try:
                decode_encryption_keys(value.get_secret_value())
            except ValueError as exc:
                raise ValueError(f"AUTOMATION_SECRET_ENCRYPTION_KEY: {exc}") from exc
        return value

    @model_validator(mode="after")
    def _consistent(self) -> Settings:
        if self.automation_retry_max_seconds < self.automation_retry_base_seconds:
            raise ValueError(
                "AUTOMATION_RETRY_MAX_SECONDS must not be below AUTOMATION_RETRY_BASE_SECONDS"
            )
        if self.refresh_family_max_age_seconds < self.refresh_token_ttl_seconds:
            raise ValueError(
                "REFRESH_FAMILY_MAX_AGE_SECONDS must not be below REFRESH_TOKEN_TTL_SECONDS"
            )
        if self.password_min_length is None:
            # The product README registers with "secret" (6 characters) outside production.
            self.password_min_length = 8 if self.environment == "production" else 6
        if self.environment != "production":
            return self
        missing = [
            name
            for name, value in (
                ("JWT_SECRET", self.jwt_secret),
                ("AUTOMATION_SECRET_ENCRYPTION_KEY", self.automation_secret_encryption_key),
            )
            if value is None or not value.get_secret_value()
        ]
        if missing:
            raise ValueError(f"ENVIRONMENT=production requires {', '.join(missing)} to be set")
        if len(self.jwt_secret.get_secret_value()) < 32:  # type: ignore[union-attr]  # checked above
            raise ValueError("JWT_SECRET must be at least 32 characters in production")
        return self

    @property
    def encryption_keys(self) -> list[bytes]:
        """The decoded encryption keys (first encrypts); requires the secret to be resolved."""
        if self.automation_secret_encryption_key is None:
            raise RuntimeError("secrets are resolved by bootstrap.resolve_secrets before use")
        return decode_encryption_keys(self.automation_secret_encryption_key.get_secret_value())
