"""`.env.example` and the settings code list the same variables, with the same defaults."""

from pathlib import Path

from alfred_reference_api import Settings

ROOT = Path(__file__).resolve().parents[3]


def _example() -> dict[str, str]:
    pairs = {}
    for line in (ROOT / ".env.example").read_text().splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            key, _, value = line.partition("=")
            pairs[key.strip()] = value.strip()
    return pairs


def test_every_setting_is_in_env_example_and_nothing_else() -> None:
    fields = {name.upper() for name in Settings.model_fields}
    assert set(_example()) == fields


def test_env_example_defaults_match_the_code() -> None:
    for name, value in _example().items():
        default = Settings.model_fields[name.lower()].default
        if default is None or name.endswith(("SECRET", "_KEY", "PASSWORD_MIN_LENGTH")):
            continue  # no default, or one that depends on ENVIRONMENT
        if isinstance(default, bool):
            expected = str(default).lower()
        elif isinstance(default, float) and default.is_integer():
            expected = str(int(default))
        else:
            expected = str(default)
        assert value == expected, name
