import json
import os
from pathlib import Path

import pytest
from pydantic import SecretStr, ValidationError

from alfred_reference_api import Settings
from alfred_reference_api.bootstrap import resolve_secrets
from alfred_reference_api.settings import decode_encryption_keys

KEY = "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY="


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in list(os.environ):
        if name.startswith(
            (
                "AUTOMATION_",
                "ALFRED_",
                "JWT_",
                "DATABASE_",
                "AI_",
                "PASSWORD_",
                "LOGIN_",
                "ACCESS_",
                "REFRESH_",
            )
        ) or name in (
            "ENVIRONMENT",
            "HOST",
            "PORT",
            "LOG_LEVEL",
        ):
            monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)


def test_defaults_match_the_product_readme() -> None:
    s = Settings()
    assert (s.host, s.port, s.environment, s.database_url) == (
        "127.0.0.1",
        8000,
        "development",
        None,
    )
    assert s.alfred_data_dir == Path(".alfred")
    assert s.automation_enabled is True
    assert s.automation_default_timeout_seconds == 10
    assert s.automation_max_attempts == 8
    assert s.automation_replay_window_seconds == 300
    assert s.automation_rate_limit_per_minute == 60
    assert s.max_body_bytes == 1024 * 1024


def test_environment_variables_are_read(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PORT", "9001")
    monkeypatch.setenv("AUTOMATION_ENABLED", "false")
    monkeypatch.setenv("AUTOMATION_MAX_ATTEMPTS", "3")
    monkeypatch.setenv("LOG_LEVEL", "debug")
    monkeypatch.setenv("DATABASE_URL", "postgresql://u@/db?host=/tmp/sock")
    s = Settings()
    assert (s.port, s.automation_enabled, s.automation_max_attempts, s.log_level) == (
        9001,
        False,
        3,
        "DEBUG",
    )
    assert s.database_url == "postgresql://u@/db?host=/tmp/sock"


def test_dotenv_file_is_read_and_environment_wins(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    (tmp_path / ".env").write_text("PORT=7000\nHOST=0.0.0.0\n")
    monkeypatch.setenv("PORT", "7001")
    s = Settings()
    assert (s.host, s.port) == ("0.0.0.0", 7001)


def test_blank_database_url_means_embedded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", "  ")
    assert Settings().database_url is None


@pytest.mark.parametrize(
    ("env", "missing"),
    [
        ({}, "JWT_SECRET, AUTOMATION_SECRET_ENCRYPTION_KEY"),
        ({"JWT_SECRET": "x" * 40}, "AUTOMATION_SECRET_ENCRYPTION_KEY"),
        ({"AUTOMATION_SECRET_ENCRYPTION_KEY": KEY}, "JWT_SECRET"),
    ],
)
def test_production_refuses_to_start_without_secrets_naming_them(
    monkeypatch: pytest.MonkeyPatch, env: dict[str, str], missing: str
) -> None:
    monkeypatch.setenv("ENVIRONMENT", "production")
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    with pytest.raises(ValidationError, match=missing):
        Settings()


def test_production_refuses_a_short_jwt_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ENVIRONMENT", "production")
    monkeypatch.setenv("JWT_SECRET", "short")
    monkeypatch.setenv("AUTOMATION_SECRET_ENCRYPTION_KEY", KEY)
    with pytest.raises(ValidationError, match="at least 32"):
        Settings()


@pytest.mark.parametrize("bad", ["not base64!!", "c2hvcnQ=", ",", KEY + ",c2hvcnQ="])
def test_encryption_key_must_be_32_bytes_of_base64(
    monkeypatch: pytest.MonkeyPatch, bad: str
) -> None:
    monkeypatch.setenv("AUTOMATION_SECRET_ENCRYPTION_KEY", bad)
    with pytest.raises(ValidationError, match="AUTOMATION_SECRET_ENCRYPTION_KEY"):
        Settings()


def test_key_list_decodes_in_order() -> None:
    other = "ZmVkY2JhOTg3NjU0MzIxMGZlZGNiYTk4NzY1NDMyMTA="
    assert decode_encryption_keys(f"{KEY}, {other}") == [
        b"0123456789abcdef0123456789abcdef",
        b"fedcba9876543210fedcba9876543210",
    ]


def test_retry_cap_below_base_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AUTOMATION_RETRY_BASE_SECONDS", "60")
    monkeypatch.setenv("AUTOMATION_RETRY_MAX_SECONDS", "10")
    with pytest.raises(ValidationError, match="AUTOMATION_RETRY_MAX_SECONDS"):
        Settings()


def test_development_secrets_are_generated_once_and_reused(tmp_path: Path) -> None:
    first = Settings(alfred_data_dir=tmp_path / "data")
    resolve_secrets(first)
    second = Settings(alfred_data_dir=tmp_path / "data")
    resolve_secrets(second)
    assert first.jwt_secret is not None and second.jwt_secret is not None
    assert first.jwt_secret.get_secret_value() == second.jwt_secret.get_secret_value()
    assert len(first.encryption_keys) == 1 and len(first.encryption_keys[0]) == 32
    stored = tmp_path / "data" / "secrets.json"
    assert stored.stat().st_mode & 0o077 == 0
    assert set(json.loads(stored.read_text())) == {"JWT_SECRET", "AUTOMATION_SECRET_ENCRYPTION_KEY"}


def test_explicit_secrets_are_never_replaced(tmp_path: Path) -> None:
    s = Settings(
        alfred_data_dir=tmp_path,
        jwt_secret=SecretStr("mine"),
        automation_secret_encryption_key=SecretStr(KEY),
    )
    resolve_secrets(s)
    assert s.jwt_secret is not None and s.jwt_secret.get_secret_value() == "mine"
    assert not (tmp_path / "secrets.json").exists()


def test_auth_defaults() -> None:
    s = Settings()
    assert (s.access_token_ttl_seconds, s.jwt_issuer, s.jwt_audience, s.jwt_leeway_seconds) == (
        900,
        "alfred",
        "alfred-api",
        30,
    )
    assert s.refresh_token_ttl_seconds == 30 * 86400
    assert s.refresh_family_max_age_seconds == 90 * 86400
    assert (s.login_max_failures, s.login_lockout_seconds) == (5, 900)


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({}, 6),
        ({"PASSWORD_MIN_LENGTH": ""}, 6),
        ({"PASSWORD_MIN_LENGTH": "10"}, 10),
        (
            {
                "ENVIRONMENT": "production",
                "JWT_SECRET": "x" * 40,
                "AUTOMATION_SECRET_ENCRYPTION_KEY": KEY,
            },
            8,
        ),
    ],
)
def test_password_min_length_depends_on_the_environment(
    monkeypatch: pytest.MonkeyPatch, env: dict[str, str], expected: int
) -> None:
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    assert Settings().password_min_length == expected


def test_a_refresh_family_shorter_than_one_token_is_refused(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("REFRESH_TOKEN_TTL_SECONDS", "86400")
    monkeypatch.setenv("REFRESH_FAMILY_MAX_AGE_SECONDS", "3600")
    with pytest.raises(ValidationError, match="REFRESH_FAMILY_MAX_AGE_SECONDS"):
        Settings()
