"""Test support for the app's tests (and for the tests later issues add).

- `sign_up` registers an account over HTTP and returns its tokens and ids.
- `count_rows` counts rows per table, to prove a refused request wrote nothing.
- `serve` / `stop` run `alfred-api serve` as a real process on a free port, as a user runs it.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import text

from alfred_crm_core import Database

__all__ = [
    "Account",
    "Server",
    "child_env",
    "count_rows",
    "free_port",
    "serve",
    "sign_up",
    "stop",
]


@dataclass(frozen=True)
class Account:
    """A registered user, with the token pair registration returned."""

    email: str
    password: str
    user_id: uuid.UUID
    tenant_id: uuid.UUID
    access_token: str
    refresh_token: str

    @property
    def headers(self) -> dict[str, str]:
        """`Authorization: Bearer <access token>`."""
        return {"Authorization": f"Bearer {self.access_token}"}


async def sign_up(
    client: httpx.AsyncClient,
    *,
    email: str | None = None,
    password: str = "secret",  # noqa: S107  # the README's sample password, for tests
    name: str = "Ada",
) -> Account:
    """Register through `POST /api/v1/auth/register` (a fresh e-mail unless given)."""
    email = email or f"user-{uuid.uuid4().hex[:12]}@example.com"
    response = await client.post(
        "/api/v1/auth/register", json={"name": name, "email": email, "password": password}
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return Account(
        email=email,
        password=password,
        user_id=uuid.UUID(body["user"]["id"]),
        tenant_id=uuid.UUID(body["tenant"]["id"]),
        access_token=body["access_token"],
        refresh_token=body["refresh_token"],
    )


async def count_rows(db: Database, *tables: str) -> dict[str, int]:
    """How many rows each table holds in every tenant (read as the owner role, across tenants).

    Args:
        db: The test database.
        *tables: Table names, written by the test itself (never user input).
    """
    counts: dict[str, int] = {}
    async with db.system_transaction() as session:
        for table in tables:
            result = await session.execute(text(f'SELECT count(*) FROM "{table}"'))  # noqa: S608
            counts[table] = int(result.scalar_one())
    return counts


def free_port() -> int:
    """A TCP port nothing listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def child_env(**extra: str) -> dict[str, str]:
    """This process's environment without database URLs, plus `extra`."""
    env = {
        k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "ALFRED_TEST_DATABASE_URL")
    }
    env.update(extra)
    return env


@dataclass
class Server:
    """A running `alfred-api serve` process."""

    process: subprocess.Popen[str]
    url: str
    log: Path
    started_in: float
    ready: dict[str, Any]


def serve(
    env: dict[str, str],
    cwd: Path,
    *args: str,
    probe: str = "/api/v1/health/ready",
    timeout: float = 60,
) -> Server:
    """Start `alfred-api serve` on a free port and wait until `probe` answers 200.

    Args:
        env: The child's environment (see `child_env`).
        cwd: Working directory; the server's output goes to a log file there.
        *args: More `serve` arguments, e.g. `--no-migrate`.
        probe: The path polled until it answers 200.
        timeout: Seconds to wait.
    """
    port = free_port()
    started = time.monotonic()
    log = cwd / f"serve-{port}.log"
    with log.open("w") as out:
        # Our own interpreter and module, with fixed arguments: nothing comes from a user.
        process = subprocess.Popen(  # noqa: S603
            [sys.executable, "-m", "alfred_reference_api.cli", "serve", "--port", str(port), *args],
            env=env,
            cwd=cwd,
            stdout=out,
            stderr=subprocess.STDOUT,
            text=True,
        )
    url = f"http://127.0.0.1:{port}"
    while time.monotonic() < started + timeout:
        if process.poll() is not None:
            raise AssertionError(f"serve exited: {log.read_text()}")
        try:
            answer = httpx.get(url + probe, timeout=1)
            if answer.status_code == 200:
                return Server(process, url, log, time.monotonic() - started, answer.json())
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    process.kill()
    raise AssertionError(f"not healthy within {timeout} s: {log.read_text()}")


def stop(server: Server) -> None:
    """Stop the server as Ctrl-C would, killing it if it lingers."""
    server.process.send_signal(signal.SIGINT)
    try:
        server.process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        server.process.kill()
        server.process.wait()
