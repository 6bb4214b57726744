// The sale in progress. It lives outside the checkout screen, so a look at the
// catalog, or a log-out and log-in at the till, leaves the cart as it was.
import type { Order, Product } from "./api";

export type CartLine = { product: Product; qty: number };

export const sale = $state({
  lines: [] as CartLine[],
  selected: 0,
  /** The receipt of the sale just made, until the next one starts. */
  receipt: null as Order | null,
});

export function clearSale(): void {
  sale.lines = [];
  sale.selected = 0;
  sale.receipt = null;
}
