"""Normalising e-mail addresses and phone numbers, so uniqueness means what people expect."""

from __future__ import annotations

import phonenumbers
from email_validator import EmailNotValidError, validate_email

from alfred_crm_core.errors import ValidationError

__all__ = ["DEFAULT_PHONE_REGION", "normalize_email", "normalize_phone"]

DEFAULT_PHONE_REGION = "BR"
"""Region assumed for numbers written without a country code (most customers are in Brazil)."""


def normalize_email(value: str, field: str = "email") -> str:
    """Return `value` trimmed and lower-cased, after checking it is a deliverable-looking address.

    Raises:
        ValidationError: Not an e-mail address (named after `field`).
    """
    candidate = value.strip()
    try:
        checked = validate_email(candidate, check_deliverability=False)
    except EmailNotValidError as exc:
        raise ValidationError(field, f"{field}: {exc}") from exc
    return checked.normalized.lower()


def normalize_phone(value: str, field: str = "phone", region: str = DEFAULT_PHONE_REGION) -> str:
    """Return `value` in E.164 (`+5511987654321`).

    Numbers without `+` are read as `region` numbers, except that digits-only input of 12 or more
    digits is taken as already carrying its country code (WhatsApp ids look like `5511987654321`).

    Raises:
        ValidationError: Not a possible phone number (named after `field`).
    """
    raw = value.strip()
    digits = "".join(ch for ch in raw if ch.isdigit())
    if not raw.startswith("+") and raw.replace(" ", "").isdigit() and len(digits) >= 12:
        raw = "+" + digits
    try:
        parsed = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException as exc:
        raise ValidationError(field, f"{field}: not a phone number") from exc
    if not phonenumbers.is_possible_number(parsed):
        raise ValidationError(field, f"{field}: not a possible phone number")
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
