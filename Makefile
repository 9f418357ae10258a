# Tracking System: `make run` installs everything and starts the whole system;
# `make test` installs everything and runs every test suite (CI runs it through .ci/run).

PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
NPM_CI := npm ci --no-audit --no-fund --loglevel=error
CHROMIUM ?= /usr/bin/chromium

.PHONY: help install python-deps node-deps build run test lint typecheck pytest js-lint js-test \
        browser-deps bench-deps bench clean types types-check tracker-deps

help:
	@echo "make run    install everything, build the dashboard and SDK, start the system"
	@echo "make test   install everything, then ruff, mypy, Biome, pytest, vitest and browser tests"
	@echo "make bench  run the benchmarks (BENCH_FLAGS=--short for a quick run)"
	@echo "make types  regenerate the dashboard's API types from the public OpenAPI document"

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

# Other trackers, unmodified, for the drop-in route tests (tests/browser/test_dropin_trackers.py):
# npm packages from their lock file, and Umami's browser tracker from the umami@2.10.0 tarball
# alone (`npm pack`: installing it would pull Umami's whole application), checked by its sha1.
TRACKERS := tests/browser/trackers
UMAMI_TGZ := $(TRACKERS)/.cache/umami-2.10.0.tgz
UMAMI_SHA1 := 7aebe4918d6776d198ebe33cceb2b2227588be1f
tracker-deps: $(TRACKERS)/node_modules/.installed $(UMAMI_TGZ)
$(TRACKERS)/node_modules/.installed: $(TRACKERS)/package-lock.json
	@echo "==> tracker test npm dependencies (from package-lock.json)"
	cd $(TRACKERS) && $(NPM_CI)
	touch $@
$(UMAMI_TGZ):
	@echo "==> Umami's tracker (npm pack umami@2.10.0)"
	mkdir -p $(@D)
	cd $(@D) && npm pack umami@2.10.0 --silent >/dev/null
	echo "$(UMAMI_SHA1)  $@" | sha1sum -c --quiet
pytest: tracker-deps

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

# Then the suites marked `on_cluster` (ingestion, stats consistency, the kill tests) once more,
# against a local 3-shard Redis Cluster with every process on the cluster client.
pytest: install build browser-deps
	$(BIN)/pytest
	@echo "==> the on_cluster suites again, on a local 3-shard Redis Cluster"
	TEST_REDIS_SHARDS=3 $(BIN)/pytest -q

# Biome: lint + format check of the dashboard and the SDK (writes nothing; `npm run format` fixes).
js-lint: node-deps
	cd dashboard && npm run --silent lint
	cd sdk && npm run --silent lint

js-test: node-deps
	cd dashboard && npm test --silent
	cd sdk && npm test --silent

# The dashboard's API types: the public OpenAPI document, built offline (no Redis, no service
# running) by tracking_system.openapi_doc, through openapi-typescript. `make types` rewrites
# them; `make types-check` (part of `make test`) fails when they no longer match the API.
TYPES_FILE := dashboard/src/api/schema.gen.ts
# $(call gen_types,OUT): the generated file, written to OUT (uses $$tmp, a scratch directory).
gen_types = $(BIN)/python -m tracking_system.openapi_doc -o "$$tmp/openapi.json" && \
  dashboard/node_modules/.bin/openapi-typescript "$$tmp/openapi.json" -o "$(1)" >/dev/null

types: python-deps node-deps
	@echo "==> $(TYPES_FILE) from the public OpenAPI document"
	@tmp=$$(mktemp -d) && trap 'rm -rf "$$tmp"' EXIT && $(call gen_types,$(TYPES_FILE))

types-check: python-deps node-deps
	@tmp=$$(mktemp -d) && trap 'rm -rf "$$tmp"' EXIT && $(call gen_types,$$tmp/schema.gen.ts) && \
	  if cmp -s "$$tmp/schema.gen.ts" $(TYPES_FILE); then echo "==> $(TYPES_FILE) is current"; \
	  else diff -u $(TYPES_FILE) "$$tmp/schema.gen.ts" | head -n 40; \
	    echo "$(TYPES_FILE) is stale: run \`make types\`"; exit 1; fi

test: install types-check build browser-deps lint typecheck js-lint js-test pytest

bench-deps:
	@command -v wrk >/dev/null || { echo "==> installing Debian's wrk"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; }

BENCH_FLAGS ?=
bench: install build bench-deps
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements-bench.txt
	$(BIN)/python -m benchmarks $(BENCH_FLAGS)

clean:
	rm -rf $(VENV) dashboard/node_modules dashboard/dist sdk/node_modules sdk/dist test-artifacts
