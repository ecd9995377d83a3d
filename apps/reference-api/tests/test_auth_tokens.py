"""Bearer access tokens: checklist rows 6 to 15. Every refusal is the same generic 401."""

import base64
import hmac
import json
import socket
import time
from collections.abc import Awaitable, Callable
from typing import Any

import asyncpg
import httpx
import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from pydantic import SecretStr

from alfred_reference_api import Settings
from alfred_reference_api.testing import Account

pytestmark = pytest.mark.anyio

Signup = Callable[..., Awaitable[Account]]
ME = "/api/v1/auth/me"
LEEWAY = 30
SECRET = b"per-module-test-secret-0123456789abcdef0123"


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """The app signs with SECRET, so that this module can forge tokens."""
    return settings.model_copy(update={"jwt_secret": SecretStr(SECRET.decode())})


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _raw(
    header: dict[str, Any], claims: dict[str, Any], key: bytes | None, digest: str = "sha256"
) -> str:
    """A JWS built by hand (PyJWT refuses to make most of the bad ones we need)."""
    signing_input = f"{_b64(json.dumps(header).encode())}.{_b64(json.dumps(claims).encode())}"
    signature = b"" if key is None else hmac.new(key, signing_input.encode(), digest).digest()
    return f"{signing_input}.{_b64(signature)}"


def _claims(account: Account, **overrides: Any) -> dict[str, Any]:
    now = int(time.time())
    claims: dict[str, Any] = {
        "iss": "alfred",
        "aud": "alfred-api",
        "sub": str(account.user_id),
        "tid": str(account.tenant_id),
        "ver": 0,
        "iat": now,
        "exp": now + 900,
        "jti": "j-1",
    }
    claims.update(overrides)
    return {k: v for k, v in claims.items() if v is not None}


def _hs256(claims: dict[str, Any], **header: Any) -> str:
    return _raw({"alg": "HS256", "typ": "at+jwt", **header}, claims, SECRET)


@pytest.fixture
async def account(signup: Signup) -> Account:
    return await signup()


@pytest.fixture
async def generic_401(client: httpx.AsyncClient) -> dict[str, Any]:
    r = await client.get(ME)
    assert r.status_code == 401
    body: dict[str, Any] = r.json()
    assert body["code"] == "unauthorized" and body["detail"] == "missing or invalid credentials"
    return body


async def _assert_generic_401(
    client: httpx.AsyncClient, generic: dict[str, Any], authorization: str, path: str = ME
) -> None:
    r = await client.get(path, headers={"Authorization": authorization})
    assert r.status_code == 401, r.text
    assert r.json() == {**generic, "instance": path}
    assert r.headers["www-authenticate"] == "Bearer"
    assert r.headers["content-type"] == "application/problem+json"


async def test_a_valid_hand_made_token_is_accepted(
    client: httpx.AsyncClient, account: Account
) -> None:
    """The control: the refusals below are about what was changed, not about the crafting."""
    r = await client.get(ME, headers={"Authorization": f"Bearer {_hs256(_claims(account))}"})
    assert r.status_code == 200 and r.json()["user"]["id"] == str(account.user_id)
    assert (await client.get(ME, headers=account.headers)).status_code == 200


async def test_alg_none_with_an_empty_signature(  # row 6
    client: httpx.AsyncClient, account: Account, generic_401: dict[str, Any]
) -> None:
    for alg in ("none", "None", "NONE"):
        token = _raw({"alg": alg, "typ": "at+jwt"}, _claims(account), None)
        await _assert_generic_401(client, generic_401, f"Bearer {token}")


def _rsa_pem() -> tuple[bytes, bytes]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    public = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return private, public


async def test_wrong_keys_and_algorithms(  # row 7
    client: httpx.AsyncClient, account: Account, generic_401: dict[str, Any]
) -> None:
    claims = _claims(account)
    private, public = _rsa_pem()
    ec_key = ec.generate_private_key(ec.SECP256R1())
    tokens = [
        _raw({"alg": "HS256", "typ": "at+jwt"}, claims, b"another-secret-0123456789abcdef01234"),
        _raw({"alg": "HS512", "typ": "at+jwt"}, claims, SECRET, "sha512"),
        jwt.encode(claims, private, algorithm="RS256", headers={"typ": "at+jwt"}),
        jwt.encode(claims, ec_key, algorithm="ES256", headers={"typ": "at+jwt"}),
        _raw({"alg": "HS256", "typ": "at+jwt"}, claims, public),  # key confusion
        _raw({"alg": "RS256", "typ": "at+jwt"}, claims, public),
    ]
    for token in tokens:
        await _assert_generic_401(client, generic_401, f"Bearer {token}")


async def test_expiry_and_its_leeway(  # row 8
    client: httpx.AsyncClient, account: Account, generic_401: dict[str, Any]
) -> None:
    now = int(time.time())
    expired = _hs256(_claims(account, exp=now - LEEWAY - 1))
    await _assert_generic_401(client, generic_401, f"Bearer {expired}")
    within = _hs256(_claims(account, exp=now - LEEWAY + 10))
    assert (await client.get(ME, headers={"Authorization": f"Bearer {within}"})).status_code == 200


@pytest.mark.parametrize("claim", ["exp", "iat", "sub", "iss", "aud", "jti", "tid", "ver"])
async def test_each_required_claim_removed(  # row 9
    client: httpx.AsyncClient, account: Account, generic_401: dict[str, Any], claim: str
) -> None:
    token = _hs256(_claims(account, **{claim: None}))
    await _assert_generic_401(client, generic_401, f"Bearer {token}")


@pytest.mark.parametrize(
    "bad",
    [
        {"iss": "someone-else"},
        {"iss": "alfre"},
        {"iss": "alfredo"},
        {"iss": ["alfred"]},
        {"aud": "another-api"},
        {"aud": "alfred-api-v2"},
        {"aud": ["alfred-api"]},
        {"aud": ["alfred-api", "other"]},
    ],
)
async def test_issuer_and_audience_must_match_exactly(  # row 10
    client: httpx.AsyncClient, account: Account, generic_401: dict[str, Any], bad: dict[str, Any]
) -> None:
    await _assert_generic_401(client, generic_401, f"Bearer {_hs256(_claims(account, **bad))}")


@pytest.mark.parametrize(
    "make_bad",
    [
        # Built when the test runs, not at collection: a slow suite must not age them.
        lambda: {"iat": int(time.time()) + LEEWAY + 60},
        lambda: {"nbf": int(time.time()) + LEEWAY + 60},
        lambda: {"iat": time.time()},
        lambda: {"iat": str(int(time.time()))},
        lambda: {"iat": True},
    ],
    ids=["iat-future", "nbf-future", "iat-float", "iat-string", "iat-bool"],
)
async def test_future_or_non_integer_times(  # row 11
    client: httpx.AsyncClient,
    account: Account,
    generic_401: dict[str, Any],
    make_bad: Callable[[], dict[str, Any]],
) -> None:
    bad = make_bad()
    await _assert_generic_401(client, generic_401, f"Bearer {_hs256(_claims(account, **bad))}")


async def test_token_kinds_are_never_confused(  # row 12
    client: httpx.AsyncClient, account: Account, generic_401: dict[str, Any]
) -> None:
    for path in ("/api/v1/contacts", "/api/v1/notifications"):
        await _assert_generic_401(client, generic_401, f"Bearer {account.refresh_token}", path)
    r = await client.post("/api/v1/auth/refresh", json={"refresh_token": account.access_token})
    assert r.status_code == 401 and r.json()["code"] == "invalid_grant"
    claims = _claims(account)
    untyped = _raw({"alg": "HS256"}, claims, SECRET)
    for token in (untyped, _hs256(claims, typ="JWT"), _hs256(claims, typ="at+JWT+x")):
        await _assert_generic_401(client, generic_401, f"Bearer {token}")


async def test_crit_and_key_urls_are_refused_without_any_lookup(  # row 13
    client: httpx.AsyncClient,
    account: Account,
    generic_401: dict[str, Any],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    looked_up: list[object] = []
    real = socket.getaddrinfo

    def spy(host: object, *args: Any, **kwargs: Any) -> Any:
        looked_up.append(host)
        return real(host, *args, **kwargs)  # type: ignore[arg-type]  # passthrough

    monkeypatch.setattr(socket, "getaddrinfo", spy)
    claims = _claims(account)
    evil = "https://attacker.example/keys"
    for header in (
        {"crit": ["exp"]},
        {"crit": ["http://example.com/unknown"], "http://example.com/unknown": True},
        {"jku": evil},
        {"x5u": evil},
        {"kid": evil},
        {"jwk": {"kty": "oct", "k": _b64(b"attacker")}},
    ):
        await _assert_generic_401(client, generic_401, f"Bearer {_hs256(claims, **header)}")
    assert not [h for h in looked_up if "attacker" in str(h)]


@pytest.mark.parametrize(
    "authorization",
    [
        "",
        "Bearer",
        "Bearer ",
        "Bearer a.b",
        "Bearer a.b.c",
        "Bearer !!!.###.$$$",
        "Bearer " + "A" * 16 * 1024,
        "Basic dXNlcjpwYXNz",
        "Token abc",
        "Bearer eyJhbGciOiJIUzI1NiJ9",
    ],
)
async def test_malformed_authorization_headers(  # row 14
    client: httpx.AsyncClient, generic_401: dict[str, Any], authorization: str
) -> None:
    await _assert_generic_401(client, generic_401, authorization)


async def test_the_scheme_name_is_case_insensitive(
    client: httpx.AsyncClient, account: Account
) -> None:
    r = await client.get(ME, headers={"Authorization": f"bearer {account.access_token}"})
    assert r.status_code == 200


class TestRevokedUsers:  # row 15
    @pytest.mark.parametrize(
        "sql",
        [
            "DELETE FROM users WHERE id = $1",
            "UPDATE users SET is_active = false WHERE id = $1",
            "DELETE FROM memberships WHERE user_id = $1",
        ],
        ids=["deleted", "disabled", "removed-from-tenant"],
    )
    async def test_a_user_who_may_no_longer_act(
        self,
        client: httpx.AsyncClient,
        account: Account,
        generic_401: dict[str, Any],
        database_url: str,
        sql: str,
    ) -> None:
        conn = await asyncpg.connect(database_url)
        try:
            await conn.execute(sql, account.user_id)
        finally:
            await conn.close()
        await _assert_generic_401(client, generic_401, f"Bearer {account.access_token}")

    async def test_token_issued_before_a_password_change(
        self, client: httpx.AsyncClient, account: Account, generic_401: dict[str, Any]
    ) -> None:
        r = await client.post(
            "/api/v1/auth/password",
            headers=account.headers,
            json={"current_password": account.password, "new_password": "brand-new-secret"},
        )
        assert r.status_code == 200
        await _assert_generic_401(client, generic_401, f"Bearer {account.access_token}")
        fresh = {"Authorization": f"Bearer {r.json()['access_token']}"}
        assert (await client.get(ME, headers=fresh)).status_code == 200

    async def test_token_of_another_tenant_claimed_by_a_forged_tid(
        self,
        client: httpx.AsyncClient,
        account: Account,
        signup: Signup,
        generic_401: dict[str, Any],
    ) -> None:
        other = await signup()
        forged = _hs256(_claims(account, tid=str(other.tenant_id)))
        await _assert_generic_401(client, generic_401, f"Bearer {forged}")
