"""The `alfred-api` command, run as a user runs it: a real process, a real port."""

import json
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import asyncpg
import httpx
import pytest

from alfred_crm_core import migrate
from alfred_crm_core.testing import database_url_for
from alfred_reference_api.bootstrap import MIGRATION_LOCATIONS

APP_DIR = Path(__file__).resolve().parents[1]
HEADS = sorted(migrate.head_revisions(MIGRATION_LOCATIONS))  # one: see test_migrations


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _env(**extra: str) -> dict[str, str]:
    env = {
        k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "ALFRED_TEST_DATABASE_URL")
    }
    env.update(extra)
    return env


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


def _serve_until_healthy(
    env: dict[str, str], cwd: Path
) -> tuple[subprocess.Popen[str], float, dict[str, object]]:
    port = _free_port()
    started = time.monotonic()
    log = cwd / f"serve-{port}.log"
    with log.open("w") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "alfred_reference_api.cli", "serve", "--port", str(port)],
            env=env,
            cwd=cwd,
            stdout=out,
            stderr=subprocess.STDOUT,
            text=True,
        )
    deadline = started + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"serve exited: {log.read_text()}")
        try:
            ready = httpx.get(f"http://127.0.0.1:{port}/api/v1/health/ready", timeout=1)
            if ready.status_code == 200:
                return proc, time.monotonic() - started, ready.json()
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    proc.kill()
    raise AssertionError("not healthy within 60 s")


def _stop(proc: subprocess.Popen[str]) -> None:
    proc.send_signal(signal.SIGINT)
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


@pytest.fixture
def fresh_db(postgres_server: str) -> Iterator[str]:
    import asyncio

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
    proc, elapsed, ready = _serve_until_healthy(env, tmp_path)
    _stop(proc)
    secrets_before = (tmp_path / "data" / "secrets.json").read_text()
    assert (tmp_path / "data" / "pgdata" / "PG_VERSION").exists()
    assert elapsed < 60 and ready["status"] == "ready"

    proc, _, ready_again = _serve_until_healthy(env, tmp_path)
    _stop(proc)
    assert ready_again == ready
    assert (tmp_path / "data" / "secrets.json").read_text() == secrets_before


def test_serve_with_database_url_migrates_and_serves(fresh_db: str, tmp_path: Path) -> None:
    proc, _, ready = _serve_until_healthy(
        _env(DATABASE_URL=fresh_db, ALFRED_DATA_DIR=str(tmp_path)), tmp_path
    )
    _stop(proc)
    assert ready["migrations"] == HEADS
    assert not (tmp_path / "pgdata").exists()  # no embedded server was started


def test_migrate_command_reports_the_head(fresh_db: str, tmp_path: Path) -> None:
    result = _cli("migrate", env=_env(DATABASE_URL=fresh_db, ALFRED_DATA_DIR=str(tmp_path)))
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


def test_unknown_job_exits_non_zero_and_lists_the_jobs(tmp_path: Path) -> None:
    result = _cli("jobs", "run", "no-such-job", env=_env(ALFRED_DATA_DIR=str(tmp_path)))
    assert result.returncode == 2
    assert "unknown job 'no-such-job'" in result.stderr
    assert "jobs:" in result.stderr


def test_invalid_configuration_is_reported_by_name(tmp_path: Path) -> None:
    result = _cli("migrate", env=_env(ENVIRONMENT="production", ALFRED_DATA_DIR=str(tmp_path)))
    assert result.returncode != 0
    assert "JWT_SECRET" in result.stderr and "AUTOMATION_SECRET_ENCRYPTION_KEY" in result.stderr
    assert "Traceback" not in result.stderr


def test_help_lists_every_command() -> None:
    result = _cli("--help", env=_env())
    for command in ("serve", "worker", "migrate", "seed", "jobs"):
        assert command in result.stdout


def test_logs_are_json_lines(fresh_db: str, tmp_path: Path) -> None:
    result = _cli(
        "migrate", env=_env(DATABASE_URL=fresh_db, ALFRED_DATA_DIR=str(tmp_path), LOG_LEVEL="INFO")
    )
    lines = [json.loads(line) for line in result.stderr.splitlines() if line.startswith("{")]
    assert lines, result.stderr
    assert all({"ts", "level", "logger", "message"} <= set(line) for line in lines)
