# `make demo` and `make test` work on a fresh machine with Python 3.11 and git.
SHELL := /bin/bash
UV := $(shell command -v uv 2>/dev/null || echo python3 -m uv)
VENV_BIN := $(CURDIR)/.venv/bin
export DAGSTER_HOME ?= $(CURDIR)/.dagster_home
export INVENTORY_DUCKDB_PATH ?= $(CURDIR)/data/warehouse.duckdb
export DAGSTER_DISABLE_TELEMETRY := 1
export DBT_SEND_ANONYMOUS_USAGE_STATS := false
DEMO_SCALE ?= small
DOCS_DIR ?= $(CURDIR)/data/dbt_docs
DEMO_SEED ?= 42
# Test files run on two workers (pytest-xdist); TEST_WORKERS=0 runs them in this process, one at a time.
TEST_WORKERS ?= 2

.PHONY: setup manifest demo demo-stream dev docs lint test bench redshift-ddl clean

setup:
	@command -v uv >/dev/null 2>&1 || python3 -m uv --version >/dev/null 2>&1 || python3 -m pip install --quiet uv
	$(UV) sync --frozen

# The dbt manifest is built here, never parsed when the code location loads. The target is the one
# Dagster passes, so that dbt's partial parse (target/partial_parse.msgpack) is reused by its runs.
manifest: setup
	cd dbt_project && $(VENV_BIN)/dbt parse --profiles-dir . --target $(if $(filter prod,$(INVENTORY_ENV)),prod,local) --quiet

demo: manifest
	$(VENV_BIN)/inventory-platform simulate --scale $(DEMO_SCALE) --seed $(DEMO_SEED)
	$(VENV_BIN)/inventory-platform materialize
	$(VENV_BIN)/inventory-platform report yoy
	@echo ""
	@echo "Gold for your SQL client: $(basename $(INVENTORY_DUCKDB_PATH))_published.duckdb  (open it read-only: README, Reading Gold from your own tool)"
	@echo "Dashboard and Dagster UI: make dev, then open http://127.0.0.1:3001 (dashboard) and http://127.0.0.1:3000 (Dagster UI)"

# CDC on top of a demo warehouse: local Kinesis, 5,000 changes with faults, handler and loader, then the
# micro-batch that merges them into Silver and Gold (what cdc_bronze_sensor starts under `make dev`).
demo-stream: manifest
	$(VENV_BIN)/inventory-platform stream up
	$(VENV_BIN)/inventory-platform stream produce --events 5000 --rate 1000 --duplicates 0.05 --malformed 0.01 \
		--oversized 0.005 --out-of-order 0.2 --late 0.02
	POWERTOOLS_LOG_LEVEL=WARNING $(VENV_BIN)/inventory-platform stream run --until-idle
	$(VENV_BIN)/inventory-platform stream status
	$(VENV_BIN)/inventory-platform materialize --job cdc_microbatch
	$(VENV_BIN)/inventory-platform stream down

dev: manifest
	PATH="$(VENV_BIN):$$PATH" $(VENV_BIN)/inventory-platform dev --dagster-port 3000

# dbt docs (model and column descriptions, tests, lineage, and the catalog read from the local warehouse)
# as one self-contained page: $(DOCS_DIR)/static_index.html opens straight from disk, no server needed.
docs: setup
	@test -f "$(INVENTORY_DUCKDB_PATH)" || { echo "no warehouse at $(INVENTORY_DUCKDB_PATH): run make demo first" >&2; exit 1; }
	cd dbt_project && $(VENV_BIN)/dbt docs generate --static --quiet --profiles-dir . --target local --target-path "$(DOCS_DIR)"
	@echo "dbt docs: $(DOCS_DIR)/static_index.html"

# ruff for the Python, then sqlfluff for the dbt SQL as dbt compiles it (config in pyproject.toml). dbt compiles
# against a throwaway empty warehouse with its own target dir: the first-build branches, no wait on the real
# warehouse's lock, and the project's target/ (Dagster's manifest, partial parse) left alone.
lint: setup
	$(VENV_BIN)/ruff check .
	@lint_dir=$$(mktemp -d) && trap 'rm -rf "$$lint_dir"' EXIT && \
		DBT_TARGET_PATH=$$lint_dir/target DBT_LOG_PATH=$$lint_dir/logs INVENTORY_DUCKDB_PATH=$$lint_dir/lint.duckdb \
		$(VENV_BIN)/sqlfluff lint --disable-progress-bar dbt_project/models dbt_project/tests

test: manifest
	$(VENV_BIN)/pytest -n $(TEST_WORKERS) --dist loadfile

# Benchmarks (medians, machine described) -> docs/performance.md; BENCH_ARGS=--quick for a smoke run.
bench: manifest
	$(VENV_BIN)/inventory-platform bench $(BENCH_ARGS)

# Regenerate the reviewed Redshift DDL snapshot (rendered offline, no cluster needed); review the diff.
redshift-ddl: manifest
	$(VENV_BIN)/python -m inventory_platform.redshift.offline_ddl --out docs/redshift_ddl.sql

clean:
	rm -rf data dbt_project/target dbt_project/logs
	find .dagster_home -mindepth 1 ! -name dagster.yaml -exec rm -rf {} +
