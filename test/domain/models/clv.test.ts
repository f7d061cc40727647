import { describe, expect, it } from "vitest";
import {
  bgNbd,
  bgNbdConditionalExpectedPurchases,
  customerLifetimeValue,
  discountedValue,
  paretoNbd,
} from "../../../lambdas/domain/models/index.js";

const BG = { r: 0.2425967, alpha: 4.413659, a: 0.7929869, b: 2.426164 };
const PARETO = { r: 0.5534, alpha: 10.5802, s: 0.6061, beta: 11.6562 };
const customer = { x: 2, tx: 30.43, T: 38.86 };

describe("customerLifetimeValue", () => {
  it("undiscounted: margin · spend · E[Y(horizon)]", () => {
    const value = customerLifetimeValue(bgNbd, BG, customer, 35, { horizon: 52, margin: 0.3 });
    expect(value).toBeCloseTo(0.3 * 35 * bgNbdConditionalExpectedPurchases(BG, customer, 52), 12);
    const perPeriod = customerLifetimeValue(bgNbd, BG, customer, 35, {
      horizon: 52,
      period: 4,
      margin: 0.3,
    });
    expect(perPeriod).toBeCloseTo(value, 10);
  });

  it("discounts each period's expected purchases at its end", () => {
    const E = (t: number) => t; // one purchase per week
    // 2 periods of 2 weeks at 10 %: 2/1.1 + 2/1.21
    expect(discountedValue(E, 1, { horizon: 4, period: 2, discountRate: 0.1 })).toBeCloseTo(
      2 / 1.1 + 2 / 1.21,
      12,
    );
    // a last, shorter period: horizon 5 with 2-week periods → 2, 2, 1
    expect(discountedValue(E, 1, { horizon: 5, period: 2, discountRate: 0.1 })).toBeCloseTo(
      2 / 1.1 + 2 / 1.21 + 1 / 1.331,
      12,
    );
  });

  it("falls with the discount rate and grows with the horizon", () => {
    const at = (discountRate: number, horizon: number) =>
      customerLifetimeValue(paretoNbd, PARETO, customer, 35, { horizon, period: 4, discountRate });
    expect(at(0.01, 52)).toBeLessThan(at(0, 52));
    expect(at(0.01, 104)).toBeGreaterThan(at(0.01, 52));
    expect(at(0.01, 0)).toBe(0);
  });

  it("refuses a period ≤ 0 or a discount rate ≤ −1", () => {
    expect(() => discountedValue((t) => t, 1, { horizon: 4, period: 0 })).toThrow(RangeError);
    expect(() => discountedValue((t) => t, 1, { horizon: 4, discountRate: -1 })).toThrow(
      RangeError,
    );
  });
});
