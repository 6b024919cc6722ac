# raigov — the two commands: `make demo` and `make test`. Both build on `make setup`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
UV_VERSION := 0.13.9
STAMP := $(VENV)/.raigov-setup
export RAIGOV_DATA_DIR ?= $(CURDIR)/var
# `make demo PORT=8080 HOST=0.0.0.0 RAIGOV_DATA_DIR=/tmp/raigov-demo`: where the demo listens and keeps its data
PORT ?= 8000
HOST ?= 127.0.0.1

.PHONY: setup demo test test-fast lint vendor bench clean lock help

help:
	@echo "make setup   create .venv with the locked dependencies and the raigov command"
	@echo "make demo    set up, migrate the SQLite database, load the demo agency, serve http://HOST:PORT (127.0.0.1:8000)"
	@echo "make test    set up and run the whole test suite (SQLite, PostgreSQL, headless Chromium)"
	@echo "make vendor  re-vendor the front-end assets from the npm registry (pinned, checksummed)"
	@echo "make lock    re-resolve requirements.lock from pyproject.toml"

setup: $(STAMP)

$(STAMP): requirements.lock pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "raigov needs Python 3.11 or newer")'
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@$(BIN)/python -m pip install --quiet --disable-pip-version-check "uv==$(UV_VERSION)"
	$(BIN)/uv pip sync --quiet --python $(BIN)/python --require-hashes requirements.lock
	$(BIN)/uv pip install --quiet --python $(BIN)/python --no-deps -e .
	@touch $(STAMP)
	@echo "setup: $(BIN)/raigov is ready"

demo: setup
	$(BIN)/raigov demo run --host $(HOST) --port $(PORT)

# Two passes: everything but the timing-sensitive tests on both cores (pytest-xdist), then those alone.
# pytest's exit 5 ("no tests collected") is not a failure of the second pass when PYTEST_ARGS narrows the run.
TEST_WORKERS ?= 2
test: setup
	$(BIN)/python -m pytest -q -n $(TEST_WORKERS) --durations=20 -m "not serial" $(PYTEST_ARGS)
	$(BIN)/python -m pytest -q --durations=10 -m serial $(PYTEST_ARGS) || [ $$? -eq 5 ]

test-fast: setup
	$(BIN)/python -m pytest -q -n $(TEST_WORKERS) -m "not slow and not e2e and not serial" $(PYTEST_ARGS)

lint: setup
	$(BIN)/ruff check src tests benchmarks

vendor:
	bash scripts/vendor.sh

lock:
	$(BIN)/uv pip compile pyproject.toml --extra dev --python-version 3.11 --generate-hashes -o requirements.lock

bench: setup
	$(BIN)/python benchmarks/audit_bench.py

clean:
	rm -rf $(VENV) var .pytest_cache build src/*.egg-info
