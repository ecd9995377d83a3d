# Every target bootstraps its own environment: .venv with uv in it, then `uv sync --locked`.
SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV := $(CURDIR)/.venv
export PATH := $(VENV)/bin:$(PATH)
export UV_PYTHON_DOWNLOADS := never
UV = $(shell command -v uv 2>/dev/null || echo $(VENV)/bin/uv)
STAMP := $(VENV)/.synced
APP := apps/reference-api

.PHONY: help bootstrap run dev migrate seed test lint typecheck bench job clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

$(STAMP): uv.lock pyproject.toml packages/*/pyproject.toml $(APP)/pyproject.toml
	@if ! command -v uv >/dev/null 2>&1; then \
		echo "bootstrap: installing uv into $(VENV)"; \
		python3 -m venv $(VENV) && $(VENV)/bin/pip install --quiet --disable-pip-version-check uv; \
	fi
	$(UV) sync --locked --all-packages --all-groups
	@touch $@

bootstrap: $(STAMP) ## create .venv and install the locked workspace

run: $(STAMP) ## serve the API (embedded PostgreSQL unless DATABASE_URL is set)
	alfred-api serve --with-worker

dev: ## docker-compose up (API, worker, PostgreSQL)
	docker-compose up --build

migrate: $(STAMP) ## apply every migration branch
	alfred-api migrate

seed: $(STAMP) ## load the demo data (idempotent)
	alfred-api seed

job: $(STAMP) ## run one background job now: make job NAME=overdue-tasks
	@test -n "$(NAME)" || { echo "usage: make job NAME=<job>"; exit 2; }
	alfred-api jobs run "$(NAME)"

test: $(STAMP) ## lint, import contracts, typecheck, then every package's tests
	rm -f .coverage .coverage.*
	nox -s lint
	nox -s imports typecheck
	nox -s tests -p 3.11
	nox -s coverage

lint: $(STAMP) ## ruff check + format check, and the import contracts
	nox -s lint
	nox -s imports

typecheck: $(STAMP) ## mypy strict over src and tests
	nox -s typecheck

bench: $(STAMP) ## print the speed figures and write bench-results.json
	python bench/run.py

clean: ## remove the environment and local data (keeps nothing)
	rm -rf $(VENV) .nox .alfred .mypy_cache .ruff_cache .pytest_cache .coverage .coverage.*
