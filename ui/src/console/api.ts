// The console's calls to central: same origin, the session cookie sent by the
// browser, the CSRF token on every change. Errors carry central's code.

export interface Person {
  person_id: string;
  tenant_slug: string | null;
  login: string;
  name: string;
}

export interface ConsoleSession {
  person: Person;
  csrf_token: string;
  expires_at_ms: number;
}

export interface HealthReport {
  protocol: number;
  app_version: string;
  schema_version: number;
  queue_depth: number;
  oldest_pending_secs?: number | null;
  breaker: string;
  device_time_ms: number;
  kind?: "till" | "kiosk" | null;
}

export interface DeviceHealth {
  device_id: string;
  tenant_id: string;
  device_code: string;
  revoked: boolean;
  acked_through: number;
  quarantined: number;
  reported_at_ms?: number;
  report?: HealthReport;
  clock_skew_ms?: number;
}

export type DeviceState = "healthy" | "warning" | "stale" | "revoked";

export interface FleetDevice {
  store: string;
  state: DeviceState;
  reasons: string[];
  health: DeviceHealth;
}

export interface Fleet {
  checked_at_ms: number;
  devices: FleetDevice[];
}

export interface HealthSample {
  reported_at_ms: number;
  clock_skew_ms: number;
  report: HealthReport;
}

export interface Store {
  code: string;
  name: string;
  address: string;
}

export interface ConsoleCode {
  code: string;
  tenant_slug: string;
  store: string;
  expires_at: number;
  qr_size: number;
  qr_path: string;
}

export interface AuditEntry {
  id: number;
  at_ms: number;
  actor: string;
  tenant_slug: string | null;
  action: string;
  detail: Record<string, unknown>;
}

export interface Totals {
  currency: string;
  orders: number;
  paid: number;
  refunds: number;
  refunded: number;
  net: number;
  discounts: number;
}

export interface DayRow {
  store: string;
  day: string;
  currency: string;
  orders: number;
  paid: number;
  refunds: number;
  refunded: number;
  discounts: number;
}

export interface SalesReport {
  from_ms: number;
  to_ms: number;
  offset_minutes: number;
  totals: Totals[];
  days: DayRow[];
  tenders: { method: string; currency: string; paid: number; refunded: number }[];
  top_products: { product_id: string; title: string; currency: string; quantity: number; amount: number }[];
  hours: { hour: number; currency: string; orders: number; paid: number }[];
  out_of_range: boolean;
  complete: boolean;
}

/** A refusal from central: its HTTP status, code and message. */
export class ApiError extends Error {
  constructor(
    public status: number,
    public code: string,
    message: string,
    public retryAfter: number | null = null,
  ) {
    super(message);
  }
}

let csrf = "";

/** Called when a call finds the session gone (401): the shell shows sign-in. */
export let onSignedOut: () => void = () => {};
export function setSignedOutHandler(f: () => void) {
  onSignedOut = f;
}

async function call<T>(method: string, path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = {};
  if (body !== undefined) headers["content-type"] = "application/json";
  if (method !== "GET") headers["x-csrf-token"] = csrf;
  let r: Response;
  try {
    r = await fetch("/console/api" + path, {
      method,
      headers,
      credentials: "same-origin",
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch {
    throw new ApiError(0, "network", "central cannot be reached");
  }
  if (r.status === 204) return undefined as T;
  const text = await r.text();
  const data = text ? JSON.parse(text) : null;
  if (!r.ok) {
    const retry = r.headers.get("retry-after");
    const e = new ApiError(r.status, data?.code ?? "unknown", data?.message ?? r.statusText, retry ? Number(retry) : null);
    if (r.status === 401 && path !== "/session") onSignedOut();
    throw e;
  }
  return data as T;
}

const tenantPath = (slug: string) => "/tenants/" + encodeURIComponent(slug);

export const api = {
  async signIn(login: string, password: string): Promise<ConsoleSession> {
    const s = await call<ConsoleSession>("POST", "/session", { login, password });
    csrf = s.csrf_token;
    return s;
  },
  async session(): Promise<ConsoleSession> {
    const s = await call<ConsoleSession>("GET", "/session");
    csrf = s.csrf_token;
    return s;
  },
  async signOut(): Promise<void> {
    await call<void>("DELETE", "/session");
    csrf = "";
  },
  tenants: () => call<string[]>("GET", "/tenants"),
  stores: (slug: string) => call<Store[]>("GET", tenantPath(slug) + "/stores"),
  fleet: (slug: string) => call<Fleet>("GET", tenantPath(slug) + "/devices"),
  history: (slug: string, device: string) =>
    call<HealthSample[]>("GET", tenantPath(slug) + "/devices/" + device + "/history"),
  revoke: (slug: string, device: string) =>
    call<void>("POST", tenantPath(slug) + "/devices/" + device + "/revoke"),
  code: (slug: string, store: string, validForSecs: number) =>
    call<ConsoleCode>("POST", tenantPath(slug) + "/codes", { store, valid_for_secs: validForSecs }),
  sales: (slug: string, from: string, to: string, offsetMinutes: number) =>
    call<SalesReport>(
      "GET",
      tenantPath(slug) + `/reports/sales?from=${from}&to=${to}&offset=${offsetMinutes}`,
    ),
  audit: (slug: string, before?: number) =>
    call<AuditEntry[]>("GET", tenantPath(slug) + "/audit" + (before ? "?before=" + before : "")),
};

/** A record as central holds it, merged from every device and head office. */
export interface RecordOut {
  id: string;
  fields: Record<string, unknown>;
  last: { hlc: string; origin: "device" | "central"; device: string };
}

export type Kind = "product" | "category" | "content" | "operator" | "settings";

/** One record's change: the fields set (null clears an optional one). */
export interface Edit {
  kind: Kind;
  id: string;
  fields: Record<string, unknown>;
}

export interface Clash {
  field: "sku" | "barcode";
  value: string;
  products: string[];
}

async function upload(path: string, bytes: Blob): Promise<{ digest: string; bytes: number }> {
  let r: Response;
  try {
    r = await fetch("/console/api" + path, {
      method: "POST",
      headers: { "content-type": "application/octet-stream", "x-csrf-token": csrf },
      credentials: "same-origin",
      body: bytes,
    });
  } catch {
    throw new ApiError(0, "network", "central cannot be reached");
  }
  const data = await r.json().catch(() => null);
  if (!r.ok) {
    if (r.status === 401) onSignedOut();
    throw new ApiError(r.status, data?.code ?? "unknown", data?.message ?? r.statusText);
  }
  return data;
}

export const catalogApi = {
  records: (slug: string, kind: Kind) => call<RecordOut[]>("GET", tenantPath(slug) + "/records/" + kind),
  change: (slug: string, changes: Edit[]) =>
    call<{ events: number; tenant_id: string }>("POST", tenantPath(slug) + "/changes", { changes }),
  clashes: (slug: string) => call<Clash[]>("GET", tenantPath(slug) + "/clashes"),
  upload: (slug: string, jpeg: Blob) => upload(tenantPath(slug) + "/images", jpeg),
  imageUrl: (slug: string, digest: string) => "/console/api" + tenantPath(slug) + "/images/" + digest,
};
