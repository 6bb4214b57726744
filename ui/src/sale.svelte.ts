// The sale in progress. It lives outside the checkout screen, so a look at the
// catalog, or a log-out and log-in at the till, leaves the cart as it was.
import { decimal, parseMoney, type Order, type Product } from "./api";

/** A discount as the cashier typed it: a percentage, an amount off, or a new price. */
export type CartDiscount = { kind: "percent" | "amount" | "price"; value: string };
export type CartLine = { product: Product; qty: number; discount?: CartDiscount };

export const sale = $state({
  /** The id this cart is sold under, made at the first payment and kept until the
   * next sale: a payment sent twice (a second Enter, a retry) sells once. */
  id: null as string | null,
  lines: [] as CartLine[],
  selected: 0,
  /** A discount on the whole sale. */
  discount: null as CartDiscount | null,
  /** The receipt of the sale just made, until the next one starts. */
  receipt: null as Order | null,
  /** The kiosk ticket this cart was scanned from (the sale records it). */
  ticket: null as string | null,
  /** Who left this cart on the till, when someone else is logged in now. */
  leftBy: null as { id: string; name: string } | null,
});

export function clearSale(): void {
  sale.id = null;
  sale.lines = [];
  sale.selected = 0;
  sale.discount = null;
  sale.receipt = null;
  sale.leftBy = null;
  sale.ticket = null;
}

let owner: { id: string; name: string } | null = null;

/**
 * The operator at the till is now `id` (`name`). A cart in progress stays on the
 * till for whoever logs in next — a colleague may finish it, park it or clear it —
 * and `sale.leftBy` names who left it, so it never arrives unannounced; a finished
 * sale's receipt is the last operator's business and is put away.
 */
export function saleFor(id: string, name: string): void {
  if (owner && owner.id !== id) {
    if (sale.receipt) clearSale();
    else if (sale.lines.length) sale.leftBy = owner;
  }
  if (sale.leftBy?.id === id) sale.leftBy = null;
  owner = { id, name };
}

/** A discount as the commands take it; a new price becomes the amount off the line. */
function discountArg(d: CartDiscount | null | undefined, line?: CartLine): Record<string, string> | undefined {
  if (!d) return undefined;
  if (d.kind === "percent") return { percent: d.value };
  if (d.kind === "amount" || !line) return { amount: d.value };
  const price = parseMoney(d.value);
  // An unreadable price goes as typed, for the command to refuse on its field.
  if (price === null) return { amount: d.value };
  return { amount: decimal((line.product.price - price) * line.qty) };
}

/** The basket as `quote` and `counter_sale` take it. */
export function basket(): { lines: Record<string, unknown>[]; discount?: Record<string, string> } {
  return {
    lines: sale.lines.map((l) => ({ productId: l.product.id, quantity: l.qty, discount: discountArg(l.discount, l) })),
    discount: discountArg(sale.discount),
  };
}

/** A UUIDv7 (RFC 9562): 48 bits of Unix milliseconds, then random bits, so sale
 * ids sort by time like every id the till makes. */
export function newSaleId(now: number = Date.now()): string {
  const b = crypto.getRandomValues(new Uint8Array(16));
  for (let i = 0; i < 6; i++) b[i] = Math.floor(now / 2 ** (8 * (5 - i))) & 0xff;
  b[6] = (b[6] & 0x0f) | 0x70;
  b[8] = (b[8] & 0x3f) | 0x80;
  const hex = Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
