# Everything sets itself up: a fresh machine needs only python3 and make.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
PIP    := $(BIN)/python -m pip --disable-pip-version-check
DEMO_OUT ?= demo-out
# pytest-xdist workers for both test tiers: one per core ("auto"); `make test PYTEST_WORKERS=0` runs in one
# process.  --dist loadscope keeps a module's tests (and its module-scoped fixtures) on one worker.
PYTEST_WORKERS ?= auto
PYTEST := $(BIN)/python -m pytest -q -n $(PYTEST_WORKERS) --dist loadscope

.PHONY: demo test bench clean

$(STAMP): pyproject.toml
	@echo "setting up $(VENV) (first run only, about a minute; log: $(VENV)/install.log)"
	$(PYTHON) -m venv $(VENV)
	@( $(PIP) install --upgrade pip && $(PIP) install -e '.[test]' ) > $(VENV)/install.log 2>&1 \
		|| { tail -40 $(VENV)/install.log; echo "install failed: see $(VENV)/install.log"; exit 1; }
	@touch $(STAMP)

demo: $(STAMP)
	$(BIN)/ladder demo --out $(DEMO_OUT) --serve

test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports
	@echo "== fast tier: unit and integration tests, offline (pytest -m 'not slow')"
	$(PYTEST) -m "not slow" --durations=10
	@echo "== slow tier: end to end (syncs through the sandbox, flows, demo, wheel, faults, crash safety)"
	$(PYTEST) -m slow --durations=10

bench: $(STAMP)
	$(BIN)/python -m bench
	$(BIN)/python -m bench.bench_personas --engineers 40 --months 3 --seeds 7,11,12
	$(BIN)/python -m bench.bench_web
	@echo "== foreign client: Perceval (installed on first use into .venv-perceval) against the strict sandbox"
	$(BIN)/python -m bench.bench_foreign_client

clean:
	rm -rf $(VENV) $(DEMO_OUT) .pytest_cache .venv-perceval
