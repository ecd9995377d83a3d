"""Wiring: where the database comes from, where development secrets live, what migrations compose.

This is the only module that knows every package; the routers and CLI ask it for ready parts.
"""

from __future__ import annotations

import base64
import json
import logging
import os
import secrets
from pathlib import Path

from pydantic import SecretStr

import alfred_ai
from alfred_automation import OutboxSink
from alfred_automation import migrate as automation_migrate
from alfred_automation.worker import Dispatcher
from alfred_crm_core import (
    AuthConfig,
    Authenticator,
    ConfigurationError,
    Database,
    EmbeddedPostgres,
    migrate,
)
from alfred_crm_core.consent.models import ConsentPurpose
from alfred_crm_core.consent.service import consent_check as core_consent_check
from alfred_crm_core.ingestion.service import ConsentCheck, Triager
from alfred_reference_api.automation import hub_config, notify_delivery_failed
from alfred_reference_api.settings import Settings
from alfred_reference_api.triage import ai_triager

__all__ = [
    "MIGRATION_LOCATIONS",
    "apply_migrations",
    "auth_config",
    "authenticator",
    "consent_check",
    "consent_versions",
    "dispatcher",
    "event_sink",
    "income_provider",
    "prepare",
    "resolve_database_url",
    "resolve_secrets",
    "triager",
]

_log = logging.getLogger(__name__)

MIGRATION_LOCATIONS: list[str] = [
    migrate.VERSIONS,
    automation_migrate.VERSIONS,
    str(Path(__file__).parent / "migrations" / "versions"),
]
"""Every migration branch the app composes, the app's own merge branch last."""

_embedded: EmbeddedPostgres | None = None


def resolve_database_url(settings: Settings) -> str:
    """Return `DATABASE_URL`, or start (or reuse) the embedded PostgreSQL and return its URL."""
    global _embedded
    if settings.database_url:
        return settings.database_url
    if _embedded is None:
        _embedded = EmbeddedPostgres(settings.alfred_data_dir)
    return _embedded.start()


def resolve_secrets(settings: Settings) -> None:
    """Fill in missing development secrets, generated once and kept in `ALFRED_DATA_DIR`.

    Production never gets here without them: `Settings` refuses to load.
    """
    if settings.jwt_secret is not None and settings.automation_secret_encryption_key is not None:
        return
    path = settings.alfred_data_dir / "secrets.json"
    stored: dict[str, str] = json.loads(path.read_text()) if path.exists() else {}
    generated = {
        "JWT_SECRET": stored.get("JWT_SECRET") or secrets.token_urlsafe(48),
        "AUTOMATION_SECRET_ENCRYPTION_KEY": stored.get("AUTOMATION_SECRET_ENCRYPTION_KEY")
        or base64.urlsafe_b64encode(secrets.token_bytes(32)).decode(),
    }
    if generated != stored:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.touch(mode=0o600, exist_ok=True)
        path.write_text(json.dumps(generated, indent=2))
        _log.warning(
            "development secrets generated; set JWT_SECRET and AUTOMATION_SECRET_ENCRYPTION_KEY "
            "for anything but local use",
            extra={"path": str(path)},
        )
    if settings.jwt_secret is None:
        settings.jwt_secret = SecretStr(generated["JWT_SECRET"])
    if settings.automation_secret_encryption_key is None:
        settings.automation_secret_encryption_key = SecretStr(
            generated["AUTOMATION_SECRET_ENCRYPTION_KEY"]
        )


def prepare(settings: Settings) -> Settings:
    """Resolve the database URL and secrets, and export them for child processes (uvicorn workers).

    Returns:
        The same settings object, with `database_url` and the secrets filled in.
    """
    settings.database_url = resolve_database_url(settings)
    resolve_secrets(settings)
    os.environ["DATABASE_URL"] = settings.database_url
    assert settings.jwt_secret is not None
    assert settings.automation_secret_encryption_key is not None
    os.environ.setdefault("JWT_SECRET", settings.jwt_secret.get_secret_value())
    os.environ.setdefault(
        "AUTOMATION_SECRET_ENCRYPTION_KEY",
        settings.automation_secret_encryption_key.get_secret_value(),
    )
    return settings


def event_sink(settings: Settings) -> OutboxSink:
    """Where domain events go: the automation hub's outbox, in the caller's transaction.

    Events are recorded even with `AUTOMATION_ENABLED=false`; only deliveries are skipped.
    """
    return OutboxSink(enabled=settings.automation_enabled)


def dispatcher(settings: Settings, database: Database) -> Dispatcher:
    """The webhook dispatcher: woken by LISTEN/NOTIFY on `DATABASE_URL`, polls for retries."""
    return Dispatcher(
        database,
        hub_config(settings),
        listen_url=settings.database_url,
        on_failed=notify_delivery_failed,
        events=event_sink(settings),
    )


def triager(settings: Settings) -> Triager:
    """Load the configured AI provider and wrap it as core's triage port.

    Raises:
        alfred_ai.ConfigurationError: `AI_PROVIDER_BACKEND` names no installed provider (the
            message lists the installed ones).
    """
    return ai_triager(alfred_ai.load_provider(settings.ai_provider_backend))


def consent_versions(settings: Settings) -> dict[ConsentPurpose, str]:
    """The purpose text version in force for each consent purpose."""
    return {
        ConsentPurpose.FINANCIAL_INFERENCE: settings.consent_financial_inference_text_version,
    }


def consent_check(settings: Settings) -> ConsentCheck:
    """Ingestion's consent port: an active consent for financial inference, read per message."""
    return core_consent_check(consent_versions(settings))


def income_provider(settings: Settings) -> alfred_ai.Provider:
    """The income-aware provider behind on-demand inferences, whatever `AI_PROVIDER_BACKEND` is."""
    return alfred_ai.load_provider("income")


async def apply_migrations(database: Database) -> None:
    """Upgrade the database to the head of every composed branch."""
    await migrate.upgrade(database.engine, MIGRATION_LOCATIONS)


def auth_config(settings: Settings) -> AuthConfig:
    """Translate the auth settings into core's `AuthConfig`.

    Raises:
        ConfigurationError: `JWT_SECRET` is unresolved (call `prepare` first).
    """
    if settings.jwt_secret is None:
        raise ConfigurationError("JWT_SECRET is unset: call bootstrap.prepare(settings) first")
    assert settings.password_min_length is not None  # filled in by Settings' validator
    return AuthConfig(
        jwt_secret=settings.jwt_secret.get_secret_value(),
        issuer=settings.jwt_issuer,
        audience=settings.jwt_audience,
        leeway_seconds=settings.jwt_leeway_seconds,
        access_token_ttl_seconds=settings.access_token_ttl_seconds,
        refresh_token_ttl_seconds=settings.refresh_token_ttl_seconds,
        refresh_family_max_age_seconds=settings.refresh_family_max_age_seconds,
        password_min_length=settings.password_min_length,
        login_max_failures=settings.login_max_failures,
        login_lockout_seconds=settings.login_lockout_seconds,
        hash_time_cost=settings.password_hash_time_cost,
        hash_memory_kib=settings.password_hash_memory_kib,
        hash_parallelism=settings.password_hash_parallelism,
    )


def authenticator(settings: Settings, database: Database) -> Authenticator:
    """The `Authenticator` for this app: identities in `database`, rules from `settings`."""
    return Authenticator(database, auth_config(settings))
