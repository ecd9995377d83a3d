"""A third-party provider package, installed for the test, is found through its entry point.

Installing tests/example_provider for real (pip or uv into a throwaway venv) would be slow and need
the network; importlib.metadata finds a distribution by its `*.dist-info` folder on `sys.path`, so
the test writes exactly what an installer writes for the entry points: METADATA and
entry_points.txt, generated from the example's own pyproject.toml.
"""

import sys
import tomllib
from pathlib import Path

import pytest

from alfred_ai import (
    ConfigurationError,
    Intent,
    MessageInput,
    Priority,
    TriageContext,
    available_providers,
    load_provider,
)

EXAMPLE = Path(__file__).parents[1] / "example_provider"


def install(site: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Install the example into `site` as an installer would, and put it on the import path."""
    project = tomllib.loads((EXAMPLE / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    dist_info = site / f"{project['name'].replace('-', '_')}-{project['version']}.dist-info"
    dist_info.mkdir(parents=True)
    (dist_info / "METADATA").write_text(
        f"Metadata-Version: 2.1\nName: {project['name']}\nVersion: {project['version']}\n",
        encoding="utf-8",
    )
    lines = []
    for group, entries in project["entry-points"].items():
        lines.append(f"[{group}]")
        lines.extend(f"{name} = {target}" for name, target in entries.items())
    (dist_info / "entry_points.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
    monkeypatch.syspath_prepend(str(EXAMPLE / "src"))
    monkeypatch.syspath_prepend(str(site))
    monkeypatch.delitem(sys.modules, "alfred_ai_example_provider", raising=False)


@pytest.fixture
def installed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    install(tmp_path / "site-packages", monkeypatch)


def test_is_not_listed_before_it_is_installed() -> None:
    assert "example" not in available_providers()


@pytest.mark.usefixtures("installed")
def test_is_listed_once_installed() -> None:
    assert {"example", "income", "mock"} <= set(available_providers())


@pytest.mark.usefixtures("installed")
@pytest.mark.anyio
async def test_loads_and_triages() -> None:
    provider = load_provider("example", {"urgent_word": "asap"})
    triage = await provider.triage(MessageInput(body="Price list asap please"), TriageContext())
    assert type(provider).__module__ == "alfred_ai_example_provider"
    assert (triage.intent, triage.priority, triage.provider) == (
        Intent.PRICING,
        Priority.URGENT,
        "example",
    )


@pytest.mark.usefixtures("installed")
def test_its_factory_validates_its_settings() -> None:
    with pytest.raises(ConfigurationError, match="urgent_word"):
        load_provider("example", {"model": "gpt"})
