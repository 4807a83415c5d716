# usertrail developer tasks. `make` alone lists them.
#
# Database URLs are optional everywhere: without DATABASE_URL (run),
# TEST_DATABASE_URL (test) or BENCH_DATABASE_URL (bench), a throwaway
# PostgreSQL cluster is started under .local/pg by scripts/devdb.sh.
# Settings are read from the environment or .env; see .env.example.

SHELL := bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help
MAKEFLAGS += --no-print-directory

CARGO ?= cargo

.PHONY: help run test lint fmt build bench fuzz conformance db-start db-stop db-status db-destroy

help: ## List the targets with what they do
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z0-9_-]+:.*## / {printf "  %-12s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

run: ## Run the server locally with a demo org and fresh tokens (DATABASE_URL or a throwaway cluster)
	@scripts/run.sh

test: ## Run all tests against PostgreSQL (TEST_DATABASE_URL or a throwaway cluster) and the panel in headless Chromium
	@scripts/test.sh

lint: ## Check formatting and run clippy with warnings as errors
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --workspace --all-targets -- -D warnings

fmt: ## Format all Rust code
	$(CARGO) fmt --all

build: ## Build every crate and binary (debug)
	$(CARGO) build --workspace

bench: ## Benchmark SCIM creates, filter reads (vs pgbench) and the audit trail on 1M events (release build, then ~5 min)
	@scripts/bench.sh

fuzz: ## Fuzz the filter and PATCH path parsers, FUZZ_SECONDS (default 60) per target
	@scripts/fuzz.sh

conformance: ## Probe a throwaway server with scim-sanity; output in target/conformance/
	@scripts/conformance.sh

db-start: ## Start the throwaway PostgreSQL cluster (prints its URL)
	@scripts/devdb.sh start

db-stop: ## Stop the throwaway PostgreSQL cluster
	@scripts/devdb.sh stop

db-status: ## Say whether the throwaway cluster runs, and where
	@scripts/devdb.sh status

db-destroy: ## Stop the throwaway cluster and delete its data (.local/pg)
	@scripts/devdb.sh destroy
