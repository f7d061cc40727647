/**
 * Conversion of order amounts into the base currency (CNY unless configured otherwise), by a
 * configured rate table. Results are integer minor units, so sums are exact in any order.
 */
import { z } from "zod";

export interface CurrencyTable {
  readonly base: string;
  /** Units of the base currency per one unit of each currency; the base itself is 1. */
  readonly rates: Readonly<Record<string, number>>;
}

/** Reference rates to CNY; deployments set their own with CURRENCY_RATES. */
export const DEFAULT_CURRENCY_TABLE: CurrencyTable = {
  base: "CNY",
  rates: {
    CNY: 1,
    USD: 7.1,
    EUR: 7.7,
    GBP: 9.0,
    JPY: 0.047,
    HKD: 0.91,
    TWD: 0.22,
    KRW: 0.0051,
    SGD: 5.3,
    AUD: 4.6,
    CAD: 5.1,
  },
};

const currencyCode = z.string().regex(/^[A-Z]{3}$/, "must be an ISO 4217 code");

const tableSchema = z
  .object({
    base: currencyCode,
    rates: z.record(currencyCode, z.number().finite().positive("must be a positive rate")),
  })
  .refine((table) => table.rates[table.base] === 1, {
    message: "the base currency's own rate must be 1",
    path: ["rates"],
  });

/** Parses `{"base":"CNY","rates":{"USD":7.1,...}}`; the error names the bad key. */
export function parseCurrencyTable(json: string): CurrencyTable {
  let raw: unknown;
  try {
    raw = JSON.parse(json);
  } catch {
    throw new Error("currency table is not valid JSON");
  }
  const parsed = tableSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Error(`currency table: ${issue?.path.join(".") || "(root)"} ${issue?.message}`);
  }
  return parsed.data;
}

/** Minor units (1/100) of the base currency, or undefined when the currency has no rate. */
export function toBaseMinor(
  amount: number,
  currency: string,
  table: CurrencyTable,
): number | undefined {
  const rate = table.rates[currency];
  if (rate === undefined) return undefined;
  return Math.round(amount * rate * 100);
}
