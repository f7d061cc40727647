/**
 * Customer lifetime value from a purchase model and a spend estimate:
 *
 *   CLV = margin · spend · Σ_{i=1}^{n} [E(t_i) − E(t_{i−1})] / (1 + d)^i,
 *   t_i = min(i · period, horizon), n = ⌈horizon / period⌉,
 *
 * where E(t) is the expected number of purchases in the next t (conditional on the customer's
 * history: E[Y(t) | x, t_x, T]), `spend` the expected value of a transaction (Gamma-Gamma
 * E[Z | x, z̄]), d the discount rate per period and `margin` the share of revenue that is profit.
 * Purchases in period i are discounted as if they fell at its end. With d = 0 it is simply
 * margin · spend · E(horizon). Spend is taken as independent of the purchase process, the
 * Gamma-Gamma assumption.
 */
import type { Customer } from "./data.js";
import type { PurchaseModel } from "./model.js";

export interface ClvOptions {
  /** How far ahead, in the model's time unit (weeks for CDNOW). */
  readonly horizon: number;
  /** Length of one discounting period, same unit. Default: the horizon (one period). */
  readonly period?: number;
  /** Discount rate per period, e.g. 0.01 per month. Default 0. */
  readonly discountRate?: number;
  /** Profit share of revenue. Default 1 (revenue). */
  readonly margin?: number;
}

/** CLV from any expected-cumulative-purchases function E(t) (E(0) = 0). */
export function discountedValue(
  expectedPurchases: (t: number) => number,
  spend: number,
  options: ClvOptions,
): number {
  const { horizon } = options;
  const period = options.period ?? horizon;
  const discountRate = options.discountRate ?? 0;
  const margin = options.margin ?? 1;
  if (!(horizon >= 0) || !(period > 0) || !(discountRate > -1)) {
    throw new RangeError("CLV: horizon ≥ 0, period > 0 and discount rate > −1 are required");
  }
  if (horizon === 0) return 0;
  const periods = Math.ceil(horizon / period - 1e-12);
  let value = 0;
  let previous = 0;
  for (let i = 1; i <= periods; i++) {
    const t = Math.min(i * period, horizon);
    const cumulative = expectedPurchases(t);
    value += (cumulative - previous) / (1 + discountRate) ** i;
    previous = cumulative;
  }
  return margin * spend * value;
}

/** CLV of a customer with history (x, t_x, T) under a fitted purchase model. */
export function customerLifetimeValue<P>(
  model: PurchaseModel<P>,
  params: P,
  customer: Customer,
  expectedSpend: number,
  options: ClvOptions,
): number {
  return discountedValue(
    (t) => model.conditionalExpectedPurchases(params, customer, t),
    expectedSpend,
    options,
  );
}
