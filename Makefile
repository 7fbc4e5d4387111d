# Every target creates .venv with python3 -m venv and installs the project into it when missing,
# so a fresh clone needs nothing else.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test test-fast lint bench bench-quick soak clean lock audit

# Dependencies come from the lock file (exact versions and hashes); the project itself, and beside
# it the sandboxes (sandboxes/: fake platforms for the demo, tests and benchmarks, not part of
# the product's wheel), are then installed editable without resolving anything. `make lock`
# regenerates both lock files after a change of pyproject.toml's dependencies; `make audit`
# checks them for known vulnerabilities.
$(STAMP): pyproject.toml sandboxes/pyproject.toml requirements-dev.lock
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q --require-hashes -r requirements-dev.lock
	$(BIN)/python -m pip install -q --no-deps -e .
	$(BIN)/python -m pip install -q --no-deps -e sandboxes
	touch $(STAMP)

LOCK_FLAGS := --generate-hashes --strip-extras --allow-unsafe --no-emit-index-url --no-emit-find-links

lock: $(STAMP)
	$(BIN)/python -m pip install -q pip-tools
	$(BIN)/pip-compile -q $(LOCK_FLAGS) --extra postgres -o requirements.lock pyproject.toml
	$(BIN)/pip-compile -q $(LOCK_FLAGS) --extra postgres --extra test -o requirements-dev.lock pyproject.toml

audit: $(STAMP)
	$(BIN)/python -m pip install -q pip-audit
	$(BIN)/pip-audit --disable-pip --no-deps -r requirements.lock -r requirements-dev.lock

demo: $(STAMP)
	$(BIN)/dunning demo --out demo-output

test: $(STAMP)
	$(BIN)/python -m pytest -q -n 2 tests

# the tests that need no sandbox, database, subprocess or browser (tests/README.md): about half
# the suite, in well under a minute; for the edit-test loop, not instead of `make test`
test-fast: $(STAMP)
	$(BIN)/python -m pytest -q -n 2 tests/unit tests/adapters

lint: $(STAMP)
	$(BIN)/ruff check connector adapters sandboxes/src tests bench
	$(BIN)/ruff format --check connector adapters sandboxes/src tests bench
	$(BIN)/mypy
	$(BIN)/lint-imports --no-logo

# every benchmark; the worker load with 100, 1,000 and 5,000 clients takes about 35 minutes, the
# console's 1,000 clients × 50,000 invoices about 13 (a 10 GB SQLite file in the temp folder).
# `make bench first-run planner` runs only the benchmarks named (bench/__main__.py lists them)
BENCH_NAMES := $(filter-out bench bench-quick,$(MAKECMDGOALS))
bench: $(STAMP)
	$(BIN)/python -m bench $(BENCH_NAMES)

ifneq ($(filter bench,$(MAKECMDGOALS)),)
$(BENCH_NAMES):
	@:
endif

# the same without the 5,000-client worker rounds, the console's clients with 5,000 invoices
bench-quick: $(STAMP)
	BENCH_WORKER_SIZES=100,1000 BENCH_CONSOLE_INVOICES=5000 $(BIN)/python -m bench

# the crash and fault campaign (issue #15): 1,000 randomised trials on the Zoho and Exact
# sandboxes; prints duplicates, lost refresh tokens, reminders to paid invoices, stuck rows
soak: $(STAMP)
	$(BIN)/python -m bench.soak --trials $${SOAK_TRIALS:-1000}

clean:
	rm -rf $(VENV) demo-output .pytest_cache .mypy_cache
