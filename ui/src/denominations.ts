// The notes and coins of a currency, largest first, in minor units: the count at
// closing can be taken per denomination (the total is what the drawer holds).
const TABLE: Record<string, number[]> = {
  EUR: [50000, 20000, 10000, 5000, 2000, 1000, 500, 200, 100, 50, 20, 10, 5, 2, 1],
  USD: [10000, 5000, 2000, 1000, 500, 200, 100, 25, 10, 5, 1],
  GBP: [5000, 2000, 1000, 500, 200, 100, 50, 20, 10, 5, 2, 1],
  CHF: [100000, 20000, 10000, 5000, 2000, 1000, 500, 200, 100, 50, 20, 10, 5],
  RUB: [500000, 200000, 100000, 50000, 20000, 10000, 5000, 1000, 500, 200, 100],
  JPY: [10000, 5000, 2000, 1000, 500, 100, 50, 10, 5, 1],
};

/** The denominations of `currency`, or none when this till does not know them. */
export function denominations(currency: string): number[] {
  return TABLE[currency] ?? [];
}
