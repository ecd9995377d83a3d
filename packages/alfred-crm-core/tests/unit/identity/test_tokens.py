import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
import pytest

from alfred_crm_core import AuthConfig, AuthenticationError
from alfred_crm_core.identity.tokens import (
    decode_access_token,
    hash_refresh_token,
    issue_access_token,
    new_refresh_token,
)

SECRET = "unit-test-secret-0123456789abcdef0123456789"
CONFIG = AuthConfig(jwt_secret=SECRET)
NOW = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)


def _claims(**overrides: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "iss": "alfred",
        "aud": "alfred-api",
        "sub": str(uuid.uuid4()),
        "tid": str(uuid.uuid4()),
        "ver": 0,
        "iat": int(NOW.timestamp()),
        "exp": int(NOW.timestamp()) + 900,
        "jti": "abc",
    }
    base.update(overrides)
    return {k: v for k, v in base.items() if v is not None}


def _sign(claims: dict[str, Any], headers: dict[str, Any] | None = None) -> str:
    return jwt.encode(claims, SECRET, algorithm="HS256", headers=headers or {"typ": "at+jwt"})


def test_issued_token_decodes_to_its_claims() -> None:
    user, tenant = uuid.uuid4(), uuid.uuid4()
    token, expires = issue_access_token(
        CONFIG, user_id=user, tenant_id=tenant, token_version=3, now=NOW
    )
    claims = decode_access_token(CONFIG, token, now=NOW)
    assert (claims.user_id, claims.tenant_id, claims.token_version) == (user, tenant, 3)
    assert expires == claims.expires_at == NOW + timedelta(seconds=900)
    assert jwt.get_unverified_header(token) == {"alg": "HS256", "typ": "at+jwt"}


@pytest.mark.parametrize("claim", ["sub", "tid", "iss", "aud", "exp", "iat", "jti", "ver"])
def test_every_claim_is_required(claim: str) -> None:
    token = _sign(_claims(**{claim: None}))
    with pytest.raises(AuthenticationError):
        decode_access_token(CONFIG, token, now=NOW)


@pytest.mark.parametrize(
    "headers",
    [
        {"typ": "JWT"},
        {},
        {"typ": "at+jwt", "crit": ["exp"], "exp": 1},
        {"typ": "at+jwt", "jku": "https://attacker.example/jwks"},
        {"typ": "at+jwt", "x5u": "https://attacker.example/cert"},
        {"typ": "at+jwt", "kid": "https://attacker.example/key"},
    ],
)
def test_headers_we_never_issue_are_refused(headers: dict[str, Any]) -> None:
    token = jwt.encode(_claims(), SECRET, algorithm="HS256", headers=headers)
    if "typ" not in headers:  # PyJWT adds typ=JWT unless told otherwise
        token = jwt.encode(_claims(), SECRET, algorithm="HS256", headers={"typ": None})
    with pytest.raises(AuthenticationError):
        decode_access_token(CONFIG, token, now=NOW)


def test_the_media_type_form_of_typ_is_accepted() -> None:
    token = _sign(_claims(), {"typ": "application/at+jwt"})
    assert decode_access_token(CONFIG, token, now=NOW).jti == "abc"


@pytest.mark.parametrize(
    ("offset", "valid"), [(-31, False), (-30, False), (-29, True), (0, True), (1, True)]
)
def test_expiry_has_a_leeway_of_thirty_seconds(offset: int, valid: bool) -> None:
    token = _sign(_claims(exp=int(NOW.timestamp()) + offset))
    if valid:
        decode_access_token(CONFIG, token, now=NOW)
    else:
        with pytest.raises(AuthenticationError):
            decode_access_token(CONFIG, token, now=NOW)


def test_a_token_verified_before_still_expires_and_binds_to_the_key() -> None:
    # Verified payloads are cached per token: the time claims and the key must still count.
    token = _sign(_claims())
    decode_access_token(CONFIG, token, now=NOW)
    decode_access_token(CONFIG, token, now=NOW)  # served from the cache
    with pytest.raises(AuthenticationError):
        decode_access_token(CONFIG, token, now=NOW + timedelta(seconds=900 + 30))
    with pytest.raises(AuthenticationError):
        decode_access_token(AuthConfig(jwt_secret=SECRET + "-rotated"), token, now=NOW)
    with pytest.raises(AuthenticationError):
        decode_access_token(AuthConfig(jwt_secret=SECRET, audience="other"), token, now=NOW)


@pytest.mark.parametrize(
    "bad",
    [
        {"iat": int(NOW.timestamp()) + 31},
        {"nbf": int(NOW.timestamp()) + 31},
        {"iat": float(NOW.timestamp())},
        {"iat": "1767268800"},
        {"exp": True},
        {"ver": "0"},
        {"ver": -1},
        {"sub": "not-a-uuid"},
        {"tid": 42},
        {"aud": ["alfred-api"]},
        {"aud": "alfred-api-2"},
        {"iss": "alfre"},
        {"iss": "alfred-evil"},
    ],
)
def test_malformed_claims_are_refused(bad: dict[str, Any]) -> None:
    with pytest.raises(AuthenticationError):
        decode_access_token(CONFIG, _sign(_claims(**bad)), now=NOW)


@pytest.mark.parametrize(
    "token", ["", "a.b", "a.b.c", "!!!.???.###", "x" * 5000, "Bearer x", "é.é.é"]
)
def test_garbage_is_refused_with_the_same_message(token: str) -> None:
    with pytest.raises(AuthenticationError) as err:
        decode_access_token(CONFIG, token, now=NOW)
    assert str(err.value) == "missing or invalid credentials"


def test_refresh_tokens_are_random_and_hashed_with_sha256() -> None:
    first, second = new_refresh_token(), new_refresh_token()
    assert first != second and len(first) >= 43
    assert len(hash_refresh_token(first)) == 32
    assert hash_refresh_token(first) == hash_refresh_token(first)
