#!/usr/bin/env bash
# Checks the named invariants of ARCHITECTURE.md that tools can see.
set -euo pipefail
cd "$(dirname "$0")/.."
fail=0

# 1. rustok-core never depends on the shell or the network.
deps=$(cargo tree -p rustok-core -e normal,build --prefix none --locked | awk '{print $1}' | sort -u)
for banned in tauri tauri-build wry reqwest hyper axum tower tokio rustok-sync rustok-central rustok-app; do
    if grep -qx "$banned" <<<"$deps"; then
        echo "invariant broken: rustok-core depends on $banned"
        cargo tree -p rustok-core -e normal --locked -i "$banned" || true
        fail=1
    fi
done

# 1a. The domain crate is pure: no storage, index, cache, images, runtime or network.
deps=$(cargo tree -p rustok-domain -e normal,build --prefix none --locked | awk '{print $1}' | sort -u)
for banned in rusqlite sled moka image tokio reqwest hyper axum rustok-core; do
    if grep -qx "$banned" <<<"$deps"; then
        echo "invariant broken: rustok-domain depends on $banned"
        fail=1
    fi
done

# 1b. The sync crate and the central server never depend on the desktop shell.
for crate in rustok-sync rustok-central; do
    deps=$(cargo tree -p "$crate" -e normal,build --prefix none --locked | awk '{print $1}' | sort -u)
    for banned in tauri tauri-build wry rustok-app; do
        if grep -qx "$banned" <<<"$deps"; then
            echo "invariant broken: $crate depends on $banned"
            fail=1
        fi
    done
done

# 1c. Central speaks the protocol (rustok-protocol) and decodes events with the pure
#     domain (rustok-domain): it never links the device's sync client (rustok-sync,
#     an HTTP client, a retry library) or the device's core (storage, sled index,
#     moka caches, image codecs).
deps=$(cargo tree -p rustok-central -e normal,build --prefix none --locked | awk '{print $1}' | sort -u)
for banned in rustok-sync reqwest backon rustok-core sled moka image; do
    if grep -qx "$banned" <<<"$deps"; then
        echo "invariant broken: rustok-central depends on $banned"
        cargo tree -p rustok-central -e normal --locked -i "$banned" || true
        fail=1
    fi
done

# 2. The domain does no I/O and never reads the clock or OS randomness.
code_only() { grep -vE '^[^:]+:[0-9]+:[[:space:]]*//'; }
#    (domain/src/system.rs is the real clock and entropy the programs hand in.)
if grep -rnE 'std::(fs|net|process|env)|SystemTime|Instant::now|rusqlite|getrandom|thread::sleep|OsEntropy|SystemClock' domain/src --include='*.rs' | code_only | grep -v '^domain/src/system.rs:' | grep -v '^domain/src/lib.rs:.*pub mod system'; then
    echo "invariant broken: the domain (domain/src) performs I/O or reads the clock (see the lines above)"
    fail=1
fi

# 3. Only domain/src/system.rs reads the real clock or the OS entropy source.
if grep -rnE 'SystemTime::now|getrandom::' core/src domain/src --include='*.rs' | code_only | grep -v '^domain/src/system.rs:'; then
    echo "invariant broken: the clock or OS randomness is read outside domain/src/system.rs"
    fail=1
fi

# 4. Migrations are add-only: once committed, a migration file never changes.
if git rev-parse --verify -q HEAD >/dev/null; then
    changed=$(git log --format= --name-status --diff-filter=MDR -- migrations || true)
    if [ -n "$changed" ]; then
        echo "invariant broken: a shipped migration was modified or removed:"
        echo "$changed"
        fail=1
    fi
fi

# 5. Event fixtures are frozen: once committed, never edited or removed.
if git rev-parse --verify -q HEAD >/dev/null; then
    edited=$(git log --format= --name-status --diff-filter=MDR -- core/tests/fixtures/events || true)
    if [ -n "$edited" ]; then
        echo "invariant broken: a shipped event fixture was edited or removed:"
        echo "$edited"
        fail=1
    fi
fi

# 21. The app never runs sled in its own process: the index lives in the worker
#     (rustok_core::index::remote), where a stuck sled can be killed.
if grep -rnE '\bIndex::open|\bIndexHandler::new|sled::' src-tauri/src | code_only; then
    echo "invariant broken: the app uses sled in its own process (see the lines above)"
    fail=1
fi

if [ "$fail" -ne 0 ]; then
    exit 1
fi
echo "invariants ok"
