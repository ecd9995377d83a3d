"""The identity settings, passed in by the app (core never reads the environment)."""

from __future__ import annotations

from dataclasses import dataclass, field

from alfred_crm_core.errors import ConfigurationError

__all__ = ["PASSWORD_MAX_LENGTH", "AuthConfig"]

PASSWORD_MAX_LENGTH = 1024
"""Longest password accepted, in characters; never truncated (argon2 has no 72-byte limit)."""

_DAY = 24 * 60 * 60


@dataclass(frozen=True, kw_only=True)
class AuthConfig:
    """How tokens are issued and checked, and how logins are throttled.

    Attributes:
        jwt_secret: HS256 key of access tokens.
        access_token_ttl_seconds: Lifetime of an access token.
        refresh_token_ttl_seconds: Lifetime of one refresh token (each rotation starts a new one).
        refresh_family_max_age_seconds: Absolute lifetime of a family: no rotation extends it.
        issuer: The `iss` claim issued and required.
        audience: The `aud` claim issued and required (a single string, never a list).
        leeway_seconds: Clock skew tolerated on `exp`, `iat` and `nbf`.
        password_min_length: Shortest password accepted at registration and password change.
        login_max_failures: Login attempts allowed per account and window; the next is refused.
        login_lockout_seconds: The window, and how long logins stay refused once it is exceeded.
        hash_time_cost: argon2id iterations.
        hash_memory_kib: argon2id memory, in KiB.
        hash_parallelism: argon2id lanes.
    """

    jwt_secret: str = field(repr=False)
    access_token_ttl_seconds: int = 15 * 60
    refresh_token_ttl_seconds: int = 30 * _DAY
    refresh_family_max_age_seconds: int = 90 * _DAY
    issuer: str = "alfred"
    audience: str = "alfred-api"
    leeway_seconds: int = 30
    password_min_length: int = 8
    login_max_failures: int = 5
    login_lockout_seconds: int = 15 * 60
    hash_time_cost: int = 2
    hash_memory_kib: int = 19 * 1024
    hash_parallelism: int = 1

    def __post_init__(self) -> None:
        if not self.jwt_secret:
            raise ConfigurationError("AuthConfig.jwt_secret is empty: set JWT_SECRET")
        if not 1 <= self.password_min_length <= PASSWORD_MAX_LENGTH:
            raise ConfigurationError(
                f"PASSWORD_MIN_LENGTH must be between 1 and {PASSWORD_MAX_LENGTH}"
            )
        positive = {
            "ACCESS_TOKEN_TTL_SECONDS": self.access_token_ttl_seconds,
            "REFRESH_TOKEN_TTL_SECONDS": self.refresh_token_ttl_seconds,
            "REFRESH_FAMILY_MAX_AGE_SECONDS": self.refresh_family_max_age_seconds,
            "LOGIN_MAX_FAILURES": self.login_max_failures,
            "LOGIN_LOCKOUT_SECONDS": self.login_lockout_seconds,
        }
        for name, value in positive.items():
            if value <= 0:
                raise ConfigurationError(f"{name} must be positive (got {value})")
        if self.leeway_seconds < 0:
            raise ConfigurationError("JWT_LEEWAY_SECONDS must not be negative")
