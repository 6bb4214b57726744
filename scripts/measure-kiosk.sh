#!/usr/bin/env bash
# Measures the kiosk in the real window (release build, WebKitGTK under Xvfb, driven
# through WebDriver) on a shop of 10,000 products: the time from touching a category
# of 500 tiles, each with a picture of its own, to the tiles painted and to the
# visible pictures shown; and the frame intervals while that list is scrolled to its
# end. In the same window and run, the floor: 500 bare text buttons, no pictures,
# put in the page and scrolled the same way. Prints a Markdown table with ratios.
#
#   bash scripts/measure-kiosk.sh [RUNS]      (default 5)
#
# Needs Xvfb, tauri-driver (make tools) and ImageMagick (make measure installs it).
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${1:-5}
ROOT=$PWD
OUT=$ROOT/target/measure/kiosk
DATA=$OUT/data
command -v convert >/dev/null || { echo "needs ImageMagick: apt-get install imagemagick" >&2; exit 1; }
command -v tauri-driver >/dev/null || { echo "needs tauri-driver: make tools" >&2; exit 1; }

echo "building the release binary…" >&2
make -s ui >/dev/null
cargo build --release --locked -p rustok-app --bin rustok-edge >&2
APP=$ROOT/target/release/rustok-edge

# --- the shop: the demo, grown to 10,000 products; 500 of them in "Drinks" ---------
rm -rf "$OUT" && mkdir -p "$OUT"
"$APP" --data-dir "$DATA" demo >/dev/null 2>&1
# One 640-pixel photograph-like picture (what the till keeps of a product's photo),
# made distinct per product by a JPEG comment, so the window decodes 500 pictures.
convert -size 640x640 -seed 7 plasma:fractal -quality 85 "$OUT/photo.jpg"
python3 - "$DATA" "$OUT/photo.jpg" <<'PY'
import hashlib, json, sqlite3, sys, uuid
data, photo = sys.argv[1], open(sys.argv[2], "rb").read()
db = sqlite3.connect(f"{data}/shop.db")
tenant, = db.execute("SELECT id FROM tenants").fetchone()
drinks, = db.execute("SELECT id FROM categories WHERE names LIKE '%\"Drinks\"%'").fetchone()
in_drinks, = db.execute("SELECT count(*) FROM products WHERE category_id = ?", (drinks,)).fetchone()
have, = db.execute("SELECT count(*) FROM products").fetchone()
rows = []
for i in range(10_000 - have):
    digest = None
    if i < 500 - in_drinks:
        comment = f"product {i}".encode()
        jpeg = photo[:2] + b"\xff\xfe" + (len(comment) + 2).to_bytes(2, "big") + comment + photo[2:]
        digest = hashlib.sha256(jpeg).hexdigest()
        open(f"{data}/images/{digest}.jpg", "wb").write(jpeg)
    rows.append((str(uuid.uuid4()), tenant, f"BULK-{i:05}",
                 json.dumps({"en": f"Product {i:05}", "ru": f"Товар {i:05}"}),
                 100 + i % 5000, drinks if digest else None, digest))
db.executemany(
    "INSERT INTO products (id, tenant_id, sku, titles, descriptions, price, currency, tax_rate_bp,"
    " status, on_hand, low_stock_threshold, version, updated_at, category_id, image)"
    " VALUES (?, ?, ?, ?, '{}', ?, 'EUR', 2000, 'active', 10, 0, 1, '2026-12-01T10:00:00Z', ?, ?)", rows)
db.commit()
total, = db.execute("SELECT count(*) FROM products").fetchone()
tiles, = db.execute("SELECT count(*) FROM products WHERE category_id = ?", (drinks,)).fetchone()
print(f"{total} products, {tiles} in Drinks", file=sys.stderr)
PY

# --- the window -------------------------------------------------------------------
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
PORT=$(free_port); NATIVE=$(free_port)
Xvfb :79 -screen 0 1280x800x24 -nolisten tcp >/dev/null 2>&1 &
XVFB=$!
DISPLAY=:79 RUSTOK_DATA_DIR=$DATA tauri-driver --port "$PORT" --native-port "$NATIVE" >"$OUT/driver.log" 2>&1 &
DRIVER=$!
trap 'kill $DRIVER $XVFB 2>/dev/null || true' EXIT
WD=http://127.0.0.1:$PORT
for _ in $(seq 50); do curl -s "$WD/status" >/dev/null && break; sleep 0.2; done
SESSION=$(curl -s -X POST "$WD/session" -H 'Content-Type: application/json' -d "{\"capabilities\":{\"alwaysMatch\":{\"browserName\":\"wry\",\"tauri:options\":{\"application\":\"$APP\"}}}}" \
  | python3 -c 'import json,sys; print(json.load(sys.stdin)["value"]["sessionId"])')
# A scroll to the end of 500 tiles takes longer than WebDriver's default 30 s.
curl -s -X POST "$WD/session/$SESSION/timeouts" -H 'Content-Type: application/json' -d '{"script": 600000}' >/dev/null
# Runs an async script (its last argument is the callback); prints its value as JSON.
js() {
  python3 -c 'import json,sys; print(json.dumps({"script": sys.argv[1], "args": []}))' "$1" \
    | curl -s -X POST "$WD/session/$SESSION/execute/async" -H 'Content-Type: application/json' -d @- \
    | python3 -c 'import json,sys; print(json.dumps(json.load(sys.stdin)["value"]))'
}

HELPERS='
const done = arguments[arguments.length - 1];
const until = (f) => new Promise((r) => { const t = () => (f() ? r() : requestAnimationFrame(t)); t(); });
const painted = () => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));
const scroll = async (box) => {
  box.scrollTop = 0; await painted();
  const gaps = []; let last = performance.now();
  while (box.scrollTop + box.clientHeight < box.scrollHeight - 1) {
    box.scrollTop += 60;
    await new Promise((r) => requestAnimationFrame(r));
    const now = performance.now(); gaps.push(now - last); last = now;
  }
  gaps.sort((a, b) => a - b);
  return { frames: gaps.length, median: gaps[gaps.length >> 1], p95: gaps[Math.floor(gaps.length * 0.95)] };
};
const category = (name) => [...document.querySelectorAll("[data-test=kiosk-category]")].find((b) => b.textContent.trim() === name);
'

# The kiosk's operator logs in; the page starts again on the attract screen.
js "$HELPERS"'
(async () => {
  await until(() => document.querySelector("[data-test=login]"));
  const invoke = window.__TAURI_INTERNALS__.invoke;
  const kiosk = (await invoke("login_choices")).find((c) => c.role === "kiosk");
  await invoke("login", { operatorId: kiosk.id, pin: "4444" });
  localStorage.setItem("lang", "en");
  location.reload();
  done(true);
})();' >/dev/null
js "$HELPERS"'
(async () => {
  await until(() => document.querySelector("[data-test=kiosk-start]"));
  document.querySelector("[data-test=kiosk-start]").click();
  await until(() => category("Dairy"));
  done(true);
})();' >/dev/null

results=()
for run in $(seq "$RUNS"); do
  results+=("$(js "$HELPERS"'
(async () => {
  category("Dairy").click();
  await until(() => document.querySelectorAll("[data-test=kiosk-tile]").length === 60);
  await painted();
  const t0 = performance.now();
  category("Drinks").click();
  await until(() => document.querySelectorAll("[data-test=kiosk-tile]").length === 500);
  await painted();
  const tiles = performance.now() - t0;
  const shown = [...document.querySelectorAll(".tiles img")].filter((i) => i.getBoundingClientRect().top < innerHeight);
  await until(() => shown.every((i) => i.complete && i.naturalWidth > 0));
  const pictures = performance.now() - t0;
  const main = document.querySelector(".kiosk-main");
  const ours = await scroll(main);
  // The floor: 500 bare buttons with a title and a price, no pictures, no framework.
  const list = document.querySelector("[data-test=kiosk-tiles]");
  const floorList = list.cloneNode(false);
  list.replaceWith(floorList);
  const f0 = performance.now();
  const frag = document.createDocumentFragment();
  for (let i = 0; i < 500; i++) {
    const li = document.createElement("li"); const b = document.createElement("button");
    b.textContent = "Product " + i + " 1.00 EUR"; li.append(b); frag.append(li);
  }
  floorList.append(frag);
  await painted();
  const floor = performance.now() - f0;
  const floorScroll = await scroll(main);
  floorList.replaceWith(list);
  done({ tiles, pictures, floor, ours, floorScroll });
})();')")
done
kill $DRIVER $XVFB 2>/dev/null || true

printf '%s\n' "${results[@]}" >"$OUT/runs.jsonl"
python3 - "$OUT/runs.jsonl" <<'PY'
import json, statistics, sys
runs = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
med = lambda xs: statistics.median(xs)
first, warm = runs[0], runs[1:] or runs
def row(name, ours, floor, unit="ms"):
    print(f"| {name} | {ours:.0f} {unit} | {floor:.0f} {unit} | {ours / floor:.1f}× |")
print(f"Kiosk, 10,000 products, a category of 500 tiles with pictures; {len(runs)} runs in one window (median; the first run decodes every picture for the first time)\n")
print("| measure | kiosk | floor (500 bare buttons) | ratio |")
print("|---|---|---|---|")
row("tiles painted, first run", first["tiles"], first["floor"])
row("tiles painted, later runs", med([r["tiles"] for r in warm]), med([r["floor"] for r in warm]))
row("visible pictures shown, first run", first["pictures"], first["floor"])
row("visible pictures shown, later runs", med([r["pictures"] for r in warm]), med([r["floor"] for r in warm]))
row("scroll frame interval, median", med([r["ours"]["median"] for r in runs]), med([r["floorScroll"]["median"] for r in runs]))
row("scroll frame interval, 95th percentile", med([r["ours"]["p95"] for r in runs]), med([r["floorScroll"]["p95"] for r in runs]))
print(f"\nframes per scroll to the end (60 px a frame): kiosk {runs[0]['ours']['frames']}, floor {runs[0]['floorScroll']['frames']}")
PY
