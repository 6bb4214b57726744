// What the catalog screens share: new record ids, amounts typed as people type
// them, a record's changed fields, and photos scaled in the browser to the
// picture central keeps (a JPEG at most 640 pixels a side).

/** A new record's id: a UUID version 7 (time-ordered, as the tills make them). */
export function newId(): string {
  const b = new Uint8Array(16);
  crypto.getRandomValues(b);
  let ms = Date.now();
  for (let i = 5; i >= 0; i--) {
    b[i] = ms % 256;
    ms = Math.floor(ms / 256);
  }
  b[6] = (b[6] & 0x0f) | 0x70;
  b[8] = (b[8] & 0x3f) | 0x80;
  const h = Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/** Decimals of `currency` (2 when unknown; 0 for yen). */
export function exponentOf(currency: string): number {
  try {
    return new Intl.NumberFormat("en", { style: "currency", currency }).resolvedOptions().maximumFractionDigits ?? 2;
  } catch {
    return 2;
  }
}

/** "12,50" or "12.5" in minor units; null when it is not an amount of `exp`
 *  decimals (or too large to be exact). */
export function parseAmount(text: string, exp: number): number | null {
  const m = /^(\d{1,15})(?:[.,](\d*))?$/.exec(text.trim());
  if (!m) return null;
  const frac = m[2] ?? "";
  if (frac.length > exp) return null;
  const minor = Number(m[1]) * 10 ** exp + (frac ? Number(frac.padEnd(exp, "0")) : 0);
  return Number.isSafeInteger(minor) ? minor : null;
}

/** Minor units as a plain decimal to edit: "12.50", "1200" for yen. */
export function amountText(minor: number, exp: number): string {
  if (exp === 0) return String(minor);
  const unit = 10 ** exp;
  return `${Math.floor(minor / unit)}.${String(minor % unit).padStart(exp, "0")}`;
}

/** A tax rate typed in percent ("20", "7,5") as basis points; null otherwise. */
export function parsePercent(text: string): number | null {
  const bp = parseAmount(text, 2);
  return bp !== null && bp <= 10_000 ? bp : null;
}

/** JSON with object keys in order, so two equal values give one text. */
function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(",")}]`;
  if (v && typeof v === "object") {
    const entries = Object.entries(v as Record<string, unknown>).filter(([, x]) => x !== undefined);
    entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, x]) => `${JSON.stringify(k)}:${canonical(x)}`).join(",")}}`;
  }
  return JSON.stringify(v);
}

/** Unset, null, an empty map and an empty list are one value: nothing. */
const nothing = (v: unknown) => v === undefined || v === null || canonical(v) === "{}" || canonical(v) === "[]";

/** The fields of `next` that differ from `old`, and those `old` had and `next`
 *  clears (null). */
export function changed(old: Record<string, unknown>, next: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(next)) {
    if (nothing(v)) {
      if (!nothing(old[k])) out[k] = null;
    } else if (canonical(v) !== canonical(old[k])) {
      out[k] = v;
    }
  }
  return out;
}

/** A localized text map without empty entries. */
export function localized(texts: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(texts).map(([k, v]) => [k, v.trim()]).filter(([, v]) => v !== ""));
}

/** The text of a localized map in `lang`, else English, else any. */
export function pick(map: unknown, lang: string): string {
  const m = (map ?? {}) as Record<string, unknown>;
  const v = m[lang] ?? m.en ?? Object.values(m)[0];
  if (typeof v === "string") return v;
  if (v && typeof v === "object" && "title" in v) return String((v as { title: unknown }).title);
  return "";
}

/** The largest side of a picture central keeps. */
const PICTURE_EDGE = 640;

/** A photo the person chose, scaled to fit 640×640 and encoded as a JPEG. */
export async function scaledJpeg(file: File): Promise<Blob> {
  const bitmap = await createImageBitmap(file);
  const scale = Math.min(1, PICTURE_EDGE / Math.max(bitmap.width, bitmap.height));
  const w = Math.max(1, Math.round(bitmap.width * scale));
  const h = Math.max(1, Math.round(bitmap.height * scale));
  const canvas = document.createElement("canvas");
  canvas.width = w;
  canvas.height = h;
  const g = canvas.getContext("2d");
  if (!g) throw new Error("this browser cannot draw pictures");
  g.fillStyle = "#fff";
  g.fillRect(0, 0, w, h);
  g.drawImage(bitmap, 0, 0, w, h);
  bitmap.close();
  for (const quality of [0.85, 0.7, 0.5]) {
    const blob = await new Promise<Blob | null>((ok) => canvas.toBlob(ok, "image/jpeg", quality));
    if (blob && blob.size <= 1024 * 1024) return blob;
  }
  throw new Error("the picture stays over 1 MiB as a JPEG");
}

/** A map, or nothing when it is empty (an empty optional field is left unset). */
export function nonEmpty<T extends Record<string, unknown>>(m: T): T | undefined {
  return Object.keys(m).length ? m : undefined;
}

/** A barcode as a till takes it: spaces and hyphens dropped; null when it is not
 *  8, 12 or 13 digits with a right GS1 check digit ("" stays "": no barcode). */
export function parseBarcode(text: string): string | null {
  const b = text.replace(/[\s-]/g, "");
  if (b === "") return "";
  if (!/^(\d{8}|\d{12}|\d{13})$/.test(b)) return null;
  const body = b.slice(0, -1);
  let sum = 0;
  for (let i = 0; i < body.length; i++) sum += Number(body[body.length - 1 - i]) * (i % 2 === 0 ? 3 : 1);
  return (10 - (sum % 10)) % 10 === Number(b[b.length - 1]) ? b : null;
}

/** Texts in the order people read them: SKU-2 before SKU-10. */
export const natural = (a: string, b: string) => a.localeCompare(b, undefined, { numeric: true, sensitivity: "base" });
