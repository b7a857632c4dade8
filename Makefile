# pmo-hub: every target creates .venv and installs the pinned dependencies on first use.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# Debian's headless browser renders the report pages in tests (tests/reporting).
CHROMIUM := /usr/bin/chromium
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: install demo test test-all lint fix dev benchmark clean

$(STAMP): pyproject.toml constraints.txt dbt_project/packages.yml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade "pip>=24"
	$(BIN)/python -m pip install --quiet -c constraints.txt -e ".[dev]"
	cd dbt_project && DO_NOT_TRACK=1 DBT_PROFILES_DIR=. ../$(BIN)/dbt deps --quiet
	touch $(STAMP)

install: $(STAMP)

$(CHROMIUM):
	DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq chromium

## The main job end to end on the embedded default (DuckDB file + bundled sandbox sources).
demo: $(STAMP)
	$(BIN)/pmo-hub demo

## Lint (ruff, sqlfluff) and the default test tier.
test: $(STAMP) $(CHROMIUM)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/sqlfluff lint dbt_project/models --disable-progress-bar --nocolor --processes 0
	$(BIN)/python -m pytest -n 2 --dist loadgroup -q --durations=25; rc=$$?; \
	  if [ $$rc -eq 5 ]; then echo "pytest collected no tests: failing"; exit 1; fi; exit $$rc

## Everything, including tests marked slow.
test-all: $(STAMP) $(CHROMIUM)
	$(BIN)/python -m pytest -n 2 --dist loadgroup -q -m "not live"

lint: $(STAMP)
	$(BIN)/ruff check . && $(BIN)/ruff format --check . && $(BIN)/sqlfluff lint dbt_project/models

fix: $(STAMP)
	$(BIN)/ruff check --fix . ; $(BIN)/ruff format . ; $(BIN)/sqlfluff fix dbt_project/models

dev: $(STAMP)
	$(BIN)/pmo-hub ui

# make benchmark TIER=M ONLY="end_to_end jira": a subset (runs of one tier on one day merge
# into one benchmarks/results/<date>-<tier>.json|md).
TIER ?= S
benchmark: $(STAMP)
	$(BIN)/python -m benchmarks --tier $(TIER) $(foreach b,$(ONLY),--only $(b))

clean:
	rm -rf $(VENV) warehouse reports dbt_project/target dbt_project/dbt_packages
