import pytest

from alfred_crm_core import AuthConfig, ConfigurationError


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"jwt_secret": ""}, "JWT_SECRET"),
        ({"jwt_secret": "s", "password_min_length": 0}, "PASSWORD_MIN_LENGTH"),
        ({"jwt_secret": "s", "access_token_ttl_seconds": 0}, "ACCESS_TOKEN_TTL_SECONDS"),
        ({"jwt_secret": "s", "login_max_failures": 0}, "LOGIN_MAX_FAILURES"),
        ({"jwt_secret": "s", "leeway_seconds": -1}, "JWT_LEEWAY_SECONDS"),
    ],
)
def test_bad_settings_name_the_variable(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigurationError, match=message):
        AuthConfig(**kwargs)  # type: ignore[arg-type]  # values of mixed types on purpose


def test_the_secret_is_not_in_the_repr() -> None:
    assert "hunter2" not in repr(AuthConfig(jwt_secret="hunter2"))
