import pytest

from alfred_automation import ConfigurationError, HubConfig

KEY = bytes(32)


def test_defaults_follow_the_readme_and_lease_past_the_timeout() -> None:
    config = HubConfig(encryption_keys=[KEY])
    assert (config.enabled, config.timeout_seconds, config.max_attempts) == (True, 10.0, 8)
    assert (config.replay_window_seconds, config.rate_limit_per_minute) == (300, 60)
    assert config.lease == 40.0
    assert HubConfig(encryption_keys=[KEY], timeout_seconds=2, lease_seconds=3).lease == 3
    assert config.secret_box.key_id == HubConfig(encryption_keys=[KEY]).secret_box.key_id


@pytest.mark.parametrize("keys", [[], [b"short"], [KEY, bytes(31)]])
def test_a_missing_or_short_key_refuses_to_start(keys: list[bytes]) -> None:
    with pytest.raises(ConfigurationError, match=r"AUTOMATION_SECRET_ENCRYPTION_KEY|32"):
        HubConfig(encryption_keys=keys)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("timeout_seconds", 0),
        ("max_attempts", 0),
        ("rate_limit_per_minute", -1),
        ("concurrency", 0),
        ("per_destination_concurrency", 0),
        ("replay_window_seconds", 0),
    ],
)
def test_settings_that_cannot_work_are_refused(field: str, value: float) -> None:
    with pytest.raises(ConfigurationError, match=field):
        HubConfig(encryption_keys=[KEY], **{field: value})  # type: ignore[arg-type]  # the field varies


def test_a_lease_not_longer_than_the_timeout_and_inverted_retry_bounds_are_refused() -> None:
    with pytest.raises(ConfigurationError, match="lease_seconds"):
        HubConfig(encryption_keys=[KEY], timeout_seconds=10, lease_seconds=10)
    with pytest.raises(ConfigurationError, match="RETRY_MAX"):
        HubConfig(encryption_keys=[KEY], retry_base_seconds=10, retry_max_seconds=5)


def test_the_keys_do_not_show_in_repr() -> None:
    shown = repr(HubConfig(encryption_keys=[b"k" * 32]))
    assert "kkkk" not in shown and "encryption_keys" not in shown and "secret_box" not in shown
