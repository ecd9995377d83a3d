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


@nox.session
@nox.parametrize("member", list(MEMBERS))
def lowest(session: nox.Session, member: str) -> None:
    """Run one member's tests against the lowest versions its dependency ranges allow."""
    path = MEMBERS[member]
    # Our own packages come from the workspace (editable); everything else at its floor.
    local = [f"--editable={p}" for p in MEMBERS.values() if p != path and member_needs(path, p)]
    session.run_install(
        "uv",
        "pip",
        "install",
        "--resolution=lowest-direct",
        f"--editable={path}",
        *local,
        f"--group={path}/pyproject.toml:test",
        env={"VIRTUAL_ENV": session.virtualenv.location},
    )
    session.run("pytest", f"{path}/tests", *session.posargs)


def member_needs(path: str, other: str) -> bool:
    """Whether the member at `path` depends on the workspace member at `other`."""
    with open(f"{other}/pyproject.toml", encoding="utf-8") as f:
        name = next(line.split('"')[1] for line in f if line.startswith("name = "))
    with open(f"{path}/pyproject.toml", encoding="utf-8") as f:
        return f'"{name}' in f.read()


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


@nox.session(name="api-diff")
@nox.parametrize("member", list(MEMBERS))
def api_diff(session: nox.Session, member: str) -> None:
    """Compare one member's public API with its last release tag (griffe); breaks fail."""
    tags = session.run(
        "git", "tag", "--list", f"{member}/v*", "--sort=-v:refname", silent=True, external=True
    )
    last = str(tags or "").split()
    if not last:
        session.skip(f"{member} has no release tag yet ({member}/vX.Y.Z): nothing to compare")
    session.install("griffe")
    package = member.replace("-", "_")
    session.run(
        "griffe", "check", package, "--search", f"{MEMBERS[member]}/src", "--against", last[0]
    )


@nox.session
def audit(session: nox.Session) -> None:
    """Check every locked third-party dependency against known vulnerabilities (pip-audit)."""
    session.install("pip-audit")
    requirements = os.path.join(session.create_tmp(), "requirements.txt")
    session.run(
        "uv",
        "export",
        "--locked",
        "--all-packages",
        "--all-groups",
        "--no-emit-workspace",
        "--no-hashes",
        "--format=requirements-txt",
        f"--output-file={requirements}",
        external=True,
    )
    # --strict: a package the vulnerability service cannot look up fails the audit, rather
    # than passing unchecked (it needs a route to pypi.org).
    session.run("pip-audit", "--strict", "--disable-pip", "--no-deps", "-r", requirements)


@nox.session
def docs(session: nox.Session) -> None:
    """Build the documentation site strictly (broken links and nav errors fail)."""
    session.install("mkdocs", "pymdown-extensions")
    session.run(
        "mkdocs", "build", "--strict", "--site-dir", os.path.join(session.create_tmp(), "site")
    )
