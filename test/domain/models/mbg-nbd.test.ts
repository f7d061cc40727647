import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  bgNbdLogLikelihood,
  cbsData,
  fitMbgNbd,
  mbgNbd,
  mbgNbdConditionalExpectedPurchases,
  mbgNbdDatasetLogLikelihood,
  mbgNbdExpectedPurchases,
  mbgNbdLogLikelihood,
  mbgNbdPAlive,
  mbgNbdProbabilityOfPurchases,
} from "../../../lambdas/domain/models/index.js";
import { betaGeometricParamsArbitrary, customerArbitrary } from "./arbitraries.js";
import { cdnowCbs } from "./cdnow.js";

// Batislam, Denizel & Filiztekin (2007); BTYDplus on the CDNOW sample.
const PUBLISHED = { r: 0.525, alpha: 6.183, a: 0.891, b: 1.614 };

const rows = cdnowCbs();
const data = cbsData(rows);
const fit = fitMbgNbd(data);

describe("MBG/NBD on the CDNOW sample", () => {
  it("fits from the generic start to the published parameters within 1 %", () => {
    expect(fit.converged).toBe(true);
    for (const key of ["r", "alpha", "a", "b"] as const) {
      expect(Math.abs(fit.params[key] / PUBLISHED[key] - 1)).toBeLessThan(0.01);
    }
    // It fits CDNOW a little better than BG/NBD (−9582.429).
    expect(fit.logLikelihood).toBeGreaterThan(-9582.429);
    expect(fit.logLikelihood).toBeLessThan(-9582);
  });

  it("aggregated and per-customer log-likelihoods agree", () => {
    const perCustomer = rows.reduce((sum, row) => sum + mbgNbdLogLikelihood(fit.params, row), 0);
    expect(mbgNbdDatasetLogLikelihood(fit.params, data)).toBeCloseTo(perCustomer, 8);
  });

  it("has an analytic gradient that matches central differences", () => {
    const params = { r: 0.7, alpha: 3.1, a: 1.3, b: 0.6 };
    const gradient = new Float64Array(4);
    mbgNbdDatasetLogLikelihood(params, data, gradient);
    (["r", "alpha", "a", "b"] as const).forEach((key, i) => {
      const h = 1e-6 * params[key];
      const up = mbgNbdDatasetLogLikelihood({ ...params, [key]: params[key] + h }, data);
      const down = mbgNbdDatasetLogLikelihood({ ...params, [key]: params[key] - h }, data);
      const numeric = (up - down) / (2 * h);
      expect(Math.abs((gradient[i] as number) - numeric)).toBeLessThan(
        1e-5 * Math.max(1, Math.abs(numeric)),
      );
    });
  });

  it("predicts holdout purchases that rise with calibration purchases", () => {
    const sums = new Array<number>(8).fill(0);
    const seen = new Array<number>(8).fill(0);
    for (const row of rows) {
      const group = Math.min(7, row.x);
      sums[group] = (sums[group] ?? 0) + mbgNbdConditionalExpectedPurchases(fit.params, row, 39);
      seen[group] = (seen[group] ?? 0) + 1;
    }
    const means = sums.map((sum, group) => sum / (seen[group] as number));
    for (let group = 1; group < 8; group++) {
      expect(means[group]).toBeGreaterThan(means[group - 1] as number);
    }
    // 1,882 repeat purchases happened in the holdout; MBG/NBD expects about 1,577.
    const total = sums.reduce((sum, value) => sum + value, 0);
    expect(total).toBeGreaterThan(1500);
    expect(total).toBeLessThan(1882);
  });

  it("differs from BG/NBD only in dropout at time 0: x = 0 customers are not certainly alive", () => {
    const c = { x: 0, tx: 0, T: 30 };
    const { r, alpha, a, b } = fit.params;
    expect(mbgNbdPAlive(fit.params, c)).toBeCloseTo(
      1 / (1 + (a / b) * ((alpha + 30) / alpha) ** r),
      14,
    );
    expect(mbgNbdPAlive(fit.params, c)).toBeLessThan(1);
    // For x > 0 the likelihood is BG/NBD's with b + 1 in the beta terms.
    const d = { x: 3, tx: 20, T: 30 };
    expect(mbgNbdLogLikelihood(fit.params, d)).not.toBeCloseTo(
      bgNbdLogLikelihood(fit.params, d),
      3,
    );
  });

  it("E[X(t)] is the mean of the P(X(t) = n), and E[Y(t) | 0, 0, 0] = E[X(t)]", () => {
    let total = 0;
    let mean = 0;
    for (let n = 0; n < 400; n++) {
      const pn = mbgNbdProbabilityOfPurchases(fit.params, 52, n);
      total += pn;
      mean += n * pn;
    }
    expect(total).toBeCloseTo(1, 10);
    expect(mean).toBeCloseTo(mbgNbdExpectedPurchases(fit.params, 52), 8);
    expect(mbgNbdConditionalExpectedPurchases(fit.params, { x: 0, tx: 0, T: 0 }, 52)).toBeCloseTo(
      mbgNbdExpectedPurchases(fit.params, 52),
      12,
    );
  });

  it("is the same model through the PurchaseModel interface", () => {
    expect(mbgNbd.name).toBe("mbg-nbd");
    expect(mbgNbd.pAlive(fit.params, { x: 1, tx: 3, T: 9 })).toBe(
      mbgNbdPAlive(fit.params, { x: 1, tx: 3, T: 9 }),
    );
  });
});

describe("MBG/NBD properties", () => {
  const params = betaGeometricParamsArbitrary;
  const customer = customerArbitrary;

  it("P(alive) is in (0, 1) and falls with time since the last purchase", () => {
    fc.assert(
      fc.property(params, customer, fc.double({ min: 0.1, max: 50, noNaN: true }), (p, c, more) => {
        const now = mbgNbdPAlive(p, c);
        const later = mbgNbdPAlive(p, { ...c, T: c.T + more });
        expect(now).toBeGreaterThanOrEqual(0);
        expect(now).toBeLessThanOrEqual(1);
        expect(later).toBeLessThanOrEqual(now * (1 + 1e-12));
      }),
    );
  });

  it("expected purchases grow with t", () => {
    fc.assert(
      fc.property(
        params,
        customer,
        fc.double({ min: 0.1, max: 100, noNaN: true }),
        fc.double({ min: 0.1, max: 100, noNaN: true }),
        (p, c, t1, dt) => {
          expect(mbgNbdExpectedPurchases(p, t1 + dt)).toBeGreaterThanOrEqual(
            mbgNbdExpectedPurchases(p, t1) * (1 - 1e-12),
          );
          expect(mbgNbdConditionalExpectedPurchases(p, c, t1 + dt)).toBeGreaterThanOrEqual(
            mbgNbdConditionalExpectedPurchases(p, c, t1) * (1 - 1e-12),
          );
        },
      ),
    );
  });
});
