from pathlib import Path

import pytest

from alfred_ai import (
    ENTRY_POINT_GROUP,
    ConfigurationError,
    IncomeAwareAIProvider,
    MockProvider,
    UnknownProviderError,
    available_providers,
    load_provider,
)


def register(site: Path, monkeypatch: pytest.MonkeyPatch, dist: str, entries: str) -> None:
    """Install a distribution whose only content is `alfred_ai.providers` entry points."""
    dist_info = site / f"{dist}-1.0.dist-info"
    dist_info.mkdir(parents=True)
    (dist_info / "METADATA").write_text(
        f"Metadata-Version: 2.1\nName: {dist}\nVersion: 1.0\n", encoding="utf-8"
    )
    (dist_info / "entry_points.txt").write_text(
        f"[{ENTRY_POINT_GROUP}]\n{entries}\n", encoding="utf-8"
    )
    monkeypatch.syspath_prepend(str(site))


class TestAvailableProviders:
    def test_lists_the_built_ins_found_through_entry_points(self) -> None:
        names = available_providers()
        assert {"income", "mock"} <= set(names)
        assert names == sorted(names)


class TestLoadProvider:
    def test_loads_the_built_ins(self) -> None:
        assert isinstance(load_provider("mock"), MockProvider)
        assert isinstance(load_provider("income"), IncomeAwareAIProvider)

    def test_ignores_case_and_surrounding_spaces(self) -> None:
        assert isinstance(load_provider("  Mock "), MockProvider)

    def test_passes_the_settings_to_the_factory(self) -> None:
        provider = load_provider("income", {"income_weight": 0.6})
        assert isinstance(provider, IncomeAwareAIProvider)
        assert provider.income_weight == 0.6

    def test_names_the_installed_providers_when_the_name_is_unknown(self) -> None:
        with pytest.raises(UnknownProviderError) as caught:
            load_provider("openai")
        assert caught.value.name == "openai"
        assert caught.value.available == tuple(available_providers())
        message = str(caught.value)
        assert "unknown AI provider 'openai'" in message
        assert f"installed providers: {', '.join(available_providers())}." in message
        assert "income" in message and "mock" in message
        assert ENTRY_POINT_GROUP in message

    def test_unknown_name_is_a_configuration_error(self) -> None:
        with pytest.raises(ConfigurationError):
            load_provider("")

    def test_lets_the_factory_reject_its_settings(self) -> None:
        with pytest.raises(ConfigurationError, match="takes no settings"):
            load_provider("mock", {"temperature": 1})

    def test_reports_a_provider_that_cannot_be_imported(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        register(tmp_path, monkeypatch, "broken", "broken = alfred_ai_no_such_module:create")
        with pytest.raises(ConfigurationError, match="could not be imported"):
            load_provider("broken")

    def test_reports_an_entry_point_that_is_not_callable(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        register(
            tmp_path, monkeypatch, "constant", "constant = alfred_ai.registry:ENTRY_POINT_GROUP"
        )
        with pytest.raises(ConfigurationError, match="not callable"):
            load_provider("constant")

    def test_reports_a_factory_that_returns_no_provider(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        register(tmp_path, monkeypatch, "wrong", "wrong = builtins:str")
        with pytest.raises(ConfigurationError, match="no `async def triage"):
            load_provider("wrong")

    def test_refuses_two_packages_registering_one_name_differently(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        register(tmp_path, monkeypatch, "impostor", "mock = builtins:dict")
        with pytest.raises(ConfigurationError, match="two installed packages register"):
            available_providers()
