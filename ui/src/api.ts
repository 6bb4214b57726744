// Typed access to the app's commands. Errors arrive as { code, message, fields?,
// params? }: screens branch on `code` and word the error with `$explain` (errors.ts)
// in the UI language; `message` is English, for logs.
import { invoke } from "@tauri-apps/api/core";
import { listen, type UnlistenFn } from "@tauri-apps/api/event";

export interface ApiFieldError { field: string; code: string; message: string; params?: Record<string, string> }
export interface ApiError {
  code: string;
  message: string;
  fields?: ApiFieldError[];
  params?: Record<string, string>;
  retry_after_secs?: number;
  attempts_left?: number;
}

export class CommandError extends Error {
  constructor(public readonly error: ApiError) { super(error.message); }
  get code(): string { return this.error.code; }
  /** The error of field `name` (or of a part of it), to word with `$explain.field`. */
  field(name: string): ApiFieldError | undefined {
    return this.error.fields?.find((f) => f.field === name || f.field.startsWith(name + "."));
  }
}

export async function call<T>(cmd: string, args: Record<string, unknown> = {}): Promise<T> {
  try {
    return await invoke<T>(cmd, args);
  } catch (e) {
    const err = e as ApiError;
    if (err && typeof err === "object" && "code" in err) throw new CommandError(err);
    throw new CommandError({ code: "internal", message: String(e) });
  }
}

export function onDataChanged(f: () => void): Promise<UnlistenFn> {
  return listen("data-changed", () => f());
}

export function onSyncChanged(f: () => void): Promise<UnlistenFn> {
  return listen("sync-changed", () => f());
}

export interface AppInfo { set_up: boolean; shop_name?: string; device_code?: string; currency?: string; exponent: number; default_locale?: string }
export interface LoginChoice { id: string; name: string; role: string }
export interface Session { operator_id: string; name: string; role: string; can: string[] }
export interface Product {
  id: string; sku: string; barcode?: string; title: string; titles: Record<string, string>;
  price: number; tax_rate_bp: number; status: string; on_hand: number; low_stock_threshold: number;
  low_stock: boolean; version: number;
}
export interface Line {
  product_id: string; sku: string; title: string; unit_price: number; quantity: number; net: number; tax: number; gross: number;
  titles: Record<string, string>; tax_rate_bp: number; line_discount: number; order_discount: number; discount_bp?: number;
}
export interface ShortLine { line: number; sku: string; on_hand: number; quantity: number }
export interface Quote {
  lines: Line[]; net: number; tax: number; gross: number;
  short: ShortLine[]; oversell_allowed: boolean; approves_oversell: boolean;
  discount: number; discount_needs_approval: boolean;
}
export interface Payment { method: string; amount: number; tendered?: number; change?: number; reference?: string }
export interface HistoryItem { seq: number; event_type: string; occurred_at: string }
export interface Order {
  id: string; number: string; status: string; created_at: string; lines: Line[]; net: number; tax: number; gross: number;
  payments: Payment[]; tracking?: string; refunded: number; refunded_units: number[]; refunds: Refund[];
  customer?: string; actions: string[]; history: HistoryItem[]; cashier_id?: string;
}
export interface Refund {
  amount: number; payments: { method: string; amount: number }[];
  lines?: { line: number; quantity: number; amount: number; restock: boolean }[]; reason?: string;
}
export interface Shift { id: string; opened_at: string; float: number; sales: number; refunds: number; cash_in: number; cash_out: number; expected?: number; counted?: number; difference?: number; unsynced_events?: number }
export interface ClosePreview { counted: number; expected: number; difference: number; limit?: number; approval_needed: boolean }
/** A shift's report: X while open, Z once closed. */
export interface ShiftReport {
  shift: Shift; closed: boolean; closed_at?: string; receipts: number; net: number; tax: number; gross: number;
  discounts: number; tenders: { method: string; amount: number }[];
  tax_rates: { rate_bp: number; net: number; tax: number; gross: number }[];
  refunds: number; refunded: number; refund_tenders: { method: string; amount: number }[];
}
/** A cart put aside at the till. */
export interface Parked { id: string; parked_at: string; lines: number; units: number; titles: { title: string; titles: Record<string, string> }[] }
/** A parked cart taken up again, at today's prices. */
export interface ResumedCart {
  lines: { product: Product; qty: number; discount?: { kind: "percent" | "amount"; value: string } }[];
  discount?: { kind: "percent" | "amount"; value: string };
  missing: number;
}
export interface Operator { id: string; name: string; role: string; active: boolean }
/** An operator with what the operator asking may do to it (the commands refuse the rest). */
export interface OperatorRow extends Operator { roles: string[]; deactivate: boolean; reset_pin: boolean }
export interface Operators { operators: OperatorRow[]; create_roles: string[] }
export interface SyncStatus {
  state: "not_enrolled" | "starting" | "syncing" | "online" | "offline" | "breaker_open" | "refused";
  central_url?: string; tenant?: string; pending: number; oldest_pending_secs?: number;
  last_success?: string; last_success_secs?: number; last_error?: string; last_error_kind?: string; breaker: string; rejected: number;
}
export interface DeadLetter { handler: string; seq: number; event_type: string; occurred_at: string; error: string; attempts: number; recorded_at: string }
export interface StatusBar { operator?: Session; shift?: Shift; sync?: SyncStatus }

let exponent = 2;
let currency = "";
/** The shop's currency code. */
export function currencyCode(): string {
  return currency;
}
/** The shop and till a receipt names. */
export const shop = { name: "", device: "" };
export function setMoneyFormat(info: AppInfo): void {
  exponent = info.exponent;
  currency = info.currency ?? "";
  shop.name = info.shop_name ?? "";
  shop.device = info.device_code ?? "";
}

/** Minor units as a decimal amount, e.g. 1234 → "12.34". */
export function decimal(minor: number): string {
  const sign = minor < 0 ? "-" : "";
  const abs = Math.abs(minor);
  if (exponent === 0) return sign + abs;
  const unit = 10 ** exponent;
  return `${sign}${Math.floor(abs / unit)}.${String(abs % unit).padStart(exponent, "0")}`;
}

/** The decimals of the shop's currency (JPY 0, EUR 2, BHD 3). */
export function moneyExponent(): number {
  return exponent;
}

/**
 * A decimal amount typed by a person, in minor units by the currency's exponent:
 * "12.5" → 1250 in EUR, "1250" → 1250 in JPY, "1.25" → 1250 in BHD. A comma counts as
 * the decimal point. `null` for anything else (letters, more decimals than the
 * currency has, a sign, or an amount too large to hold exactly).
 */
export function parseMoney(text: string, exp: number = exponent): number | null {
  const m = /^(\d{1,15})(?:[.,](\d*))?$/.exec(text.trim());
  if (!m) return null;
  const frac = m[2] ?? "";
  if (frac.length > exp) return null;
  const minor = Number(m[1]) * 10 ** exp + (frac ? Number(frac.padEnd(exp, "0")) : 0);
  return Number.isSafeInteger(minor) ? minor : null;
}

/** Minor units with the currency, e.g. "12.34 EUR". */
export function money(minor: number): string {
  return `${decimal(minor)} ${currency}`.trim();
}
