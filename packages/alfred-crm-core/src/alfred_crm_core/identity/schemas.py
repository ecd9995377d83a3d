"""Identity schemas: what register, login, refresh and password change take and return."""

from __future__ import annotations

import unicodedata
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Literal

from email_validator import EmailNotValidError, validate_email
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    computed_field,
)

from alfred_crm_core.identity.config import PASSWORD_MAX_LENGTH
from alfred_crm_core.identity.models import Role

__all__ = [
    "ApiKeyCreate",
    "ApiKeyRead",
    "ApiKeySecret",
    "AuthResult",
    "LoginCredentials",
    "PasswordChange",
    "Principal",
    "Profile",
    "TenantRead",
    "TokenRefresh",
    "UserCreate",
    "UserRead",
    "normalize_email",
]

EMAIL_MAX_LENGTH = 254
"""RFC 5321: a forward path holds at most 256 octets, so an address at most 254."""
LOCAL_PART_MAX_LENGTH = 63
"""The part before the @: at most 63 characters, as our security checklist (row 5) requires.

RFC 5321 allows 64 octets; we keep one below it on purpose, matching the checklist.
"""


def normalize_email(value: str) -> str:
    """Return the form an e-mail address is stored and looked up in: stripped, lowercased, NFC.

    `" Alice@EXAMPLE.com "` and `"alice@example.com"` are the same account.
    """
    return unicodedata.normalize("NFC", value.strip()).lower()


def _valid_email(value: str) -> str:
    email = normalize_email(value)
    local, at, _ = email.rpartition("@")
    if len(email.encode()) > EMAIL_MAX_LENGTH:
        raise ValueError(f"an e-mail address has at most {EMAIL_MAX_LENGTH} characters")
    if at and len(local.encode()) > LOCAL_PART_MAX_LENGTH:
        raise ValueError(f"the part before the @ has at most {LOCAL_PART_MAX_LENGTH} characters")
    try:
        validate_email(email, check_deliverability=False)
    except EmailNotValidError as exc:
        raise ValueError(str(exc)) from exc
    return email


Email = Annotated[
    str,
    # The length is checked after normalising (surrounding spaces do not count), hence no
    # max_length constraint here, only its documentation.
    Field(json_schema_extra={"format": "email", "maxLength": EMAIL_MAX_LENGTH}),
    AfterValidator(_valid_email),
]
"""A valid e-mail address, normalised by `normalize_email`."""

Password = Annotated[
    str,
    Field(
        min_length=1,
        max_length=PASSWORD_MAX_LENGTH,
        description=(
            f"Any characters, up to {PASSWORD_MAX_LENGTH}; never trimmed or truncated. The "
            "minimum length is the server's PASSWORD_MIN_LENGTH (8 in production, else 6)."
        ),
    ),
]

Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]


class UserCreate(BaseModel):
    """Registration: a name, an e-mail and a password. Other fields are ignored."""

    model_config = ConfigDict(extra="ignore")

    name: Name
    email: Email
    password: Password


class LoginCredentials(BaseModel):
    """A login. The e-mail is normalised, not validated: an invalid one simply matches nobody."""

    model_config = ConfigDict(extra="ignore")

    email: Annotated[str, Field(min_length=1, max_length=320), AfterValidator(normalize_email)]
    password: Annotated[str, Field(min_length=1, max_length=PASSWORD_MAX_LENGTH)]


class TokenRefresh(BaseModel):
    """A refresh token, to exchange (`/auth/refresh`) or revoke (`/auth/logout`)."""

    model_config = ConfigDict(extra="ignore")

    refresh_token: Annotated[str, Field(min_length=1, max_length=512)]


class PasswordChange(BaseModel):
    """A password change: the current password, then the new one."""

    model_config = ConfigDict(extra="ignore")

    current_password: Annotated[str, Field(min_length=1, max_length=PASSWORD_MAX_LENGTH)]
    new_password: Password


class UserRead(BaseModel):
    """A user as the API shows it (never the password hash)."""

    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    name: str
    email: str
    created_at: datetime


class TenantRead(BaseModel):
    """The tenant a token is for, and the caller's role in it."""

    id: uuid.UUID
    name: str
    role: Role


class AuthResult(BaseModel):
    """A new token pair, with who it is for."""

    access_token: str = Field(description="JWT for `Authorization: Bearer`; short-lived.")
    refresh_token: str = Field(
        description="Opaque; exchange it once at `/auth/refresh` for a new pair."
    )
    token_type: Literal["bearer"] = "bearer"  # noqa: S105  # the OAuth 2 token type, not a secret
    expires_in: int = Field(description="Seconds until the access token expires.")
    user: UserRead
    tenant: TenantRead


class Profile(BaseModel):
    """The caller: user, and tenant with role."""

    user: UserRead
    tenant: TenantRead


@dataclass(frozen=True)
class Principal:
    """Who is calling: a verified credential whose user is active and a member of the tenant.

    Attributes:
        user_id: The user (for an API key: the member who created it).
        tenant_id: The tenant every query of the request is scoped to.
        role: The user's role in that tenant; `agent` for an API key, whoever created it.
        api_key_id: The API key used, or None for an access token.
    """

    user_id: uuid.UUID
    tenant_id: uuid.UUID
    role: Role
    api_key_id: uuid.UUID | None = None


class ApiKeyCreate(BaseModel):
    """A new API key: a name to recognise it by. Other fields are ignored."""

    model_config = ConfigDict(extra="ignore")

    name: Annotated[
        str,
        StringConstraints(strip_whitespace=True, min_length=1, max_length=100),
        Field(examples=["WhatsApp provider"]),
    ]


class ApiKeyRead(BaseModel):
    """An API key as lists show it: never the key itself.

    Attributes:
        masked_key: The prefix and the last four characters, e.g. `alf_****x9Qz`.
    """

    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    name: str
    prefix: Literal["alf_"] = "alf_"
    last4: str = Field(description="The key's last four characters.")
    created_by: uuid.UUID = Field(
        validation_alias="user_id", description="The member the key acts as (with role agent)."
    )
    created_at: datetime
    last_used_at: datetime | None = Field(
        description="When the key last authenticated a request (to the minute)."
    )
    revoked_at: datetime | None

    @computed_field  # type: ignore[prop-decorator]  # pydantic's documented usage
    @property
    def masked_key(self) -> str:
        """`alf_****` and the last four characters."""
        return f"{self.prefix}****{self.last4}"


class ApiKeySecret(ApiKeyRead):
    """A new API key with the key itself: the only answer that ever shows it."""

    key: str = Field(description="Send as `Authorization: Bearer <key>`. Shown only this once.")
