# RusToK Edge — every entry point. `make test` is what CI runs (.ci/run).
SHELL := /bin/bash
.DEFAULT_GOAL := help
CARGO ?= cargo
CARGO_DENY_VERSION := 0.20.2
export CARGO_TERM_COLOR ?= never

.PHONY: help test tools lint invariants deny unit bench

help:
	@echo "make test   - install what the checks need, then fmt, clippy, invariants, cargo-deny, every test"
	@echo "make bench  - criterion benchmarks, each printing its ratio to the floor (RATIO lines)"

## Everything CI checks, from a fresh clone.
test: tools lint invariants deny unit

## Tools the checks need, installed only when missing.
tools:
	@command -v $(CARGO) >/dev/null || { echo "cargo is missing: install Rust with rustup (https://rustup.rs)"; exit 1; }
	@rustup component list --installed 2>/dev/null | grep -q rustfmt || rustup component add rustfmt
	@rustup component list --installed 2>/dev/null | grep -q clippy || rustup component add clippy
	@command -v cargo-deny >/dev/null || $(CARGO) install cargo-deny --locked --version $(CARGO_DENY_VERSION)

lint:
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --workspace --all-targets --locked -- -D warnings

## The architecture invariants of ARCHITECTURE.md.
invariants:
	bash scripts/check-invariants.sh

## Licences, banned crates and sources (advisories need the RustSec feed from GitHub).
deny:
	$(CARGO) deny check bans licenses sources

## Unit, integration, property and doc tests; benches run once as smoke tests.
unit:
	$(CARGO) test --workspace --all-targets --locked
	$(CARGO) test --workspace --doc --locked

bench:
	$(CARGO) bench -p rustok-benches
