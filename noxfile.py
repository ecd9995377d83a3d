"""Every check CI runs: `nox -l` lists them; `make test` runs lint, imports, typecheck, tests."""

from __future__ import annotations

import os

import nox

nox.options.default_venv_backend = "uv"
nox.options.reuse_venv = "yes"
nox.options.sessions = ["lint", "imports", "typecheck", "tests", "coverage"]

MEMBERS = {
    "alfred-crm-core": "packages/alfred-crm-core",
    "alfred-automation": "packages/alfred-automation",
    "alfred-ai": "packages/alfred-ai",
    "alfred-reference-api": "apps/reference-api",
}
PYTHONS = ["3.11", "3.12", "3.13"]


def sync(session: nox.Session, *args: str) -> None:
    """Install the locked dependencies named by `args` into the session's venv."""
    env = {"UV_PROJECT_ENVIRONMENT": session.virtualenv.location}
    session.run_install("uv", "sync", "--locked", "--quiet", *args, env=env)


@nox.session(python=False)
def lint(session: nox.Session) -> None:
    """Check style and formatting with ruff (from the workspace's dev group)."""
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")


@nox.session
def imports(session: nox.Session) -> None:
    """Check the import contracts between packages (import-linter)."""
    sync(session, "--all-packages", "--group", "dev")
    session.run("lint-imports")


@nox.session
def typecheck(session: nox.Session) -> None:
    """Run mypy strict over every member's src and tests."""
    sync(session, "--all-packages", "--all-groups")
    for path in session.posargs or MEMBERS.values():
        session.run("mypy", f"{path}/src", f"{path}/tests")


@nox.session(python=PYTHONS)
@nox.parametrize("member", list(MEMBERS))
def tests(session: nox.Session, member: str) -> None:
    """Run one member's tests with only its own locked dependencies."""
    sync(session, "--package", member, "--group", "test")
    session.run(
        "coverage",
        "run",
        "-m",
        "pytest",
        f"{MEMBERS[member]}/tests",
        *session.posargs,
        env={"COVERAGE_FILE": os.path.join(os.getcwd(), ".coverage")},
    )


@nox.session(python=False)
def coverage(session: nox.Session) -> None:
    """Combine the tests sessions' data and print branch coverage per package."""
    session.run("coverage", "combine", success_codes=[0, 1])
    session.run("coverage", "report")


@nox.session
@nox.parametrize("member", list(MEMBERS))
def build(session: nox.Session, member: str) -> None:
    """Build one member's sdist and wheel the way it is published (no workspace sources)."""
    session.run(
        "uv", "build", "--package", member, "--no-sources", "--out-dir", "dist", external=True
    )
