"""The `alfred-api` command: `serve`, `--help` and Alembic as real processes on a real port; the
other commands in this process through `run_cli` (conftest), which gives them the environment a
child would get and reports what `subprocess.run` would.
"""

import asyncio
import json
import subprocess
import sys
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import asyncpg
import pytest

from alfred_crm_core import migrate
from alfred_crm_core.testing import database_url_for
from alfred_reference_api.bootstrap import MIGRATION_LOCATIONS
from alfred_reference_api.testing import child_env as _env
from alfred_reference_api.testing import serve, stop

APP_DIR = Path(__file__).resolve().parents[1]
HEADS = sorted(migrate.head_revisions(MIGRATION_LOCATIONS))  # one: see test_migrations
Cli = Callable[..., subprocess.CompletedProcess[str]]


def _cli(
    *args: str, env: dict[str, str], cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "alfred_reference_api.cli", *args],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture
def fresh_db(postgres_server: str) -> Iterator[str]:
    name = f"alfred_cli_{uuid.uuid4().hex[:10]}"

    async def admin(sql: str) -> None:
        conn = await asyncpg.connect(postgres_server)
        await conn.execute(sql)
        await conn.close()

    asyncio.run(admin(f'CREATE DATABASE "{name}"'))
    yield database_url_for(postgres_server, name)
    asyncio.run(admin(f'DROP DATABASE "{name}" WITH (FORCE)'))


def test_serve_on_the_embedded_database_then_restart_reuses_it(tmp_path: Path) -> None:
    env = _env(ALFRED_DATA_DIR=str(tmp_path / "data"))
    first = serve(env, tmp_path)
    stop(first)
    secrets_before = (tmp_path / "data" / "secrets.json").read_text()
    assert (tmp_path / "data" / "pgdata" / "PG_VERSION").exists()
    assert first.started_in < 60 and first.ready["status"] == "ready"

    again = serve(env, tmp_path)
    stop(again)
    assert again.ready == first.ready
    assert (tmp_path / "data" / "secrets.json").read_text() == secrets_before


def test_serve_with_database_url_migrates_and_serves(fresh_db: str, tmp_path: Path) -> None:
    server = serve(_env(DATABASE_URL=fresh_db, ALFRED_DATA_DIR=str(tmp_path)), tmp_path)
    stop(server)
    assert server.ready["migrations"] == HEADS
    assert not (tmp_path / "pgdata").exists()  # no embedded server was started


def test_migrate_command_reports_the_head(fresh_db: str, tmp_path: Path, run_cli: Cli) -> None:
    result = run_cli("migrate", env={"DATABASE_URL": fresh_db, "ALFRED_DATA_DIR": str(tmp_path)})
    assert result.returncode == 0, result.stderr
    assert f"database at {', '.join(HEADS)}" in result.stdout


def test_alembic_upgrade_head_works_from_the_app_folder(fresh_db: str) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "alembic", "upgrade", "head"],
        cwd=APP_DIR,
        env=_env(DATABASE_URL=fresh_db),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    current = subprocess.run(
        [sys.executable, "-m", "alembic", "current"],
        cwd=APP_DIR,
        env=_env(DATABASE_URL=fresh_db),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert all(f"{head} (head)" in current.stdout for head in HEADS)


def test_unknown_job_exits_non_zero_and_lists_the_jobs(tmp_path: Path, run_cli: Cli) -> None:
    result = run_cli("jobs", "run", "no-such-job", env={"ALFRED_DATA_DIR": str(tmp_path)})
    assert result.returncode == 2
    assert "unknown job 'no-such-job'" in result.stderr
    assert "jobs:" in result.stderr


def test_invalid_configuration_is_reported_by_name(tmp_path: Path, run_cli: Cli) -> None:
    result = run_cli("migrate", env={"ENVIRONMENT": "production", "ALFRED_DATA_DIR": str(tmp_path)})
    assert result.returncode != 0
    assert "JWT_SECRET" in result.stderr and "AUTOMATION_SECRET_ENCRYPTION_KEY" in result.stderr
    assert "Traceback" not in result.stderr


def test_help_lists_every_command() -> None:
    result = _cli("--help", env=_env())
    for command in ("serve", "worker", "migrate", "seed", "jobs"):
        assert command in result.stdout


def test_logs_are_json_lines(fresh_db: str, tmp_path: Path, run_cli: Cli) -> None:
    result = run_cli(
        "migrate",
        env={"DATABASE_URL": fresh_db, "ALFRED_DATA_DIR": str(tmp_path), "LOG_LEVEL": "INFO"},
    )
    lines = [json.loads(line) for line in result.stderr.splitlines() if line.startswith("{")]
    assert lines, result.stderr
    assert all({"ts", "level", "logger", "message"} <= set(line) for line in lines)


def test_seed_creates_the_demo_user_without_issuing_a_token(
    fresh_db: str, tmp_path: Path, run_cli: Cli
) -> None:
    env = {
        "DATABASE_URL": fresh_db,
        "ALFRED_DATA_DIR": str(tmp_path),
        "PASSWORD_HASH_TIME_COST": "1",
        "PASSWORD_HASH_MEMORY_KIB": "1024",
    }
    result = run_cli("seed", env=env)
    assert result.returncode == 0, result.stderr
    assert "created user demo@alfred.ai" in result.stdout

    async def counts() -> tuple[int, int, int]:
        conn = await asyncpg.connect(fresh_db)
        try:
            row = await conn.fetchrow(
                "SELECT (SELECT count(*) FROM users WHERE email = 'demo@alfred.ai'),"
                " (SELECT count(*) FROM refresh_tokens), (SELECT count(*) FROM notifications)"
            )
            assert row is not None
            return int(row[0]), int(row[1]), int(row[2])
        finally:
            await conn.close()

    assert asyncio.run(counts()) == (1, 0, 0)
