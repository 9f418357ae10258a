# Tracking System: `make run` installs everything and starts the whole system;
# `make test` installs everything and runs every test suite (CI runs it through .ci/run).

PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
NPM_CI := npm ci --no-audit --no-fund --loglevel=error
CHROMIUM ?= /usr/bin/chromium

.PHONY: help install python-deps node-deps build run test lint typecheck pytest js-lint js-test \
        browser-deps bench-deps bench clean

help:
	@echo "make run    install everything, build the dashboard and SDK, start the system"
	@echo "make test   install everything, then ruff, mypy, Biome, pytest, vitest and browser tests"
	@echo "make bench  run the benchmarks (BENCH_FLAGS=--short for a quick run)"

install: python-deps node-deps

python-deps: $(BIN)/.installed
$(BIN)/.installed: requirements.lock pyproject.toml
	@echo "==> Python dependencies (from requirements.lock)"
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements.lock
	$(BIN)/pip install --quiet --disable-pip-version-check --no-deps -e .
	touch $@

node-deps: dashboard/node_modules/.installed sdk/node_modules/.installed
dashboard/node_modules/.installed: dashboard/package-lock.json
	@echo "==> dashboard npm dependencies (from package-lock.json)"
	cd dashboard && $(NPM_CI)
	touch $@
sdk/node_modules/.installed: sdk/package-lock.json
	@echo "==> SDK npm dependencies (from package-lock.json)"
	cd sdk && $(NPM_CI)
	touch $@

build: node-deps
	@echo "==> building the dashboard and the SDK"
	cd dashboard && npm run --silent build
	cd sdk && npm run --silent build

run: install build
	$(BIN)/tracking-system up

# Browser tests drive Debian's Chromium; nothing downloads a browser of its own.
browser-deps:
	@test -x $(CHROMIUM) || { echo "==> installing Debian's chromium"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }
	@test -x $(CHROMIUM) || { echo "chromium is missing at $(CHROMIUM)"; exit 1; }

lint: python-deps
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: python-deps
	$(BIN)/mypy

pytest: install build browser-deps
	$(BIN)/pytest

# Biome: lint + format check of the dashboard and the SDK (writes nothing; `npm run format` fixes).
js-lint: node-deps
	cd dashboard && npm run --silent lint
	cd sdk && npm run --silent lint

js-test: node-deps
	cd dashboard && npm test --silent
	cd sdk && npm test --silent

test: install build browser-deps lint typecheck js-lint js-test pytest

bench-deps:
	@command -v wrk >/dev/null || { echo "==> installing Debian's wrk"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; }

BENCH_FLAGS ?=
bench: install build bench-deps
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements-bench.txt
	$(BIN)/python -m benchmarks $(BENCH_FLAGS)

clean:
	rm -rf $(VENV) dashboard/node_modules dashboard/dist sdk/node_modules sdk/dist test-artifacts
