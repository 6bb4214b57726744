// The sale in progress. It lives outside the checkout screen, so a look at the
// catalog, or a log-out and log-in at the till, leaves the cart as it was.
import { decimal, parseMoney, type Order, type Product } from "./api";

/** A discount as the cashier typed it: a percentage, an amount off, or a new price. */
export type CartDiscount = { kind: "percent" | "amount" | "price"; value: string };
export type CartLine = { product: Product; qty: number; discount?: CartDiscount };

export const sale = $state({
  lines: [] as CartLine[],
  selected: 0,
  /** A discount on the whole sale. */
  discount: null as CartDiscount | null,
  /** The receipt of the sale just made, until the next one starts. */
  receipt: null as Order | null,
});

export function clearSale(): void {
  sale.lines = [];
  sale.selected = 0;
  sale.discount = null;
  sale.receipt = null;
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
