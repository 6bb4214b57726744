#!/usr/bin/env bash
# Builds the two Debian packages into target/debian/:
#   rustok-edge     the till and kiosk app: binary, desktop entry, icons, the config
#                   file's example, and a systemd user unit that runs a kiosk full
#                   screen and starts it again if it exits;
#   rustok-central  the central server: binary, a systemd service running as its own
#                   user with its data in /var/lib/rustok-central, settings in
#                   /etc/rustok-central/central.env.
# Plain dpkg-deb from a staged tree (see ARCHITECTURE.md, "Packaging"): Tauri's
# bundler does not take this repository's layout, and cargo-deb would be one more
# tool to build for files we write here anyway.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
OUT=$ROOT/target/debian
CARGO=${CARGO:-cargo}

$CARGO build --release --locked -p rustok-app -p rustok-central
EDGE=$ROOT/target/release/rustok-edge
CENTRAL=$ROOT/target/release/rustok-central
VERSION=$("$EDGE" --version | awk '{print $2}')
ARCH=$(dpkg --print-architecture)
rm -rf "$OUT"
mkdir -p "$OUT"

# Runtime libraries a binary links, as Debian package names and versions.
depends() {
    local tmp
    tmp=$(mktemp -d)
    mkdir -p "$tmp/debian"
    printf 'Source: rustok\n\nPackage: %s\nArchitecture: any\n' "$2" > "$tmp/debian/control"
    (cd "$tmp" && dpkg-shlibdeps -O -e"$1" 2>/dev/null) | sed -n 's/^shlibs:Depends=//p'
    rm -rf "$tmp"
}

# control FILE PACKAGE DEPENDS SUMMARY DESCRIPTION
control() {
    local size
    size=$(du -sk --exclude=DEBIAN "$(dirname "$1")/.." | cut -f1)
    cat > "$1" <<EOF
Package: $2
Version: $VERSION
Architecture: $ARCH
Maintainer: RusToK Edge <packages@rustok.invalid>
Installed-Size: $size
Depends: $3
Section: misc
Priority: optional
Description: $4
$5
EOF
}

# --- the till ---------------------------------------------------------------
T=$OUT/rustok-edge
install -D -m 0755 "$EDGE" "$T/usr/bin/rustok-edge"
strip "$T/usr/bin/rustok-edge"
install -D -m 0644 packaging/rustok-edge.desktop "$T/usr/share/applications/rustok-edge.desktop"
install -D -m 0644 packaging/rustok-kiosk.service "$T/usr/lib/systemd/user/rustok-kiosk.service"
install -D -m 0644 icons/32x32.png "$T/usr/share/icons/hicolor/32x32/apps/rustok-edge.png"
install -D -m 0644 icons/128x128.png "$T/usr/share/icons/hicolor/128x128/apps/rustok-edge.png"
install -D -m 0644 icons/128x128@2x.png "$T/usr/share/icons/hicolor/256x256/apps/rustok-edge.png"
install -d "$T/usr/share/doc/rustok-edge"
"$EDGE" config-example > "$T/usr/share/doc/rustok-edge/config.example.toml"
install -m 0644 packaging/copyright "$T/usr/share/doc/rustok-edge/copyright"
install -d "$T/DEBIAN"
control "$T/DEBIAN/control" rustok-edge "$(depends "$T/usr/bin/rustok-edge" rustok-edge)" \
    "offline-first shop till and self-service kiosk" \
" The till never stops, and nothing is lost or counted twice: every sale is
 kept in SQLite with its event, and synced to a central server whenever the
 network is there. Start it from the menu (RusToK Edge); a kiosk runs as
 'systemctl --user enable --now rustok-kiosk' on its own account."

# --- central ----------------------------------------------------------------
C=$OUT/rustok-central
install -D -m 0755 "$CENTRAL" "$C/usr/bin/rustok-central"
strip "$C/usr/bin/rustok-central"
install -D -m 0644 packaging/rustok-central.service "$C/usr/lib/systemd/system/rustok-central.service"
install -D -m 0640 packaging/central.env "$C/etc/rustok-central/central.env"
install -D -m 0644 packaging/copyright "$C/usr/share/doc/rustok-central/copyright"
install -d "$C/DEBIAN"
install -m 0755 packaging/central.postinst "$C/DEBIAN/postinst"
install -m 0755 packaging/central.prerm "$C/DEBIAN/prerm"
install -m 0755 packaging/central.postrm "$C/DEBIAN/postrm"
echo /etc/rustok-central/central.env > "$C/DEBIAN/conffiles"
control "$C/DEBIAN/control" rustok-central "adduser, $(depends "$C/usr/bin/rustok-central" rustok-central)" \
    "central server of RusToK Edge shops" \
" Takes every till's events once, whatever the network did, and gives each
 till what head office and the other tills changed; the head-office console
 is at /console. Runs as the rustok-central service; settings in
 /etc/rustok-central/central.env."

for p in rustok-edge rustok-central; do
    fakeroot dpkg-deb --build -Zxz "$OUT/$p" "$OUT/${p}_${VERSION}_${ARCH}.deb" >/dev/null
done
ls -l "$OUT"/*.deb
