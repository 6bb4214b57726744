// Scanner input: a barcode scanner types a burst of keys, each a few milliseconds
// after the last, and then Enter — faster than any person types. Such a burst always
// goes to the cart, whichever field has focus: the field gets back what it held
// before the burst, and the Enter presses no button and submits no form. Fields
// marked `data-scan` (the checkout's scan field, the catalog's search and barcode)
// take scans themselves, as their whole entry.

/** Longest gap between two keys of one burst, in milliseconds. */
const GAP_MS = 30;
/** Fewest characters a burst must have (EAN-8 and short SKUs). */
const MIN_LEN = 6;
const SCAN_CHAR = /^[0-9A-Za-z_-]$/;
/** A quantity typed for the scan that follows it, e.g. "3*". */
const QTY_FIRST = /^\s*\d+\s*[*×]\s*$/;

type Field = HTMLInputElement | HTMLTextAreaElement;

let buffer = "";
let last = -Infinity;
let field: Field | null = null;
let before = "";
let handler: ((code: string) => void) | null = null;
let unrouted: (() => boolean) | null = null;
const waiting: string[] = [];

function isField(el: EventTarget | null): el is Field {
  return el instanceof HTMLInputElement || el instanceof HTMLTextAreaElement;
}

function takesScans(el: EventTarget | null): boolean {
  return el instanceof HTMLElement && el.closest("[data-scan]") !== null;
}

function deliver(code: string) {
  if (handler) handler(code);
  // Kept for the checkout only when the app can show it (someone is logged in): a
  // scan on the login screen is dropped, not added to a later cart.
  else if (unrouted?.()) waiting.push(code);
}

function onKeyDown(e: KeyboardEvent) {
  const now = e.timeStamp;
  if (e.key === "Enter") {
    const burst = buffer.length >= MIN_LEN && now - last <= GAP_MS;
    const code = buffer;
    buffer = "";
    if (!burst) return;
    if (takesScans(e.target)) {
      // A scan is the whole entry of a field that takes scans: what was typed
      // before it (half a name, a refused quantity) is dropped, except a quantity
      // waiting for it ("3*").
      if (field && before !== "" && !QTY_FIRST.test(before)) {
        field.value = code;
        field.dispatchEvent(new Event("input", { bubbles: true }));
      }
      return;
    }
    e.preventDefault();
    e.stopImmediatePropagation();
    if (field && field.value !== before) {
      field.value = before;
      field.dispatchEvent(new Event("input", { bubbles: true }));
    }
    deliver(code);
    return;
  }
  if (SCAN_CHAR.test(e.key) && !e.ctrlKey && !e.altKey && !e.metaKey) {
    if (now - last > GAP_MS) {
      buffer = "";
      field = isField(e.target) ? e.target : null;
      before = field?.value ?? "";
    }
    buffer += e.key;
    last = now;
  } else if (e.key.length === 1 || e.key === "Backspace") {
    buffer = "";
  }
}

/**
 * Listens for scanner bursts in the whole window. `onUnrouted` is called when a scan
 * arrives while no screen takes scans: it shows the checkout, which then takes the
 * waiting scan, and says whether it could (false drops the scan).
 */
export function installScanner(onUnrouted: () => boolean): () => void {
  unrouted = onUnrouted;
  window.addEventListener("keydown", onKeyDown, true);
  return () => window.removeEventListener("keydown", onKeyDown, true);
}

/** Takes scans that bursts deliver, starting with any that waited. */
export function onScan(h: (code: string) => void): () => void {
  handler = h;
  for (const code of waiting.splice(0)) h(code);
  return () => {
    if (handler === h) handler = null;
  };
}
