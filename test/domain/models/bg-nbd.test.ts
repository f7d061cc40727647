import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  bgNbd,
  bgNbdConditionalExpectedPurchases,
  bgNbdDatasetLogLikelihood,
  bgNbdExpectedPurchases,
  bgNbdLogLikelihood,
  bgNbdPAlive,
  bgNbdProbabilityOfPurchases,
  cbsData,
  fitBgNbd,
} from "../../../lambdas/domain/models/index.js";
import { betaGeometricParamsArbitrary, customerArbitrary } from "./arbitraries.js";
import { cdnowCbs, significantDigitsTolerance } from "./cdnow.js";

// Fader, Hardie & Lee (2005); BTYD vignette.
const PUBLISHED = { r: 0.2425967, alpha: 4.413659, a: 0.7929869, b: 2.426164 };
const PUBLISHED_LL = -9582.429;

const rows = cdnowCbs();
const data = cbsData(rows);
const fit = fitBgNbd(data);
const CUSTOMER_1516 = { x: 26, tx: 30.857142857142858, T: 31 };

function toSignificantDigits(actual: number, reference: number, digits = 4): void {
  const tolerance = significantDigitsTolerance(reference, digits);
  if (!(Math.abs(actual - reference) <= tolerance)) {
    expect.fail(`${actual} is not ${reference} to ${digits} significant digits (±${tolerance})`);
  }
}

describe("BG/NBD on the CDNOW sample (2,357 customers, 39-week calibration)", () => {
  it("reads the sample", () => {
    expect(rows).toHaveLength(2357);
    expect(rows.reduce((sum, row) => sum + row.x, 0)).toBe(2457);
  });

  it("fits from the generic start (all parameters 1) to the published optimum within 0.1 %", () => {
    expect(fit.converged).toBe(true);
    for (const key of ["r", "alpha", "a", "b"] as const) {
      expect(Math.abs(fit.params[key] / PUBLISHED[key] - 1)).toBeLessThan(1e-3);
    }
    expect(Math.abs(fit.logLikelihood - PUBLISHED_LL)).toBeLessThan(0.01);
    expect(fit.customers).toBe(2357);
    // A deterministic proxy for the fit time: few likelihood-and-gradient evaluations.
    expect(fit.evaluations).toBeLessThan(60);
  });

  it("scores the published parameters at the published log-likelihood", () => {
    expect(Math.abs(bgNbdDatasetLogLikelihood(PUBLISHED, data) - PUBLISHED_LL)).toBeLessThan(0.01);
  });

  it("reproduces the README check values to 4 significant digits", () => {
    for (const params of [PUBLISHED, fit.params]) {
      toSignificantDigits(bgNbdExpectedPurchases(params, 52), 1.444004);
      toSignificantDigits(bgNbdConditionalExpectedPurchases(params, CUSTOMER_1516, 52), 25.75659);
      toSignificantDigits(bgNbdPAlive(params, CUSTOMER_1516), 0.9688523);
      toSignificantDigits(
        bgNbdConditionalExpectedPurchases(params, { x: 2, tx: 30.43, T: 38.86 }, 39),
        1.226,
      );
    }
  });

  it("reproduces P(no purchase in 39 weeks) = 0.5737864 with the parameters it came from", () => {
    // 0.5737864 is bgnbd.pmf(t = 39, x = 0) for the rounded parameters of the BTYD manual
    // (0.243, 4.414, 0.793, 2.426), as in lifetimes' tests; with the full-precision published
    // parameters the same quantity, (α/(α + 39))^r, is 0.5743059.
    const rounded = { r: 0.243, alpha: 4.414, a: 0.793, b: 2.426 };
    toSignificantDigits(bgNbdProbabilityOfPurchases(rounded, 39, 0), 0.5737864);
    const { r, alpha } = PUBLISHED;
    expect(bgNbdProbabilityOfPurchases(PUBLISHED, 39, 0)).toBeCloseTo(
      (alpha / (alpha + 39)) ** r,
      14,
    );
    // The rest of that table: P(X(2) = 10) and P(X(30) = 11..20).
    expect(bgNbdProbabilityOfPurchases(rounded, 2, 10)).toBeCloseTo(1.07869e-7, 11);
    const pmf30 = [
      0.0019995214, 0.0015170236, 0.001163315, 0.0009003148, 0.0007023638, 0.0005517902,
      0.0004361913, 0.0003467171, 0.0002769613, 0.000222226,
    ];
    pmf30.forEach((expected, i) => {
      toSignificantDigits(bgNbdProbabilityOfPurchases(rounded, 30, 11 + i), expected, 6);
    });
  });

  it("matches the BTYD holdout table: mean E[Y(39)] per calibration x, to 3 decimals", () => {
    const published = [0.225, 0.523, 1.044, 1.52, 2.164, 2.654, 3.504, 6.157];
    const actual = [0.237, 0.697, 1.393, 1.56, 2.532, 2.947, 3.862, 6.359];
    const counts = [1411, 439, 214, 100, 62, 38, 29, 64];
    const sums = new Array<number>(8).fill(0);
    const seen = new Array<number>(8).fill(0);
    const holdout = new Array<number>(8).fill(0);
    for (const row of rows) {
      const group = Math.min(7, row.x);
      sums[group] = (sums[group] ?? 0) + bgNbdConditionalExpectedPurchases(fit.params, row, 39);
      seen[group] = (seen[group] ?? 0) + 1;
      holdout[group] = (holdout[group] ?? 0) + (row.xStar ?? 0);
    }
    expect(seen).toEqual(counts);
    published.forEach((expected, group) => {
      const n = seen[group] as number;
      expect(Math.abs((sums[group] as number) / n - expected)).toBeLessThanOrEqual(1e-3);
      expect(
        Math.abs((holdout[group] as number) / n - (actual[group] as number)),
      ).toBeLessThanOrEqual(5e-4);
    });
  });

  it("aggregated and per-customer log-likelihoods agree", () => {
    const perCustomer = rows.reduce((sum, row) => sum + bgNbdLogLikelihood(fit.params, row), 0);
    expect(bgNbdDatasetLogLikelihood(fit.params, data)).toBeCloseTo(perCustomer, 8);
  });

  it("has an analytic gradient that matches central differences", () => {
    const params = { r: 0.7, alpha: 3.1, a: 1.3, b: 0.6 };
    const gradient = new Float64Array(4);
    bgNbdDatasetLogLikelihood(params, data, gradient);
    const keys = ["r", "alpha", "a", "b"] as const;
    keys.forEach((key, i) => {
      const h = 1e-6 * params[key];
      const up = bgNbdDatasetLogLikelihood({ ...params, [key]: params[key] + h }, data);
      const down = bgNbdDatasetLogLikelihood({ ...params, [key]: params[key] - h }, data);
      const numeric = (up - down) / (2 * h);
      expect(Math.abs((gradient[i] as number) - numeric)).toBeLessThan(
        1e-5 * Math.max(1, Math.abs(numeric)),
      );
    });
  });

  it("is the same model through the PurchaseModel interface", () => {
    expect(bgNbd.name).toBe("bg-nbd");
    expect(bgNbd.datasetLogLikelihood(fit.params, data)).toBe(
      bgNbdDatasetLogLikelihood(fit.params, data),
    );
  });
});

const params = betaGeometricParamsArbitrary;
const customer = customerArbitrary;

describe("BG/NBD properties", () => {
  it("P(alive) is in [0, 1], and exactly 1 with no repeat purchase", () => {
    fc.assert(
      fc.property(params, customer, (p, c) => {
        const alive = bgNbdPAlive(p, c);
        expect(alive).toBeGreaterThanOrEqual(0);
        expect(alive).toBeLessThanOrEqual(1);
        if (c.x === 0) expect(alive).toBe(1);
      }),
    );
  });

  it("expected purchases grow with t, for a new customer and given a history", () => {
    fc.assert(
      fc.property(
        params,
        customer,
        fc.double({ min: 0.1, max: 100, noNaN: true }),
        fc.double({ min: 0.1, max: 100, noNaN: true }),
        (p, c, t1, dt) => {
          const e1 = bgNbdExpectedPurchases(p, t1);
          const e2 = bgNbdExpectedPurchases(p, t1 + dt);
          expect(e1).toBeGreaterThan(0);
          expect(e2).toBeGreaterThanOrEqual(e1 * (1 - 1e-12));
          const c1 = bgNbdConditionalExpectedPurchases(p, c, t1);
          const c2 = bgNbdConditionalExpectedPurchases(p, c, t1 + dt);
          expect(c1).toBeGreaterThanOrEqual(0);
          expect(c2).toBeGreaterThanOrEqual(c1 * (1 - 1e-12));
        },
      ),
    );
  });

  it("E[X(t)] is continuous through a = 1, where the textbook formula is 0/0", () => {
    const base = { r: 0.5, alpha: 5, b: 2 };
    const at = (a: number) => bgNbdExpectedPurchases({ ...base, a }, 20);
    expect(Number.isFinite(at(1))).toBe(true);
    expect(at(1 + 1e-9)).toBeCloseTo(at(1), 7);
    expect(at(1 - 1e-9)).toBeCloseTo(at(1), 7);
  });

  it("the probabilities P(X(t) = n) sum to 1 and their mean is E[X(t)]", () => {
    const p = { r: 0.8, alpha: 4, a: 1.5, b: 3 };
    let total = 0;
    let mean = 0;
    for (let n = 0; n < 400; n++) {
      const pn = bgNbdProbabilityOfPurchases(p, 10, n);
      total += pn;
      mean += n * pn;
    }
    expect(total).toBeCloseTo(1, 10);
    expect(mean).toBeCloseTo(bgNbdExpectedPurchases(p, 10), 8);
  });
});

describe("BG/NBD fits that cannot converge", () => {
  it("says so when nobody bought twice (r → 0: the data do not identify the model)", () => {
    const degenerate = cbsData(
      Array.from({ length: 500 }, (_, i) => ({ x: 0, tx: 0, T: 10 + (i % 30) })),
    );
    const result = fitBgNbd(degenerate);
    expect(result.converged).toBe(false);
    expect(result.reason).toMatch(/left \[/);
  });

  it("says so when there are no customers", () => {
    const result = fitBgNbd(cbsData([]));
    expect(result.converged).toBe(false);
    expect(result.reason).toBe("no customers to fit");
  });

  it("says so when the iteration budget is too small", () => {
    const result = fitBgNbd(data, { maxIterations: 2 });
    expect(result.converged).toBe(false);
    expect(result.reason).toMatch(/iteration limit/);
  });
});
