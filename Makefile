# The two commands a newcomer needs: `make run` and `make test`. Everything else is a step of them.
PYTHON ?= python3
VENV := .venv
MLFLOW_VENV := .venv-mlflow
BIN := $(VENV)/bin
# The full `mlflow` package (for `mlflow server`) lives in its own environment: the service
# itself depends only on the light `mlflow-tracing` SDK, as in production.
export FEEDBACK_SERVICE_EMBEDDED_MLFLOW_COMMAND ?= $(abspath $(MLFLOW_VENV))/bin/mlflow
ARGS ?=
STREAMING_ARGS ?=
# Go tools the tests run (grpcurl, exactly as a user would), installed at pinned versions.
TOOLS := $(abspath .tools/bin)
GRPCURL_VERSION := v1.9.3
GHZ_VERSION := v0.120.0
export GRPCURL := $(TOOLS)/grpcurl
export GHZ := $(TOOLS)/ghz
# The last released contract (a buf image, committed): `buf breaking` holds every later change to it.
RELEASED_CONTRACT := contract-released.json
# `make dist`: one version for the four client packages (each manifest must say it) and the contract.
VERSION := 0.1.0
DIST := $(abspath dist)
GO_MODULE := go.genaifeedback.dev/client

.DEFAULT_GOAL := help
.PHONY: help setup setup-run run run-postgres demo web-build test test-clients check lint proto proto-check lint-proto breaking release-contract dist bench bench-streaming bench-durability bench-analytics bench-landing bench-cluster mutation clean

help: ## show this help
	@awk 'BEGIN {FS = ":.*## "} /^[a-z-]+:.*## / {printf "  make %-12s %s\n", $$1, $$2}' $(MAKEFILE_LIST) \
		| sed 's|$$(RELEASED_CONTRACT)|$(RELEASED_CONTRACT)|'

setup-run: $(VENV)/.runtime $(MLFLOW_VENV)/.installed ## the environments `make run` needs: the service and `mlflow server`, no development tools

setup: $(VENV)/.installed $(MLFLOW_VENV)/.installed ## setup-run plus the development tools of `make test` (pytest, linters, buf, generators)

# Three layers of .venv, each with its stamp: the service (`make run`), the development tools
# (`make test`, lint and the contract checks; the clients' Makefiles ask for this stamp), the benchmarks.
$(VENV)/.runtime: pyproject.toml clients/python/pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e clients/python -e .
	touch $@

$(VENV)/.installed: $(VENV)/.runtime
	$(BIN)/pip install --quiet -e 'clients/python[plot]' -e '.[dev,redis]'
	touch $@

$(VENV)/.web: $(VENV)/.runtime
	$(BIN)/pip install --quiet -e '.[web]'
	touch $@

$(VENV)/.bench: $(VENV)/.runtime
	$(BIN)/pip install --quiet -e '.[bench]'
	touch $@

$(MLFLOW_VENV)/.installed: requirements-mlflow-server.txt
	$(PYTHON) -m venv $(MLFLOW_VENV)
	$(MLFLOW_VENV)/bin/pip install --quiet --upgrade pip
	$(MLFLOW_VENV)/bin/pip install --quiet -r requirements-mlflow-server.txt
	touch $@

run: setup-run ## set up, then run MLflow (SQLite in .mlflow-data/) and the gRPC service; Ctrl-C stops both
	$(BIN)/feedback-service --embedded-mlflow $(ARGS)

run-postgres: setup-run ## like run, but MLflow (2 workers) on a throwaway PostgreSQL, deleted on exit; Ctrl-C stops all
	$(BIN)/feedback-service --embedded-mlflow --embedded-postgres --embedded-mlflow-workers 2 $(ARGS)

# Debian's redis-server: the shared rate-limit storage test starts a throwaway one on loopback.
REDIS_SERVER := /usr/bin/redis-server
$(REDIS_SERVER):
	apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server >/dev/null

demo: $(VENV)/.web $(MLFLOW_VENV)/.installed web-build ## set up, then MLflow, the service, Envoy (gRPC-Web) and the chat page and dashboard: prints one URL; Ctrl-C stops all
	$(BIN)/python scripts/web_demo.py $(ARGS)

web-build: ## bundle the browser pages into web/dist/ (npm ci, tsc, esbuild): make -C web build
	$(MAKE) -C web build

# The headless browser of tests/test_web.py: Debian's chromium package, installed as CI installs it
# (never downloaded by a test at run time); playwright-core (web/node_modules) drives it. The emoji font
# is for the screenshots the tests take (the pages' 👍 and 👎).
CHROMIUM ?= /usr/bin/chromium
export CHROMIUM
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
$(CHROMIUM):
	$(SUDO) apt-get update -qq
	$(SUDO) apt-get install -y --no-install-recommends chromium fonts-noto-color-emoji

test: setup check $(GRPCURL) $(GHZ) $(REDIS_SERVER) web-build $(CHROMIUM) ## set up, then run the contract checks, the service's tests and every client's tests
	$(BIN)/pytest --cov --cov-report=term $(ARGS)
	$(MAKE) test-clients

.PHONY: test-fast
test-fast: setup ## set up, then only the pure and in-process tests (not marked slow): under a minute on 2 cores
	$(BIN)/pytest -m "not slow" $(ARGS)

test-clients: setup ## the Go, Java and Node clients' tests, each against a real service and MLflow
	$(MAKE) -C clients/go test
	$(MAKE) -C clients/java test
	$(MAKE) -C clients/node test

$(GRPCURL):
	GOBIN=$(TOOLS) go install github.com/fullstorydev/grpcurl/cmd/grpcurl@$(GRPCURL_VERSION)

$(GHZ):
	GOBIN=$(TOOLS) go install github.com/bojand/ghz/cmd/ghz@$(GHZ_VERSION)

check: lint proto-check lint-proto breaking ## lint and types, then contract checks: stubs match protos/, buf lint, format and breaking

lint: $(VENV)/.installed ## ruff check, ruff format --check and mypy (strict) on the Python code (bench/ and stubs excluded)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

proto: $(VENV)/.installed ## regenerate every language's stubs in clients/ from protos/ (pinned generators)
	$(BIN)/python scripts/gen_protos.py
	$(MAKE) -C web proto
	$(MAKE) -C clients/go proto
	$(MAKE) -C clients/java proto
	$(MAKE) -C clients/node proto

proto-check: $(VENV)/.installed ## fail if any committed stubs (or service config copy) drift from protos/
	$(BIN)/python scripts/gen_protos.py --check
	$(MAKE) -C web proto-check
	$(MAKE) -C clients/go proto-check
	$(MAKE) -C clients/java proto-check
	$(MAKE) -C clients/node proto-check

lint-proto: $(VENV)/.installed ## buf lint (STANDARD + COMMENTS) and buf format check
	$(BIN)/buf lint
	$(BIN)/buf format --diff --exit-code

breaking: $(VENV)/.installed ## buf breaking: the contract stays wire-compatible with the released one ($(RELEASED_CONTRACT))
	$(BIN)/buf breaking --against $(RELEASED_CONTRACT)

release-contract: $(VENV)/.installed ## record protos/ as the released contract that `make breaking` compares against
	$(BIN)/buf build --exclude-source-info -o $(RELEASED_CONTRACT)

# Each step is a build product under dist/ (git-ignored); docs/clients.md#installing tells a team
# how to install each with its own tool, and tests/test_consumers.py does exactly that.
dist: $(VENV)/.installed ## build the release artifacts into dist/: Python wheel+sdist, npm tarball, Java jar in a Maven repo, Go module proxy, contract
	@grep -q '^version = "$(VERSION)"' clients/python/pyproject.toml || { echo "clients/python/pyproject.toml: version is not $(VERSION)" >&2; exit 1; }
	@grep -q '"version": "$(VERSION)"' clients/node/package.json || { echo "clients/node/package.json: version is not $(VERSION)" >&2; exit 1; }
	@grep -q '^  <version>$(VERSION)</version>' clients/java/pom.xml || { echo "clients/java/pom.xml: version is not $(VERSION)" >&2; exit 1; }
	@grep -q '^module $(GO_MODULE)$$' clients/go/go.mod || { echo "clients/go/go.mod: module is not $(GO_MODULE)" >&2; exit 1; }
	rm -rf $(DIST) && mkdir -p $(DIST)/python $(DIST)/npm $(DIST)/maven $(DIST)/goproxy $(DIST)/contract
	$(MAKE) dist-contract dist-python dist-npm dist-maven dist-go
	@echo "dist/: $$(cd $(DIST) && find . -type f -name '*.whl' -o -type f -name '*.tar.gz' -o -type f -name '*.tgz' -o -type f -name '*.jar' -o -type f -name '*.zip' -o -type f -name '*.binpb' | sort | tr '\n' ' ')"

.PHONY: dist-contract dist-python dist-npm dist-maven dist-go
dist-contract: # the contract: its .proto files (with google/rpc) and a descriptor set (buf image, with imports and comments)
	$(BIN)/buf build -o $(DIST)/contract/genaifeedback-contract-$(VERSION).binpb
	tar -czf $(DIST)/contract/genaifeedback-contract-$(VERSION).tar.gz buf.yaml protos

dist-python: # sdist, then the wheel built from it
	$(BIN)/python scripts/build_python_dist.py --project clients/python --out $(DIST)/python

dist-npm: # npm pack (its prepack compiles src/ with tsc)
	$(MAKE) -C clients/node node_modules/.installed
	cd clients/node && npm pack --silent --pack-destination $(DIST)/npm

dist-maven: # the jar and its pom, deployed to a file:// Maven repository (with maven-metadata.xml, checksums)
	mvn -B -q -Dstyle.color=never -f clients/java/pom.xml package -DskipTests
	mvn -B -q -Dstyle.color=never -f clients/java/pom.xml deploy:deploy-file -DpomFile=pom.xml \
		-Dfile=target/genaifeedback-client-$(VERSION).jar -Durl=file://$(DIST)/maven -DrepositoryId=dist

dist-go: # the module in a file-based Go module proxy (GOPROXY=file://$(DIST)/goproxy)
	$(BIN)/python scripts/goproxy.py --module-dir clients/go --version v$(VERSION) --out $(DIST)/goproxy

bench: $(VENV)/.bench $(MLFLOW_VENV)/.installed ## run both benchmarks: streaming (vs the guide's FastAPI app and a bare grpc.aio echo), then chat and feedback
	$(MAKE) bench-streaming
	$(BIN)/python bench/benchmark.py $(ARGS)

bench-streaming: $(VENV)/.bench $(MLFLOW_VENV)/.installed ## streaming only: the service vs the guide's FastAPI app vs a bare grpc.aio echo, c=1/8/32, one MLflow
	$(BIN)/python bench/streaming.py $(STREAMING_ARGS)

mutation: setup ## mutation testing (cosmic-ray): ids.py and votes.py against their fast tests, then convert/feedback.py and the feedback engine's intake, attacher and delivery against the tests that execute each mutated line (hours on 2 cores; ARGS="--test-seconds 60" for a bigger budget per mutant); not part of make test
	for module in ids votes; do \
		rm -f .mutation-$$module.sqlite; \
		$(BIN)/cosmic-ray init mutation/$$module.toml .mutation-$$module.sqlite && \
		$(BIN)/cosmic-ray exec mutation/$$module.toml .mutation-$$module.sqlite && \
		$(BIN)/cr-report .mutation-$$module.sqlite | tail -3; \
	done
	$(BIN)/python mutation/covering_tests.py $(ARGS) mutation/convert.toml mutation/feedback-intake.toml mutation/feedback-attacher.toml mutation/feedback-delivery.toml

bench-analytics: $(VENV)/.bench $(MLFLOW_VENV)/.installed ## benchmark GetFeedbackSummary on 10,000 and 100,000 traces against the guide's get_trace loop (~15 min)
	$(BIN)/python bench/analytics.py $(ARGS)

bench-ack: $(VENV)/.bench $(MLFLOW_VENV)/.installed $(GHZ) ## SubmitFeedback's acknowledgement under ghz: the service on its defaults and with mTLS, JWT, feedback tokens, policy and limits on, against a bare grpc.aio echo (c=1/32); 500 open streams' memory
	$(BIN)/python bench/ack.py $(ARGS)

bench-durability: $(VENV)/.bench $(MLFLOW_VENV)/.installed ## benchmark the journal: acknowledgement, landing, a 60 s MLflow outage, 500 open streams
	$(BIN)/python bench/durability.py $(ARGS)

bench-landing: $(VENV)/.bench $(MLFLOW_VENV)/.installed ## benchmark feedback landing in MLflow, anonymous and 8 raters re-voting, against mlflow.log_feedback, c=1/8/32, with MLflow CPU per feedback
	$(BIN)/python bench/landing.py $(ARGS)
bench-cluster: $(VENV)/.bench $(MLFLOW_VENV)/.installed ## three replicas and MLflow (2 workers) on PostgreSQL vs the embedded default: throughput, SIGKILLed replicas, acknowledgement by journal (ARGS="--quick"; "--million" adds a summary over 1,000,000 traces)
	$(BIN)/python bench/cluster.py $(ARGS)

clean: ## remove the environments, local MLflow data and dist/
	rm -rf $(VENV) $(MLFLOW_VENV) .mlflow-data .tools dist
	$(MAKE) -C clients/java clean
	$(MAKE) -C clients/node clean
	$(MAKE) -C web clean
