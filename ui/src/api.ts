// Typed access to the app's commands. Errors arrive as { code, message, fields?,
// params? }: screens branch on `code` and word the error with `$explain` (errors.ts)
// in the UI language; `message` is English, for logs.
import { convertFileSrc, invoke } from "@tauri-apps/api/core";
import { listen, type UnlistenFn } from "@tauri-apps/api/event";
import { numberFormat } from "./format.svelte";

// Every shape a command returns is declared from the Rust DTOs (generated/dto.ts,
// kept current by the app's `bindings` test); the names the screens use:
export type {
  ApiError, ApiFieldError,
  AppInfoDto as AppInfo, LoginChoiceDto as LoginChoice, SessionDto as Session, ProductDto as Product,
  LineDto as Line, ShortLineDto as ShortLine, QuoteDto as Quote, PaymentDto as Payment, HistoryDto as HistoryItem,
  OrderDto as Order, RefundDto as Refund, ShiftDto as Shift, ClosePreviewDto as ClosePreview,
  ShiftReportDto as ShiftReport, ParkedDto as Parked, CartDto as ResumedCart, OperatorDto as Operator,
  OperatorRowDto as OperatorRow, OperatorsDto as Operators, SyncStatusDto as SyncStatus,
  DeadLetterDto as DeadLetter, JoinProgressDto as JoinProgress, StatusBarDto as StatusBar, TicketCartDto as TicketCart,
  CategoryDto as Category, ClashDto as Clash, ContentDto as Content, ShownContentDto as ShownContent,
  SettingsDto as Settings, Problem as ConfigProblem, ImportReportDto as ImportReport,
  ImportProgressDto as ImportProgress, RejectedRowDto as RejectedRow,
  Command, Operation,
} from "./generated/dto";
import type { ApiError, ApiFieldError, AppInfoDto as AppInfo, Command } from "./generated/dto";

export class CommandError extends Error {
  constructor(public readonly error: ApiError) { super(error.message); }
  get code(): string { return this.error.code; }
  /** The error of field `name` (or of a part of it), to word with `$explain.field`. */
  field(name: string): ApiFieldError | undefined {
    return this.error.fields?.find((f) => f.field === name || f.field.startsWith(name + "."));
  }
}

export async function call<T>(cmd: Command, args: Record<string, unknown> = {}): Promise<T> {
  return send<T>(cmd, args);
}

/** A command whose argument is a file's bytes, sent as they are (not as JSON). */
export async function callWithBytes<T>(cmd: Command, bytes: Uint8Array): Promise<T> {
  return send<T>(cmd, bytes);
}

/** Where the window shows the stored image named `digest` from. */
export function imageUrl(digest: string): string {
  return convertFileSrc(digest, "rimg");
}

async function send<T>(cmd: Command, args: Record<string, unknown> | Uint8Array): Promise<T> {
  try {
    return await invoke<T>(cmd, args);
  } catch (e) {
    const err = e as ApiError;
    if (err && typeof err === "object" && "code" in err) throw new CommandError(err);
    throw new CommandError({ code: "internal", message: String(e), fields: null, retry_after_secs: null, attempts_left: null, params: {} });
  }
}

export function onDataChanged(f: () => void): Promise<UnlistenFn> {
  return listen("data-changed", () => f());
}

export function onSyncChanged(f: () => void): Promise<UnlistenFn> {
  return listen("sync-changed", () => f());
}

/** How far the running catalog import has got. */
export function onImportProgress(f: (p: import("./generated/dto").ImportProgressDto) => void): Promise<UnlistenFn> {
  return listen<import("./generated/dto").ImportProgressDto>("import-progress", (e) => f(e.payload));
}

/** The device's config file was read again (a value changed, or it was refused). */
export function onConfigChanged(f: () => void): Promise<UnlistenFn> {
  return listen("config-changed", () => f());
}



let exponent = 2;
let currency = "";
/** The shop's currency code. */
export function currencyCode(): string {
  return currency;
}
/** The shop and till a receipt names, and the paper this till prints on. */
export const shop = { name: "", address: "", device: "", paper: "80" as AppInfo["paper"] };
export function setMoneyFormat(info: AppInfo): void {
  exponent = info.exponent;
  currency = info.currency ?? "";
  shop.name = info.shop_name ?? "";
  shop.address = info.shop_address ?? "";
  shop.device = info.device_code ?? "";
  shop.paper = info.paper;
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

/** Minor units as a person reads them in the UI language ("12.34", "12,34"): for
 * amounts shown, and for amounts put into a field to edit (parseMoney reads both). */
export function shown(minor: number): string {
  const d = decimal(minor);
  return numberFormat.separator === "." ? d : d.replace(".", numberFormat.separator);
}

/** Minor units with the currency, thousands grouped as the UI language groups them:
 * "12,345.60 EUR" in English, "12 345,60 EUR" in Russian. */
export function money(minor: number): string {
  const text = shown(minor);
  const sep = numberFormat.separator;
  const cut = text.indexOf(sep);
  const [whole, frac] = cut >= 0 ? [text.slice(0, cut), text.slice(cut)] : [text, ""];
  const group = sep === "." ? "," : "\u00a0";
  const digits = whole.replace(/\B(?=(\d{3})+(?!\d))/g, group);
  return `${digits}${frac} ${currency}`.trim();
}
