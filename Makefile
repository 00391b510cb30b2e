# The two commands a newcomer needs: `make run` and `make test`. Everything else is a step of them.
PYTHON ?= python3
VENV := .venv
MLFLOW_VENV := .venv-mlflow
BIN := $(VENV)/bin
# The full `mlflow` package (for `mlflow server`) lives in its own environment: the service
# itself depends only on the light `mlflow-tracing` SDK, as in production.
export FEEDBACK_SERVICE_EMBEDDED_MLFLOW_COMMAND ?= $(abspath $(MLFLOW_VENV))/bin/mlflow
ARGS ?=
BREAKING_AGAINST ?= .git\#branch=main

.DEFAULT_GOAL := help
.PHONY: help setup run test check proto proto-check lint-proto breaking bench clean

help: ## show this help
	@awk 'BEGIN {FS = ":.*## "} /^[a-z-]+:.*## / {printf "  make %-12s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

setup: $(VENV)/.installed $(MLFLOW_VENV)/.installed ## create the Python environments (idempotent)

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

$(MLFLOW_VENV)/.installed: requirements-mlflow-server.txt
	$(PYTHON) -m venv $(MLFLOW_VENV)
	$(MLFLOW_VENV)/bin/pip install --quiet --upgrade pip
	$(MLFLOW_VENV)/bin/pip install --quiet -r requirements-mlflow-server.txt
	touch $@

run: setup ## set up, then run MLflow (SQLite in .mlflow-data/) and the gRPC service; Ctrl-C stops both
	$(BIN)/feedback-service --embedded-mlflow $(ARGS)

test: setup check ## set up, then run the contract checks and the whole test suite
	$(BIN)/pytest $(ARGS)

check: proto-check lint-proto breaking ## contract checks: stubs match protos/, buf lint, format and breaking

proto: $(VENV)/.installed ## regenerate the Python stubs in clients/python from protos/
	$(BIN)/python scripts/gen_protos.py

proto-check: $(VENV)/.installed ## fail if the committed stubs drift from protos/
	$(BIN)/python scripts/gen_protos.py --check

lint-proto: $(VENV)/.installed ## buf lint (STANDARD + COMMENTS) and buf format check
	$(BIN)/buf lint
	$(BIN)/buf format --diff --exit-code

breaking: $(VENV)/.installed ## buf breaking: the contract stays wire-compatible with main's (BREAKING_AGAINST to change)
	@if git rev-parse --verify --quiet main >/dev/null; then \
		echo "buf breaking --against '$(BREAKING_AGAINST)'"; $(BIN)/buf breaking --against '$(BREAKING_AGAINST)'; \
	else echo "no local main branch: breaking check skipped"; fi

bench: setup ## run the benchmark (prints figures and ratios; takes a few minutes)
	$(BIN)/python bench/benchmark.py $(ARGS)

clean: ## remove the environments and local MLflow data
	rm -rf $(VENV) $(MLFLOW_VENV) .mlflow-data
