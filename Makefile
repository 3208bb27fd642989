# Leadflow — set-up, demo and tests. Everything installs into .venv and node_modules.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PY_STAMP := $(VENV)/.installed
JS_STAMP := node_modules/.installed
HOST ?= 127.0.0.1
PORT ?= 8000
PYTEST_WORKERS ?= 2

.PHONY: setup demo serve test test-sqlite test-postgresql lint bench install clean

$(PY_STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

$(JS_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

install: $(PY_STAMP) $(JS_STAMP)

## setup: install into .venv and migrate the database (idempotent, no server)
setup: install
	mkdir -p var
	$(BIN)/leadflow migrate --noinput
	$(BIN)/leadflow collectstatic --noinput --verbosity 0

## demo: setup + demo data (2,000 leads, only into an empty database) + the periodic tasks
## (SLA check, routing statistics, weekly retrain) + serve (with a task worker) on http://$(HOST):$(PORT)
demo: setup
	$(BIN)/leadflow seed_demo --if-empty
	$(BIN)/leadflow routing schedule
	$(BIN)/leadflow score schedule
	$(BIN)/leadflow serve --host $(HOST) --port $(PORT)

serve: setup
	$(BIN)/leadflow serve --host $(HOST) --port $(PORT)

## lint: ruff, formatting, mypy and migration drift
lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy leadflow
	LEADFLOW_VAR_DIR=$$(mktemp -d) $(BIN)/leadflow makemigrations --check --dry-run

## test: lint, then the suite on SQLite, then on PostgreSQL when LEADFLOW_TEST_DATABASE_URL is set
test: lint test-sqlite test-postgresql

test-sqlite: install
	mkdir -p var
	$(BIN)/pytest -n $(PYTEST_WORKERS) --dist loadgroup

test-postgresql: install
	@if [ -n "$$LEADFLOW_TEST_DATABASE_URL" ]; then \
		echo "== PostgreSQL: $$LEADFLOW_TEST_DATABASE_URL"; \
		LEADFLOW_DATABASE_URL="$$LEADFLOW_TEST_DATABASE_URL" $(BIN)/pytest -n $(PYTEST_WORKERS) --dist loadgroup; \
	else \
		echo "LEADFLOW_TEST_DATABASE_URL is not set: skipping the PostgreSQL run."; \
	fi

## bench: the benchmarks described in docs/benchmarks.md
bench: setup
	$(BIN)/leadflow bench list

clean:
	rm -rf $(VENV) node_modules var
