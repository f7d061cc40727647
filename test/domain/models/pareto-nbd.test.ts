import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  cbsData,
  fitParetoNbd,
  paretoNbd,
  paretoNbdConditionalExpectedPurchases,
  paretoNbdDatasetLogLikelihood,
  paretoNbdExpectedPurchases,
  paretoNbdLogLikelihood,
  paretoNbdPAlive,
} from "../../../lambdas/domain/models/index.js";
import { logGamma } from "../../../lambdas/domain/models/special.js";
import { customerArbitrary } from "./arbitraries.js";
import { cdnowCbs, significantDigitsTolerance } from "./cdnow.js";

// Schmittlein, Morrison & Colombo (1987); BTYD on the CDNOW sample.
const PUBLISHED = { r: 0.5534, alpha: 10.5802, s: 0.6061, beta: 11.6562 };
const PUBLISHED_LL = -9594.976;
const CUSTOMER_1516 = { x: 26, tx: 30.857142857142858, T: 31 };

const rows = cdnowCbs();
const data = cbsData(rows);
const fit = fitParetoNbd(data);

function toSignificantDigits(actual: number, reference: number, digits = 4): void {
  const tolerance = significantDigitsTolerance(reference, digits);
  if (!(Math.abs(actual - reference) <= tolerance)) {
    expect.fail(`${actual} is not ${reference} to ${digits} significant digits (±${tolerance})`);
  }
}

/**
 * The likelihood straight from its definition, by Simpson's rule over the death time τ in
 * u = log(min(α, β) + τ), where the integrand is smooth even when a scale is tiny.
 */
function likelihoodByQuadrature(
  p: typeof PUBLISHED,
  c: { x: number; tx: number; T: number },
): number {
  const { r, alpha, s, beta } = p;
  const { x, tx, T } = c;
  const front = Math.exp(logGamma(r + x) - logGamma(r) + r * Math.log(alpha) + s * Math.log(beta));
  const alive = (alpha + T) ** -(r + x) * (beta + T) ** -s;
  const shift = Math.min(alpha, beta);
  const u0 = Math.log(shift + tx);
  const u1 = Math.log(shift + T);
  const n = 20000;
  const h = (u1 - u0) / n;
  const f = (u: number) => {
    const tau = Math.exp(u) - shift;
    return s * (alpha + tau) ** -(r + x) * (beta + tau) ** -(s + 1) * Math.exp(u);
  };
  let integral = f(u0) + f(u1);
  for (let i = 1; i < n; i++) integral += (i % 2 === 0 ? 2 : 4) * f(u0 + i * h);
  integral *= h / 3;
  return front * (alive + integral);
}

describe("Pareto/NBD on the CDNOW sample", () => {
  it("fits from the generic start to the published parameters within 1 % and LL −9594.976", () => {
    expect(fit.converged).toBe(true);
    for (const key of ["r", "alpha", "s", "beta"] as const) {
      expect(Math.abs(fit.params[key] / PUBLISHED[key] - 1)).toBeLessThan(0.01);
    }
    expect(Math.abs(fit.logLikelihood - PUBLISHED_LL)).toBeLessThan(0.01);
    expect(Math.abs(paretoNbdDatasetLogLikelihood(PUBLISHED, data) - PUBLISHED_LL)).toBeLessThan(
      0.01,
    );
  });

  it("reproduces the README check values to 4 significant digits", () => {
    toSignificantDigits(paretoNbdExpectedPurchases(fit.params, 52), 1.473434);
    toSignificantDigits(
      paretoNbdConditionalExpectedPurchases(fit.params, CUSTOMER_1516, 52),
      25.45647,
    );
    toSignificantDigits(paretoNbdPAlive(fit.params, CUSTOMER_1516), 0.997874);
    // The 4-digit published parameters land within 2e-4 relative of the same values.
    expect(paretoNbdExpectedPurchases(PUBLISHED, 52) / 1.473434 - 1).toBeLessThan(3e-4);
    expect(
      paretoNbdConditionalExpectedPurchases(PUBLISHED, CUSTOMER_1516, 52) / 25.45647 - 1,
    ).toBeLessThan(2e-4);
    toSignificantDigits(paretoNbdPAlive(PUBLISHED, CUSTOMER_1516), 0.997874);
  });

  it("matches the BTYD holdout table: mean E[Y(39)] per calibration x, to 3 decimals", () => {
    const published = [0.138, 0.6, 1.196, 1.714, 2.399, 2.907, 3.819, 6.403];
    const sums = new Array<number>(8).fill(0);
    const seen = new Array<number>(8).fill(0);
    for (const row of rows) {
      const group = Math.min(7, row.x);
      sums[group] = (sums[group] ?? 0) + paretoNbdConditionalExpectedPurchases(fit.params, row, 39);
      seen[group] = (seen[group] ?? 0) + 1;
    }
    published.forEach((expected, group) => {
      const mean = (sums[group] as number) / (seen[group] as number);
      expect(Math.abs(mean - expected)).toBeLessThanOrEqual(1e-3);
    });
  });

  it("aggregated and per-customer log-likelihoods agree", () => {
    const perCustomer = rows.reduce((sum, row) => sum + paretoNbdLogLikelihood(fit.params, row), 0);
    expect(paretoNbdDatasetLogLikelihood(fit.params, data)).toBeCloseTo(perCustomer, 8);
  });

  it.each([
    ["α > β", { r: 0.55, alpha: 10.6, s: 0.61, beta: 2.3 }],
    ["α < β", { r: 0.55, alpha: 10.6, s: 0.61, beta: 31.7 }],
    ["α = β", { r: 0.55, alpha: 10.6, s: 0.61, beta: 10.6 }],
    ["α ≫ β (2F1 argument near 1)", { r: 2.5, alpha: 80, s: 1.7, beta: 0.05 }],
  ])("equals the integral definition of the likelihood when %s", (_name, p) => {
    for (const c of [
      { x: 0, tx: 0, T: 38.86 },
      { x: 2, tx: 30.43, T: 38.86 },
      { x: 26, tx: 30.857, T: 31 },
      { x: 5, tx: 1, T: 50 },
    ]) {
      const quadrature = Math.log(likelihoodByQuadrature(p, c));
      expect(paretoNbdLogLikelihood(p, c)).toBeCloseTo(quadrature, 8);
    }
  });

  it("is the same model through the PurchaseModel interface", () => {
    expect(paretoNbd.name).toBe("pareto-nbd");
    expect(paretoNbd.expectedPurchases(fit.params, 10)).toBe(
      paretoNbdExpectedPurchases(fit.params, 10),
    );
  });
});

describe("Pareto/NBD properties", () => {
  const params = fc.record({
    r: fc.double({ min: 0.05, max: 5, noNaN: true }),
    alpha: fc.double({ min: 0.5, max: 50, noNaN: true }),
    s: fc.double({ min: 0.05, max: 5, noNaN: true }),
    beta: fc.double({ min: 0.5, max: 50, noNaN: true }),
  });
  const customer = customerArbitrary;

  it("P(alive) is in [0, 1]; a purchase at T means alive", () => {
    fc.assert(
      fc.property(params, customer, (p, c) => {
        const alive = paretoNbdPAlive(p, c);
        expect(alive).toBeGreaterThanOrEqual(0);
        expect(alive).toBeLessThanOrEqual(1);
        expect(paretoNbdPAlive(p, { ...c, tx: c.T, x: Math.max(1, c.x) })).toBeCloseTo(1, 12);
      }),
    );
  });

  it("expected purchases grow with t and are finite at s = 1", () => {
    fc.assert(
      fc.property(
        params,
        customer,
        fc.double({ min: 0.1, max: 100, noNaN: true }),
        fc.double({ min: 0.1, max: 100, noNaN: true }),
        (p, c, t1, dt) => {
          expect(paretoNbdExpectedPurchases(p, t1 + dt)).toBeGreaterThan(
            paretoNbdExpectedPurchases(p, t1),
          );
          expect(paretoNbdConditionalExpectedPurchases(p, c, t1 + dt)).toBeGreaterThanOrEqual(
            paretoNbdConditionalExpectedPurchases(p, c, t1),
          );
        },
      ),
    );
    const p = { r: 0.5, alpha: 10, s: 1, beta: 12 };
    expect(paretoNbdExpectedPurchases(p, 52)).toBeCloseTo(
      ((0.5 * 12) / 10) * Math.log1p(52 / 12),
      14,
    );
  });
});

describe("Pareto/NBD fits that cannot converge", () => {
  it("says so when nobody bought twice", () => {
    const degenerate = cbsData(
      Array.from({ length: 300 }, (_, i) => ({ x: 0, tx: 0, T: 10 + (i % 30) })),
    );
    const result = fitParetoNbd(degenerate);
    expect(result.converged).toBe(false);
    expect(result.reason.length).toBeGreaterThan(0);
  });
});
