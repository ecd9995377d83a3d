"""The operations files agree with the code: compose variables are settings, commands exist."""

from pathlib import Path

import yaml

from alfred_reference_api import Settings
from alfred_reference_api.cli import build_parser

ROOT = Path(__file__).resolve().parents[3]
FIELDS = {name.upper() for name in Settings.model_fields}


def _compose(path: str) -> dict[str, object]:
    data: dict[str, object] = yaml.safe_load((ROOT / path).read_text())
    return data


def test_compose_passes_only_real_settings_to_alfred() -> None:
    services = _compose("docker-compose.yml")["services"]
    assert isinstance(services, dict)
    for name in ("api", "worker"):
        env = services[name]["environment"]
        assert set(env) <= FIELDS, (name, set(env) - FIELDS)
        assert env["DATABASE_URL"].startswith("postgresql://")


def test_compose_runs_commands_the_cli_has() -> None:
    services = _compose("docker-compose.yml")["services"]
    assert isinstance(services, dict)
    for command in (["migrate"], ["serve", "--no-migrate"], ["worker"]):
        assert build_parser().parse_args(command).command == command[0]
    api = " ".join(services["api"]["command"])
    assert "alfred-api migrate" in api and "alfred-api serve" in api
    assert services["worker"]["command"] == ["alfred-api", "worker"]
    assert services["postgres"]["image"] == "postgres:16"
    assert "healthcheck" in services["postgres"]


def test_dockerfile_uses_python_312_slim_and_uv() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert dockerfile.startswith("# ") and "FROM python:3.12-slim" in dockerfile
    assert "uv sync --locked" in dockerfile
    assert "WORKDIR /app/apps/reference-api" in dockerfile  # where the README's commands run


def test_activepieces_compose_has_its_own_database_and_redis() -> None:
    services = _compose("ops/activepieces/docker-compose.yml")["services"]
    assert isinstance(services, dict)
    assert {"activepieces", "ap-postgres", "ap-redis"} <= set(services)
