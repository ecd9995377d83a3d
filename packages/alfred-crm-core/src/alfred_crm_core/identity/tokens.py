"""Access tokens (signed JWTs) and refresh tokens (opaque, stored as a hash).

Access tokens follow RFC 9068 and RFC 8725: HS256 only (the algorithm is fixed, never taken from
the header), header `typ: at+jwt` (so no other JWT is ever accepted as one), and the claims `sub`,
`tid`, `iss`, `aud`, `exp`, `iat`, `jti` and `ver` are all required. Header parameters that point
at keys (`jku`, `x5u`, `jwk`, `x5c`) or declare extensions (`crit`) are refused outright: no key is
ever fetched. Times are checked against `alfred_crm_core.clock`, with a leeway for clock skew.

Refresh tokens and API keys are 256 random bits; only their SHA-256 is stored, so a leaked table
holds nothing usable. (A fast hash is enough for keys this long: there is nothing to brute-force.)
API keys carry the prefix `alf_`, so they are told apart from access tokens (which are JWTs and
never start with it) without any lookup, and secret scanners can recognise them.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from types import MappingProxyType
from typing import Any

import jwt

from alfred_crm_core.errors import AuthenticationError
from alfred_crm_core.identity.config import AuthConfig

__all__ = [
    "ACCESS_TOKEN_TYPE",
    "API_KEY_PREFIX",
    "AccessClaims",
    "decode_access_token",
    "hash_api_key",
    "hash_refresh_token",
    "is_api_key",
    "issue_access_token",
    "new_api_key",
    "new_refresh_token",
]

ACCESS_TOKEN_TYPE = "at+jwt"  # noqa: S105  # RFC 9068 media type, not a secret
_ALGORITHM = "HS256"
_REQUIRED_CLAIMS = ["sub", "tid", "iss", "aud", "exp", "iat", "jti", "ver"]
_ALLOWED_HEADER = frozenset({"alg", "typ"})
_MAX_TOKEN_LENGTH = 4096  # ours are about 400 characters; anything far longer is not ours


@dataclass(frozen=True)
class AccessClaims:
    """What a verified access token says.

    Attributes:
        user_id: `sub`.
        tenant_id: `tid`, the tenant the token was issued for.
        token_version: `ver`; must equal the user's current version.
        jti: The token's unique id.
        expires_at: `exp`.
    """

    user_id: uuid.UUID
    tenant_id: uuid.UUID
    token_version: int
    jti: str
    expires_at: datetime


def issue_access_token(
    config: AuthConfig,
    *,
    user_id: uuid.UUID,
    tenant_id: uuid.UUID,
    token_version: int,
    now: datetime,
) -> tuple[str, datetime]:
    """Sign an access token for `user_id` in `tenant_id`.

    Returns:
        The token and its expiry.
    """
    issued_at = int(now.timestamp())
    expires_at = issued_at + config.access_token_ttl_seconds
    payload = {
        "iss": config.issuer,
        "aud": config.audience,
        "sub": str(user_id),
        "tid": str(tenant_id),
        "ver": token_version,
        "iat": issued_at,
        "exp": expires_at,
        "jti": uuid.uuid4().hex,
    }
    token = jwt.encode(
        payload, config.jwt_secret, algorithm=_ALGORITHM, headers={"typ": ACCESS_TOKEN_TYPE}
    )
    return token, datetime.fromtimestamp(expires_at, UTC)


def _check_header(token: str) -> None:
    try:
        header = jwt.get_unverified_header(token)
    except jwt.PyJWTError as exc:
        raise AuthenticationError("malformed token") from exc
    unexpected = set(header) - _ALLOWED_HEADER
    if unexpected:
        # crit, jku, x5u, jwk, x5c, kid, b64...: we never issue them, so we never honour them.
        raise AuthenticationError(f"unexpected header parameters {sorted(unexpected)}")
    if header.get("alg") != _ALGORITHM:
        raise AuthenticationError("wrong algorithm")
    typ = header.get("typ")
    if not isinstance(typ, str) or typ.lower() not in (
        ACCESS_TOKEN_TYPE,
        f"application/{ACCESS_TOKEN_TYPE}",
    ):
        raise AuthenticationError("not an access token (typ)")


def _numeric_date(payload: Mapping[str, Any], claim: str) -> int:
    value = payload[claim]
    # NumericDate as an integer only: a float, a string or a boolean is refused.
    if type(value) is not int:
        raise AuthenticationError(f"{claim} is not an integer")
    return value


def _uuid_claim(payload: Mapping[str, Any], claim: str) -> uuid.UUID:
    value = payload[claim]
    if not isinstance(value, str):
        raise AuthenticationError(f"{claim} is not a string")
    try:
        return uuid.UUID(value)
    except ValueError as exc:
        raise AuthenticationError(f"{claim} is not a UUID") from exc


@lru_cache(maxsize=4096)
def _verified_payload(
    token: str, secret: str, issuer: str, audience: str
) -> MappingProxyType[str, Any]:
    """The payload of a token whose header, signature, issuer and audience check out.

    Cached (a bounded LRU keyed by the token and the key material): a client sends the same
    token with every request for 15 minutes, and its signature cannot change in between. Only
    successes are cached; the time claims are checked by the caller on every call, and
    revocation (`ver`, membership) is checked against the database on every request.
    """
    _check_header(token)
    try:
        payload: dict[str, Any] = jwt.decode(
            token,
            secret,
            algorithms=[_ALGORITHM],
            audience=audience,
            issuer=issuer,
            options={
                "require": _REQUIRED_CLAIMS,
                "strict_aud": True,
                # Times are checked by the caller against our clock (which tests can freeze).
                "verify_exp": False,
                "verify_iat": False,
                "verify_nbf": False,
            },
        )
    except jwt.PyJWTError as exc:
        raise AuthenticationError(f"invalid token: {exc}") from exc
    if payload["iss"] != issuer or payload["aud"] != audience:
        raise AuthenticationError("wrong issuer or audience")  # belt and braces over PyJWT
    return MappingProxyType(payload)


def decode_access_token(config: AuthConfig, token: str, *, now: datetime) -> AccessClaims:
    """Verify an access token and return its claims.

    Args:
        config: The issuer, audience, key and leeway to check against.
        token: The bearer token as received.
        now: The current time (from `alfred_crm_core.clock.utcnow`).

    Returns:
        The verified claims.

    Raises:
        AuthenticationError: The token is not a valid, current access token of ours; the error's
            message is the same for every cause (`reason` says which, for logs).
    """
    if not token or len(token) > _MAX_TOKEN_LENGTH:
        raise AuthenticationError("empty or oversized token")
    payload = _verified_payload(token, config.jwt_secret, config.issuer, config.audience)
    leeway = config.leeway_seconds
    current = now.timestamp()
    expires_at = _numeric_date(payload, "exp")
    if expires_at <= current - leeway:
        raise AuthenticationError("expired")
    if _numeric_date(payload, "iat") > current + leeway:
        raise AuthenticationError("issued in the future")
    if "nbf" in payload and _numeric_date(payload, "nbf") > current + leeway:
        raise AuthenticationError("not yet valid")
    version = payload["ver"]
    if type(version) is not int or version < 0:
        raise AuthenticationError("ver is not a non-negative integer")
    jti = payload["jti"]
    if not isinstance(jti, str) or not jti:
        raise AuthenticationError("jti is not a string")
    return AccessClaims(
        user_id=_uuid_claim(payload, "sub"),
        tenant_id=_uuid_claim(payload, "tid"),
        token_version=version,
        jti=jti,
        expires_at=datetime.fromtimestamp(expires_at, UTC),
    )


def new_refresh_token() -> str:
    """Return a fresh opaque refresh token (256 random bits, URL-safe)."""
    return secrets.token_urlsafe(32)


def hash_refresh_token(token: str) -> bytes:
    """Return the SHA-256 digest under which a refresh token is stored and looked up."""
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).digest()


API_KEY_PREFIX = "alf_"
"""What every API key starts with."""
_API_KEY_MAX_LENGTH = 128  # ours are 47 characters


def new_api_key() -> str:
    """Return a fresh API key: `alf_` and 256 random bits, URL-safe (47 characters)."""
    return API_KEY_PREFIX + secrets.token_urlsafe(32)


def is_api_key(token: str) -> bool:
    """Whether a bearer credential is meant as an API key (by its prefix; nothing is checked)."""
    return token.startswith(API_KEY_PREFIX)


def hash_api_key(key: str) -> bytes:
    """Return the SHA-256 digest under which an API key is stored and looked up.

    Raises:
        AuthenticationError: The key is far longer than any key we issue.
    """
    if len(key) > _API_KEY_MAX_LENGTH:
        raise AuthenticationError("oversized API key")
    return hashlib.sha256(key.encode("utf-8", "surrogatepass")).digest()
