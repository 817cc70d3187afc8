# The one entry point. `make test` and `make demo` set everything up themselves from a fresh clone.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := test

PYTHON ?= python3
VENV := .venv
BIN := $(abspath $(VENV))/bin
# The generator's post hooks call `ruff`: make it the pinned one from the venv.
export PATH := $(BIN):$(PATH)

PACKAGE := runai_tokens_client
GENERATED := generated/$(PACKAGE)
# templates/ holds the five generator templates we change (see templates/README.md).
GENERATE = openapi-python-client generate --path openapi.yaml --config generator-config.yaml \
	--meta none --overwrite --fail-on-warning --custom-template-path templates

# --- set-up ---------------------------------------------------------------------------------
# pip's --no-compile: Python compiles a module when it is first imported; compiling every one
# here (mypy, hypothesis, the generator, ...) took a third of the install.
$(VENV)/.installed: pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet --no-compile -e '.[dev]'
	@touch $@

node_modules/.installed: package.json package-lock.json
	@command -v npm >/dev/null || { echo "Node.js and npm are needed for the Prism mock server" >&2; exit 1; }
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

# The two installs run side by side: npm's waits mostly on the disk and the network.
.PHONY: setup
setup:
	@$(MAKE) --no-print-directory -j2 --output-sync=target $(VENV)/.installed node_modules/.installed

# --- the pipeline ---------------------------------------------------------------------------
.PHONY: generate
generate: $(VENV)/.installed
	rm -rf $(GENERATED)
	$(GENERATE) --output-path $(GENERATED)

.PHONY: check-generated
check-generated: $(VENV)/.installed
	@tmp=$$(mktemp -d); trap 'rm -rf "$$tmp"' EXIT; \
	$(GENERATE) --output-path "$$tmp/$(PACKAGE)" >/dev/null; \
	if ! diff -ru -x __pycache__ -x "*.pyc" "$$tmp/$(PACKAGE)" $(GENERATED); then \
		echo "generated/ differs from what 'make generate' produces: run 'make generate' and commit both." >&2; \
		exit 1; \
	fi; \
	echo "generated/ is up to date"

.PHONY: lint-spec
lint-spec: $(VENV)/.installed
	openapi-spec-validator openapi.yaml
	@tmp=$$(mktemp -d); trap 'rm -rf "$$tmp"' EXIT; \
	$(GENERATE) --output-path "$$tmp/$(PACKAGE)" >/dev/null && echo "generator: no warnings"

.PHONY: lint
lint: $(VENV)/.installed
	ruff check overrides tests tools $(wildcard bench)
	ruff format --check overrides tests tools $(wildcard bench)
	mypy
	lint-imports

# The documentation site (docs/, mkdocs.yml), built --strict into a temporary directory so that
# a broken link, a missing page or a public name without its docstring target fails. It needs
# no network: mkdocs.yml keeps every plugin that fetches off.
.PHONY: docs
docs: $(VENV)/.installed
	@tmp=$$(mktemp -d); trap 'rm -rf "$$tmp"' EXIT; \
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict --site-dir "$$tmp" && echo "docs: built"

# The installs and the checks two at a time (each check starts once the venv is there), then
# the suite, which spreads over every core by itself (pytest-xdist, see pyproject.toml).
.PHONY: test
test:
	@$(MAKE) --no-print-directory -j2 --output-sync=target \
		$(VENV)/.installed node_modules/.installed check-generated lint-spec lint docs
	$(BIN)/python -m pytest

# The demo gets a venv of its own with only what it needs: the package and its testing extra
# (tools/demo_venv.py says how), not the generator, mypy, ruff and hypothesis of .venv.
DEMO_VENV := .venv-demo
$(DEMO_VENV)/.installed: pyproject.toml tools/demo_venv.py
	$(PYTHON) tools/demo_venv.py $(DEMO_VENV)
	@touch $@

.PHONY: demo
demo: $(DEMO_VENV)/.installed
	$(DEMO_VENV)/bin/python -m runai_tokens.demo

# The bench extra adds the libraries the benchmarks compare against (see pyproject.toml).
$(VENV)/.bench-installed: pyproject.toml $(VENV)/.installed
	$(BIN)/python -m pip install --quiet -e '.[bench]'
	@touch $@

.PHONY: bench
bench: $(VENV)/.bench-installed
	$(BIN)/python bench/run.py

.PHONY: build
build: $(VENV)/.installed
	rm -rf dist
	$(BIN)/python -m build --outdir dist

# Copy both import packages into DEST, a directory inside your own package (e.g.
# `make vendor DEST=../myrepo/acme/_vendor` for acme._vendor.runai_tokens). Their imports are
# rewritten to relative ones, so the copy loads only itself. Standard library only: no venv needed.
.PHONY: vendor
vendor:
	@test -n "$(DEST)" || { echo "usage: make vendor DEST=path/to/your_package/_vendor" >&2; exit 2; }
	$(PYTHON) tools/vendor.py "$(DEST)"

.PHONY: clean
clean:
	rm -rf dist build .mypy_cache .ruff_cache
