# RusToK Edge — every entry point. `make test` is what CI runs (.ci/run).
SHELL := /bin/bash
.DEFAULT_GOAL := help
CARGO ?= cargo
CARGO_DENY_VERSION := 0.20.2
TAURI_DRIVER_VERSION := 2.1.0
export CARGO_TERM_COLOR ?= never

# Debian packages: the WebKitGTK stack the window needs, and Xvfb plus WebKitWebDriver
# for the end-to-end tests (with matchbox, the X11 kiosk window manager, under which
# the kiosk story checks that a locked kiosk fills the screen), and PostgreSQL, which
# central's tests and benches run against as well as SQLite (a throwaway cluster:
# scripts/with-postgres.sh), and Chromium with its WebDriver, in which central's
# tests drive the head-office console.
SYSTEM_PACKAGES := build-essential pkg-config file libssl-dev libwebkit2gtk-4.1-dev \
	libsoup-3.0-dev libjavascriptcoregtk-4.1-dev libayatana-appindicator3-dev librsvg2-dev \
	xvfb xauth webkit2gtk-driver matchbox-window-manager wmctrl postgresql \
	chromium chromium-driver fakeroot dpkg-dev adduser
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
UI_SOURCES := $(wildcard ui/src/* ui/index.html ui/vite.config.ts)
CONSOLE_SOURCES := $(wildcard ui/src/console/* ui/src/console/catalog/* ui/src/app.css ui/src/format.svelte.ts ui/console.html ui/vite.console.config.ts)

.PHONY: help run run-central test tools system-deps ui ui-check lint invariants deny unit contract package package-check bench measure measure-kiosk fuzz stall crash-loop

help:
	@echo "make run    - install what the app needs, build it and start it (first start offers a demo shop)"
	@echo "make run-central - start the central server on 127.0.0.1:8787 and print an enrolment code"
	@echo "make test   - install what the checks need, then fmt, clippy, invariants, cargo-deny, every test"
	@echo "make package - the .deb packages of the till (with its kiosk unit) and of central, in target/debian"
	@echo "make bench  - criterion benchmarks, each printing its ratio to the floor (RATIO lines)"
	@echo "make measure - the app's start time, memory and size against a minimal Tauri 2 window"
	@echo "make measure-kiosk - the kiosk with 10,000 products: a 500-tile category painted and scrolled, against bare buttons"
	@echo "make fuzz   - a million generated envelopes, batches and requests through central (any panic or 5xx fails)"
	@echo "make stall  - ten minutes of flat-out selling with index reads: no wait past the index deadline"
	@echo "make crash-loop - 200 rounds of killing the index worker mid-sale and restarting the till"

## Build and start the desktop app on the demo shop (created on first start; data in
## the platform data folder, or RUSTOK_DATA_DIR).
run: system-deps ui
	$(CARGO) run --locked -p rustok-app --bin rustok-edge -- --demo

## The central server on loopback with its data in target/central (admin token in
## target/central/admin-token unless RUSTOK_CENTRAL_ADMIN_TOKEN is set); prints an
## enrolment code for the demo tenant.
CENTRAL_LISTEN ?= 127.0.0.1:8787
run-central: ui
	$(CARGO) run --locked -p rustok-central -- --data-dir target/central --listen $(CENTRAL_LISTEN) --print-code demo-shop

## Everything CI checks, from a fresh clone.
test: system-deps tools ui ui-check lint invariants deny unit contract package-check

## The two Debian packages, built from release binaries into target/debian.
package: system-deps ui
	bash scripts/package.sh

## Installs both packages here, checks their files, runs them, removes them.
package-check: package
	$(SUDO) bash scripts/package-test.sh

## Debian packages, installed only when missing.
system-deps:
	@missing=$$(for p in $(SYSTEM_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -n "$$missing" ]; then \
		echo "installing:" $$missing; \
		$(SUDO) apt-get update -qq && $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
	fi

## The web UI, built into ui/dist (the app embeds it at compile time), and the
## head-office console, built into ui/console-dist (central embeds it).
ui: ui/dist/index.html ui/console-dist/console.html

ui/node_modules/.package-lock.json: ui/package.json ui/package-lock.json
	cd ui && npm ci --no-audit --no-fund

ui/dist/index.html: ui/node_modules/.package-lock.json $(UI_SOURCES)
	cd ui && npx vite build

ui/console-dist/console.html: ui/node_modules/.package-lock.json $(CONSOLE_SOURCES)
	cd ui && npx vite build -c vite.console.config.ts

## The UI's types: svelte-check and TypeScript, strict, warnings fail.
ui-check: ui/node_modules/.package-lock.json
	cd ui && npm run check

## Tools the checks need, installed only when missing.
tools:
	@command -v $(CARGO) >/dev/null || { echo "cargo is missing: install Rust with rustup (https://rustup.rs)"; exit 1; }
	@rustup component list --installed 2>/dev/null | grep -q rustfmt || rustup component add rustfmt
	@rustup component list --installed 2>/dev/null | grep -q clippy || rustup component add clippy
	@command -v cargo-deny >/dev/null || $(CARGO) install cargo-deny --locked --version $(CARGO_DENY_VERSION)
	@command -v tauri-driver >/dev/null || $(CARGO) install tauri-driver --locked --version $(TAURI_DRIVER_VERSION)

lint:
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --workspace --all-targets --locked -- -D warnings

## The architecture invariants of ARCHITECTURE.md.
invariants:
	bash scripts/check-invariants.sh

## Licences, banned crates and sources (advisories need the RustSec feed from GitHub).
deny:
	$(CARGO) deny check bans licenses sources

## Unit, integration, property and doc tests; benches run once as smoke tests. Central's
## stories run on SQLite and on a throwaway PostgreSQL (RUSTOK_TEST_DATABASE_URL set to
## your own server skips starting one).
unit:
	bash scripts/with-postgres.sh $(CARGO) test --workspace --all-targets --locked
	$(CARGO) test --workspace --doc --locked

## schemathesis against the real central from its OpenAPI document (pinned in a
## virtualenv under target/; central built by `unit`), on SQLite and on PostgreSQL.
CONTRACT_VENV := target/contract-venv
CONTRACT_EXAMPLES ?= 30
$(CONTRACT_VENV)/bin/st: scripts/contract-requirements.txt
	python3 -m venv $(CONTRACT_VENV)
	$(CONTRACT_VENV)/bin/pip install -q --disable-pip-version-check -r scripts/contract-requirements.txt
	touch $@

contract: $(CONTRACT_VENV)/bin/st
	@# The binary `unit` built; building it alone would compile other feature sets.
	@test -x target/debug/rustok-central || $(CARGO) test --workspace --all-targets --locked --no-run
	python3 scripts/contract-test.py target/debug/rustok-central $(CONTRACT_VENV)/bin/st $(CONTRACT_EXAMPLES)
	bash scripts/with-postgres.sh bash -c 'RUSTOK_CONTRACT_DATABASE="$$RUSTOK_TEST_DATABASE_URL" python3 scripts/contract-test.py target/debug/rustok-central $(CONTRACT_VENV)/bin/st $(CONTRACT_EXAMPLES)'

## The long runs of what `make test` runs briefly; the index ones in release, as a
## till runs (a debug build's index cannot keep up with a till selling flat out).
fuzz:
	RUSTOK_FUZZ_CASES=1000000 bash scripts/with-postgres.sh $(CARGO) test --locked -p rustok-central --test central -- fuzz --nocapture

stall:
	RUSTOK_STALL_SECS=600 $(CARGO) test --release --locked -p rustok-core --test core -- contained::the_till_sells --nocapture

crash-loop:
	RUSTOK_KILL_LOOPS=200 $(CARGO) test --release --locked -p rustok-core --test core -- contained::after_any_kill --nocapture

bench: system-deps ui
	bash scripts/with-postgres.sh $(CARGO) bench -p rustok-benches

## Start time, idle memory and binary size of the app against a minimal Tauri window.
measure: system-deps ui
	@dpkg -s imagemagick >/dev/null 2>&1 || $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq imagemagick
	bash scripts/measure-app.sh

## The kiosk with 10,000 products: a 500-tile category painted and scrolled in the real window.
measure-kiosk: system-deps ui
	@dpkg -s imagemagick >/dev/null 2>&1 || $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq imagemagick
	bash scripts/measure-kiosk.sh
