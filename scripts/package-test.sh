#!/usr/bin/env bash
# What `make test` checks of `make package`: both packages install with dpkg, put
# their files where they belong, run (the app says its version and reads its own
# config example; central answers /healthz on loopback as its service user), and
# go again with dpkg -r (and -P), leaving nothing but data. Needs root.
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=target/debian
EDGE_DEB=$(ls "$OUT"/rustok-edge_*.deb)
CENTRAL_DEB=$(ls "$OUT"/rustok-central_*.deb)
VERSION=$(dpkg-deb -f "$EDGE_DEB" Version)
fail() {
    echo "package check: $*" >&2
    exit 1
}
TMP=$(mktemp -d)
CENTRAL_PID=
cleanup() {
    [ -n "$CENTRAL_PID" ] && kill "$CENTRAL_PID" 2>/dev/null || true
    dpkg -P rustok-edge rustok-central >/dev/null 2>&1 || true
    rm -rf "$TMP"
}
export RUST_LOG=error
trap cleanup EXIT
# The data folder is the machine's if it was there before; else this check's.
OWN_DATA=yes
[ -e /var/lib/rustok-central ] && OWN_DATA=
# Whatever an interrupted earlier run left installed.
dpkg -P rustok-edge rustok-central >/dev/null 2>&1 || true

dpkg -i "$EDGE_DEB" "$CENTRAL_DEB" >/dev/null
for f in /usr/bin/rustok-edge \
    /usr/share/applications/rustok-edge.desktop \
    /usr/lib/systemd/user/rustok-kiosk.service \
    /usr/share/icons/hicolor/128x128/apps/rustok-edge.png \
    /usr/share/doc/rustok-edge/config.example.toml \
    /usr/share/doc/rustok-edge/copyright \
    /usr/bin/rustok-central \
    /usr/lib/systemd/system/rustok-central.service \
    /etc/rustok-central/central.env; do
    [ -e "$f" ] || fail "$f is missing after dpkg -i"
done
grep -q '^Exec=rustok-edge$' /usr/share/applications/rustok-edge.desktop || fail "desktop entry"
grep -q '^ExecStart=/usr/bin/rustok-edge --kiosk$' /usr/lib/systemd/user/rustok-kiosk.service || fail "kiosk unit"
grep -q '^Restart=always$' /usr/lib/systemd/user/rustok-kiosk.service || fail "kiosk restarts"
[ "$(stat -c %a /etc/rustok-central/central.env)" = 640 ] || fail "central.env must not be world-readable"
getent passwd rustok-central >/dev/null || fail "no rustok-central user"

[ "$(rustok-edge --version)" = "rustok-edge $VERSION" ] || fail "rustok-edge --version: $(rustok-edge --version)"
# The installed example is a config the installed app takes, as it is.
rustok-edge --data-dir "$TMP/till" --config /usr/share/doc/rustok-edge/config.example.toml demo >/dev/null
status=$(RUST_LOG=error rustok-edge --data-dir "$TMP/till" --config /usr/share/doc/rustok-edge/config.example.toml status)
echo "$status" | grep -q "^config file:    /usr/share/doc/rustok-edge/config.example.toml$" || fail "status: $status"
echo "$status" | grep -q "config problem" && fail "the example has problems: $status"

# Central, as its service runs it: its own user, its own data folder, loopback.
mkdir -p "$TMP/central"
chown rustok-central: "$TMP/central"
chmod 755 "$TMP"
runuser -u rustok-central -- /usr/bin/rustok-central --data-dir "$TMP/central" \
    --listen 127.0.0.1:0 2> "$TMP/central.log" &
CENTRAL_PID=$!
URL=
for _ in $(seq 1 100); do
    URL=$(sed -n 's/.*listening on \(http:\/\/127\.0\.0\.1:[0-9]*\).*/\1/p' "$TMP/central.log" | head -1)
    [ -n "$URL" ] && break
    kill -0 "$CENTRAL_PID" 2>/dev/null || fail "central exited: $(cat "$TMP/central.log")"
    sleep 0.1
done
[ -n "$URL" ] || fail "central did not listen: $(cat "$TMP/central.log")"
python3 - "$URL/healthz" <<'EOF' || fail "central did not answer /healthz"
import sys, urllib.request
with urllib.request.urlopen(sys.argv[1], timeout=5) as r:
    assert r.status == 200, r.status
EOF
[ "$(stat -c %U "$TMP/central/central.db")" = rustok-central ] || fail "central's data is not its user's"
kill "$CENTRAL_PID"
wait "$CENTRAL_PID" 2>/dev/null || true
CENTRAL_PID=

dpkg -r rustok-edge rustok-central >/dev/null
for f in /usr/bin/rustok-edge /usr/bin/rustok-central \
    /usr/share/applications/rustok-edge.desktop \
    /usr/lib/systemd/user/rustok-kiosk.service \
    /usr/lib/systemd/system/rustok-central.service; do
    [ -e "$f" ] && fail "$f is left after dpkg -r"
done
[ -e /etc/rustok-central/central.env ] || fail "dpkg -r must keep the settings (dpkg -P takes them)"
dpkg -P rustok-edge rustok-central >/dev/null 2>&1
[ -e /etc/rustok-central ] && fail "/etc/rustok-central is left after dpkg -P"
getent passwd rustok-central >/dev/null && fail "the rustok-central user is left after dpkg -P"
[ -e "$TMP/central/central.db" ] || fail "the data must stay"
[ -d /var/lib/rustok-central ] || fail "the service's data folder must stay"
[ -n "$OWN_DATA" ] && rm -rf /var/lib/rustok-central
echo "packages ok: $(basename "$EDGE_DEB") $(basename "$CENTRAL_DEB") installed, run, removed"
