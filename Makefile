# One entry point for people and CI. `make demo` and `make test` work on a fresh checkout:
# they create .venv/ and install the pinned requirements first.
SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c
PYTHON ?= python3
# The validate job points VENV at its cached venv; everyone else gets .venv/.
VENV ?= .venv
PY := $(VENV)/bin/python
# uv installs the pins (same pin as requirements-dev.txt and UV_VERSION in .gitlab-ci.yml):
# the `uv` on PATH when it is that version, else pip fetches that version once into .cache/.
UV_VERSION := 0.13.9
UV_BOOT := .cache/uv-bin/bin/uv
UV_ON_PATH := $(shell uv --version 2>/dev/null)
UV := $(if $(filter uv $(UV_VERSION),$(wordlist 1,2,$(UV_ON_PATH))),uv,$(UV_BOOT))
# Bytecode compiled at install: PYTHONDONTWRITEBYTECODE (below) would otherwise make every
# run (tests, `make bench`) compile the dependencies again.
UV_INSTALL := $(UV) pip install --quiet --compile-bytecode --python $(PY)
GCL_VERSION := 4.73.0
GCL := .cache/gitlab-ci-local/node_modules/.bin/gitlab-ci-local
export PYTHONDONTWRITEBYTECODE := 1
# Tests run on every core (pytest-xdist), with one worker more than cores: some tests wait on
# processes they start, timeouts and latency. The long tests come first (tests/conftest.py)
# and go out at most 8 at a time, so they spread over the workers and none ends the run alone.
WORKERS ?= $(shell echo $$(( $$(nproc 2>/dev/null || echo 1) + 1 )))
# Bytecode (pytest's rewritten test modules too) goes to .cache/pycache, not into the tree:
# the next run's workers skip re-compiling and re-rewriting ~2 s each.
PYTEST_ENV := env -u PYTHONDONTWRITEBYTECODE PYTHONPYCACHEPREFIX=$(CURDIR)/.cache/pycache
PYTEST := $(PYTEST_ENV) $(PY) -m pytest -n $(WORKERS) --dist load --maxschedchunk 8
# test-fast runs as shards instead: one plain pytest per part (--shard K/N, tests/sharding.py),
# side by side, each shard's output printed when it ends. Its ~1,500 short tests cost xdist's
# controller and per-test messages about an eighth of the CPU; the pipeline tests (5-15 s each)
# stay on xdist, which hands them out as workers come free.
SHARDS ?= $(WORKERS)
FAST_TESTS := -m "not pipeline and not slow"

.PHONY: demo test test-fast test-pipeline pipeline lint format bench mutation install install-dev tools clean

demo: $(VENV)/.runtime  ## run the sync on bundled sample payloads, on a local .ics calendar
	@PY=$(PY) bash samples/demo.sh

pipeline: $(VENV)/.dev tools  ## run .gitlab-ci.yml locally (gitlab-ci-local) on a sample booking, against fake Google and Calendly
	@PY=$(PY) GCL=$(CURDIR)/$(GCL) bash samples/pipeline.sh

test: lint $(VENV)/.dev tools  ## lint, type-check and run every test (pipeline tests too)
	$(PYTEST)

# 100 generated histories per property instead of 300 (HISTORIES=5000 for a deeper search)
test-fast: $(VENV)/.dev  ## every test except the gitlab-ci-local runs and the slow ones
	@$(MAKE) --no-print-directory -j$(SHARDS) --output-sync=target \
	  $(addprefix test-fast-shard-,$(shell seq $(SHARDS)))
	@echo "test-fast: all $(SHARDS) shards passed"

test-fast-shard-%:
	HISTORIES=$${HISTORIES:-100} $(PYTEST_ENV) $(PY) -m pytest -p no:xdist --shard $*/$(SHARDS) \
	  $(FAST_TESTS)

test-pipeline: $(VENV)/.dev tools  ## only the tests that run .gitlab-ci.yml with gitlab-ci-local
	$(PYTEST) -m pipeline

lint: $(VENV)/.dev  ## ruff (lint + format check), mypy --strict, import layers, CI and team map schemas
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy
	cd scripts && ../$(VENV)/bin/lint-imports --no-cache --config ../pyproject.toml
	$(VENV)/bin/check-jsonschema --builtin-schema vendor.gitlab-ci .gitlab-ci.yml
	$(VENV)/bin/check-jsonschema --schemafile config/team_map.schema.json config/team_map.yaml

format: $(VENV)/.dev
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

# mutmut 3 names modules by their path under ./ or src/: it runs on a staged copy with scripts/
# as src/ ([tool.mutmut] in pyproject.toml holds the staged paths).
MUTATION := .cache/mutation
MUTATION_MIN := 85
mutation: $(VENV)/.mutation  ## mutation score of the pure core (mutmut; tests/core + the table tests of the pure modules); ~17 min
	rm -rf $(MUTATION) && mkdir -p $(MUTATION)
	cp -r tests samples $(MUTATION)/ && cp -r scripts $(MUTATION)/src
	find $(MUTATION) -name __pycache__ -prune -exec rm -rf {} +
	sed 's/^pythonpath = \["scripts", "tests"\]/pythonpath = ["src", "tests"]/' pyproject.toml \
	  > $(MUTATION)/pyproject.toml
	cd $(MUTATION) && ../../$(VENV)/bin/mutmut run > run.log 2>&1 || { tail -c 3000 run.log; exit 1; }
	cd $(MUTATION) && ../../$(VENV)/bin/mutmut export-cicd-stats > /dev/null
	cd $(MUTATION) && ../../$(VENV)/bin/mutmut results > survivors.txt || true
	@$(PY) -c 'import json, sys; s = json.load(open("$(MUTATION)/mutants/mutmut-cicd-stats.json")); \
	  k, t = s["killed"], s["total"]; \
	  print("mutation score of scripts/calsync/core: %.1f %% killed (%d of %d; %d survived, %d without tests; list: %s)" \
	        % (100 * k / t, k, t, s["survived"], s["no_tests"], "$(MUTATION)/survivors.txt")); \
	  sys.exit(100 * k / t < $(MUTATION_MIN))'

bench: $(VENV)/.dev  ## print the figures: skip path, job setup, requests per delivery, reconcile at scale
	$(PY) bench/run.py

install: $(VENV)/.runtime
install-dev: $(VENV)/.dev

$(VENV)/.runtime: requirements.txt | $(filter $(UV_BOOT),$(UV))
	test -x $(PY) || $(UV) venv --quiet --clear --python $(PYTHON) $(VENV)
	$(UV_INSTALL) -r requirements.txt
	touch $@

$(VENV)/.mutation: requirements-mutation.txt $(VENV)/.dev
	$(UV_INSTALL) -r requirements-mutation.txt
	touch $@

$(VENV)/.dev: requirements.txt requirements-dev.txt $(VENV)/.runtime
	$(UV_INSTALL) -r requirements-dev.txt
	touch $@

# Only where no uv of the pinned version is on PATH (a machine with just python3 and pip).
$(UV_BOOT):
	$(PYTHON) -m pip install --quiet --disable-pip-version-check --target .cache/uv-bin uv==$(UV_VERSION)

# gitlab-ci-local runs .gitlab-ci.yml in the pipeline tests; it needs rsync and Node's npm.
tools: $(GCL)
	@command -v rsync >/dev/null || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    apt-get update -qq && apt-get install -y -qq rsync >/dev/null; \
	  else echo "make: the pipeline tests need rsync (e.g. sudo apt-get install rsync)" >&2; exit 1; fi; }

$(GCL):
	@command -v npm >/dev/null || { echo "make: the pipeline tests need Node.js and npm" >&2; exit 1; }
	npm install --silent --no-audit --no-fund --prefix .cache/gitlab-ci-local gitlab-ci-local@$(GCL_VERSION)

clean:
	rm -rf $(VENV) .cache demo-out .gitlab-ci-local .pytest_cache .mypy_cache .ruff_cache .hypothesis
