import logging
import os
import subprocess
import sys
import tempfile
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from pydantic import SecretStr

from alfred_crm_core import Database
from alfred_crm_core.testing import anyio_backend as anyio_backend  # wins over anyio's own
from alfred_reference_api import Settings, create_app
from alfred_reference_api.bootstrap import MIGRATION_LOCATIONS
from alfred_reference_api.cli import main
from alfred_reference_api.testing import Account, child_env, sign_up

TEST_KEY = "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY="  # base64 of 32 ASCII bytes


@pytest.fixture(scope="session")
def migration_locations() -> list[str]:
    return list(MIGRATION_LOCATIONS)


@pytest.fixture(scope="session", autouse=True)
def child_bytecode_cache() -> Iterator[None]:
    """Give the processes tests start (`child_env` copies this environment) a bytecode cache.

    This machine sets PYTHONDONTWRITEBYTECODE, so every `alfred-api` child would compile
    SQLAlchemy, pydantic and FastAPI again (over a second each); a private cache outside the
    checkout keeps that to the first run. This process is unaffected: it read both at startup.
    """
    with pytest.MonkeyPatch.context() as mp:
        mp.delenv("PYTHONDONTWRITEBYTECODE", raising=False)
        mp.setenv(
            "PYTHONPYCACHEPREFIX",
            str(Path(tempfile.gettempdir()) / f"alfred-pycache-{os.getuid()}"),
        )
        yield


@pytest.fixture
def settings(database_url: str) -> Settings:
    return Settings(
        _env_file=None,  # a developer's .env must not leak into the tests
        database_url=database_url,
        jwt_secret=SecretStr("test-jwt-secret-0123456789abcdef0123456789"),
        automation_secret_encryption_key=SecretStr(TEST_KEY),
        automation_allow_private_urls=True,
        # argon2id at its cheapest keeps the suite fast; production keeps the defaults.
        password_hash_time_cost=1,
        password_hash_memory_kib=1024,
    )


@pytest.fixture
def app(settings: Settings, db: Database) -> FastAPI:
    return create_app(settings, database=db)


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as c:
        yield c


@pytest.fixture
def signup(client: httpx.AsyncClient) -> Callable[..., Awaitable[Account]]:
    """Register a fresh account through the API: `await signup()` or `await signup(email=...)`."""

    async def make(**kwargs: str) -> Account:
        return await sign_up(client, **kwargs)

    return make


@contextmanager
def _logging_restored() -> Iterator[None]:
    """Put back every logger's handlers, level and switches (the CLI configures logging)."""
    loggers = [logging.getLogger(), *logging.Logger.manager.loggerDict.values()]
    saved = [
        (lg, lg.handlers[:], lg.level, lg.propagate, lg.disabled)
        for lg in loggers
        if isinstance(lg, logging.Logger)
    ]
    try:
        yield
    finally:
        for lg, handlers, level, propagate, disabled in saved:
            lg.handlers[:] = handlers
            lg.setLevel(level)
            lg.propagate, lg.disabled = propagate, disabled


@pytest.fixture
def run_cli(capsys: pytest.CaptureFixture[str]) -> Callable[..., subprocess.CompletedProcess[str]]:
    """Run `alfred-api ARGS` in this process, as the console script would, with `env` added.

    `run_cli("migrate", env={...})` sees the environment a child would get from `child_env`
    and answers what `subprocess.run` would: the exit status (a `SystemExit` message goes to
    stderr, status 1) and the output. The environment and logging are restored afterwards.
    """

    def run(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
        capsys.readouterr()
        saved = dict(os.environ)
        os.environ.clear()
        os.environ.update(child_env(**env))
        try:
            with _logging_restored():
                code = main(list(args))
        except SystemExit as exc:
            if isinstance(exc.code, str):
                print(exc.code, file=sys.stderr)
            code = exc.code if isinstance(exc.code, int) else int(exc.code is not None)
        finally:
            os.environ.clear()
            os.environ.update(saved)
        out, err = capsys.readouterr()
        return subprocess.CompletedProcess(["alfred-api", *args], code, out, err)

    return run
