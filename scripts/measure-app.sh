#!/usr/bin/env bash
# Measures the desktop app against a minimal Tauri 2 window built here, in the same
# run and on the same machine: time from process start to the first screen painted
# (login for the app, the page for the minimal window), idle memory of the whole
# process tree (WebKit processes included), and release binary size.
#
#   bash scripts/measure-app.sh [RUNS]      (default 5; prints a Markdown table)
#
# Needs Xvfb and ImageMagick's `import` (apt-get install xvfb imagemagick).
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${1:-5}
ROOT=$PWD
OUT=$ROOT/target/measure
MIN=$OUT/minimal-tauri
mkdir -p "$OUT"
command -v import >/dev/null || { echo "needs ImageMagick: apt-get install imagemagick" >&2; exit 1; }
command -v Xvfb >/dev/null || { echo "needs Xvfb: apt-get install xvfb" >&2; exit 1; }

# --- the minimal app: one window, one page, nothing else -------------------------
# Same tauri version (our Cargo.lock) and features, same target folder and profile,
# so it shares the compiled Tauri crates and differs only in what it adds.
mkdir -p "$MIN/src" "$MIN/dist"
cat > "$MIN/Cargo.toml" <<TOML
[package]
name = "minimal-tauri"
version = "0.1.0"
edition = "2021"
publish = false

[workspace]

[dependencies]
tauri = { version = "2", features = ["test"] }

[build-dependencies]
tauri-build = "2"

[profile.release]
debug = "line-tables-only"
TOML
cp Cargo.lock "$MIN/Cargo.lock"
cat > "$MIN/build.rs" <<'RS'
fn main() { tauri_build::build() }
RS
cat > "$MIN/src/main.rs" <<'RS'
fn main() {
    tauri::Builder::default()
        .run(tauri::generate_context!())
        .expect("minimal window");
}
RS
cat > "$MIN/tauri.conf.json" <<'JSON'
{
  "productName": "minimal",
  "version": "0.1.0",
  "identifier": "dev.rustok.minimal",
  "build": { "frontendDist": "dist" },
  "app": { "windows": [{ "title": "minimal", "width": 1280, "height": 800 }], "security": { "csp": null } },
  "bundle": { "active": false, "icon": ["icons/icon.png"] }
}
JSON
mkdir -p "$MIN/icons" && cp icons/icon.png "$MIN/icons/icon.png"
cat > "$MIN/dist/index.html" <<'HTML'
<!doctype html><html><head><meta charset="utf-8"><title>minimal</title>
<style>html,body{margin:0;height:100%;background:#e85d04}</style></head><body></body></html>
HTML
# The minimal window has Tauri's default configuration (no CSP), so its page may use
# an inline style.

echo "building release binaries…" >&2
make -s ui >/dev/null
cargo build --release --locked -p rustok-app --bin rustok-edge >&2
# Offline: the copied lock keeps every version; cargo only prunes what is unused.
CARGO_TARGET_DIR="$ROOT/target" cargo build --release --offline --manifest-path "$MIN/Cargo.toml" >&2
APP=$ROOT/target/release/rustok-edge
MINBIN=$ROOT/target/release/minimal-tauri

# --- helpers ---------------------------------------------------------------------
DISPLAY_NO=77
Xvfb ":$DISPLAY_NO" -screen 0 1280x800x24 -nolisten tcp >/dev/null 2>&1 &
XVFB=$!
trap 'kill $XVFB 2>/dev/null || true' EXIT
sleep 1
export DISPLAY=":$DISPLAY_NO"

# Pixel at (470,505): inside the login button of the app, and the page of the minimal window.
is_orange() { import -window root -crop 1x1+470+505 txt:- 2>/dev/null | grep -q 'srgb(232,93,4)'; }

tree_pids() { local p=$1; echo "$p"; for c in $(pgrep -P "$p" || true); do tree_pids "$c"; done; }
tree_kib() { # field: Rss or Pss
    local sum=0
    for p in $(tree_pids "$1"); do
        v=$(awk -v f="$2:" '$1==f {print $2}' "/proc/$p/smaps_rollup" 2>/dev/null || echo 0)
        sum=$((sum + ${v:-0}))
    done
    echo "$sum"
}

# Starts "$@" and waits until the pixel turns orange: sets RUNPID and MS (milliseconds).
start_app() {
    local t0
    t0=$(date +%s%N)
    "$@" >/dev/null 2>&1 &
    RUNPID=$!
    until is_orange; do
        if [ $(( ($(date +%s%N) - t0) / 1000000 )) -gt 20000 ]; then echo "timeout: $*" >&2; return 1; fi
    done
    MS=$(( ($(date +%s%N) - t0) / 1000000 ))
}

median() { sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : int((a[NR/2]+a[NR/2+1])/2))}'; }

measure() { # name, cold (1: drop the page cache before each start), command…
    local name=$1 cold=$2; shift 2
    local starts=() rss=() pss=()
    "$@" >/dev/null 2>&1 & sleep 3; kill -TERM $! 2>/dev/null; wait $! 2>/dev/null || true # warm-up
    for i in $(seq "$RUNS"); do
        if [ "$cold" = 1 ]; then sync; echo 3 > /proc/sys/vm/drop_caches 2>/dev/null || true; fi
        start_app "$@"
        starts+=("$MS")
        sleep 3 # idle
        rss+=("$(tree_kib $RUNPID Rss)")
        pss+=("$(tree_kib $RUNPID Pss)")
        kill -TERM $RUNPID; wait $RUNPID 2>/dev/null || true
        sleep 0.5
    done
    echo "$name $(printf '%s\n' "${starts[@]}" | median) $(printf '%s\n' "${rss[@]}" | median) $(printf '%s\n' "${pss[@]}" | median)"
}

DATA=$(mktemp -d)
"$APP" --data-dir "$DATA" demo >/dev/null
cold=$( (sync; echo 3 > /proc/sys/vm/drop_caches) 2>/dev/null && echo "dropped" || echo "NOT dropped (needs root)")

read -r _ a_cold _ _ < <(measure app 1 "$APP" --data-dir "$DATA")
read -r _ m_cold _ _ < <(measure minimal 1 "$MINBIN")
read -r _ a_ms a_rss a_pss < <(measure app 0 "$APP" --data-dir "$DATA")
read -r _ m_ms m_rss m_pss < <(measure minimal 0 "$MINBIN")
rm -rf "$DATA"

size() { stat -c %s "$1"; }
strip_size() { local t; t=$(mktemp); strip -o "$t" "$1"; stat -c %s "$t"; rm -f "$t"; }
mib() { awk -v b="$1" 'BEGIN {printf "%.1f MiB", b/1048576}'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2f", a/b}'; }

cat <<MD | tee "$OUT/app.md"
Measured $(date -u +%Y-%m-%d) on $(nproc) cores, median of $RUNS runs each, Xvfb 1280×800;
"cold" = page cache $cold before each start; memory after 3 s idle on the first screen:

| figure | RusToK Edge | minimal Tauri 2 window | ratio | target |
|---|---|---|---|---|
| start to first screen painted (login / page), warm | ${a_ms} ms | ${m_ms} ms | $(ratio "$a_ms" "$m_ms") | ≤ 1.5 s |
| start to first screen painted, cold | ${a_cold} ms | ${m_cold} ms | $(ratio "$a_cold" "$m_cold") | — |
| idle RSS, whole process tree (app + WebKit) | $(mib $((a_rss*1024))) | $(mib $((m_rss*1024))) | $(ratio "$a_rss" "$m_rss") | ≤ 1.3× |
| idle PSS, whole process tree | $(mib $((a_pss*1024))) | $(mib $((m_pss*1024))) | $(ratio "$a_pss" "$m_pss") | — |
| release binary | $(mib "$(size "$APP")") | $(mib "$(size "$MINBIN")") | $(ratio "$(size "$APP")" "$(size "$MINBIN")") | — |
| release binary, stripped | $(mib "$(strip_size "$APP")") | $(mib "$(strip_size "$MINBIN")") | $(ratio "$(strip_size "$APP")" "$(strip_size "$MINBIN")") | — |
MD
