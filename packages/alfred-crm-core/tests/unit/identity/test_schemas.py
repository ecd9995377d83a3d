import pydantic
import pytest

from alfred_crm_core import LoginCredentials, UserCreate, normalize_email


def test_email_is_stripped_lowercased_and_nfc() -> None:
    assert normalize_email(" Alice@EXAMPLE.com ") == "alice@example.com"
    assert normalize_email("Jose\u0301@example.com") == "jos\u00e9@example.com"


def test_registration_normalises_the_email_and_ignores_extra_fields() -> None:
    data = UserCreate.model_validate(
        {
            "name": " Ada ",
            "email": " Ada@Example.COM",
            "password": "secret",
            "is_admin": True,
            "tenant_id": "00000000-0000-0000-0000-000000000001",
        }
    )
    assert (data.name, data.email) == ("Ada", "ada@example.com")
    assert not hasattr(data, "is_admin") and not hasattr(data, "tenant_id")


@pytest.mark.parametrize(
    "email",
    [
        "a" * 64 + "@example.com",  # local part over 63 (checklist row 5)
        "a@" + "b" * 250 + ".com",  # over 254
        "not-an-email",
        "a@b",
        "",
    ],
)
def test_invalid_emails_are_refused(email: str) -> None:
    with pytest.raises(pydantic.ValidationError):
        UserCreate(name="x", email=email, password="secret")


def test_longest_valid_local_part_is_accepted() -> None:
    assert UserCreate(name="x", email="a" * 63 + "@example.com", password="secret")


def test_password_is_kept_exactly_and_capped_at_1024() -> None:
    spaced = "  pass word \U0001f511  "
    assert UserCreate(name="x", email="a@example.com", password=spaced).password == spaced
    assert UserCreate(name="x", email="a@example.com", password="p" * 1024)
    with pytest.raises(pydantic.ValidationError):
        UserCreate(name="x", email="a@example.com", password="p" * 1025)


def test_login_normalises_without_validating() -> None:
    assert LoginCredentials(email=" Bob@X ", password="p").email == "bob@x"
