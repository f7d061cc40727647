import { describe, expect, it } from "vitest";
import {
  fitGammaGamma,
  gammaGammaDatasetLogLikelihood,
  gammaGammaExpectedSpend,
  gammaGammaLogLikelihood,
  gammaGammaPopulationMeanSpend,
  spendData,
} from "../../../lambdas/domain/models/index.js";
import { cdnowSpend } from "./cdnow.js";

// Fader, Hardie & Lee (2005b), 946 repeat buyers of the CDNOW sample.
const PUBLISHED = { p: 6.25, q: 3.74, gamma: 15.44 };

const rows = cdnowSpend().map((row) => ({ x: row.x, zbar: row.zbar ?? Number.NaN }));
const data = spendData(rows);
const fit = fitGammaGamma(data);

describe("Gamma-Gamma on the CDNOW repeat buyers", () => {
  it("keeps the 946 repeat buyers", () => {
    expect(data.x).toHaveLength(946);
    expect(data.skipped).toBe(2357 - 946);
  });

  it("fits from the generic start to the published p, q, γ within 1 %", () => {
    expect(fit.converged).toBe(true);
    expect(fit.customers).toBe(946);
    for (const key of ["p", "q", "gamma"] as const) {
      expect(Math.abs(fit.params[key] / PUBLISHED[key] - 1)).toBeLessThan(0.01);
    }
  });

  it("agrees with the per-customer likelihood and its analytic gradient", () => {
    const perCustomer = rows
      .filter((row) => row.x > 0)
      .reduce((sum, row) => sum + gammaGammaLogLikelihood(fit.params, row), 0);
    expect(gammaGammaDatasetLogLikelihood(fit.params, data)).toBeCloseTo(perCustomer, 8);
    const params = { p: 3, q: 2, gamma: 9 };
    const gradient = new Float64Array(3);
    gammaGammaDatasetLogLikelihood(params, data, gradient);
    (["p", "q", "gamma"] as const).forEach((key, i) => {
      const h = 1e-6 * params[key];
      const numeric =
        (gammaGammaDatasetLogLikelihood({ ...params, [key]: params[key] + h }, data) -
          gammaGammaDatasetLogLikelihood({ ...params, [key]: params[key] - h }, data)) /
        (2 * h);
      expect(Math.abs((gradient[i] as number) - numeric)).toBeLessThan(
        1e-5 * Math.max(1, Math.abs(numeric)),
      );
    });
  });

  it("shrinks a customer's mean spend towards the population mean, less with more purchases", () => {
    const population = gammaGammaPopulationMeanSpend(fit.params);
    expect(population).toBeCloseTo((fit.params.p * fit.params.gamma) / (fit.params.q - 1), 12);
    expect(gammaGammaExpectedSpend(fit.params, { x: 0, zbar: 0 })).toBe(population);
    const high = 100;
    const one = gammaGammaExpectedSpend(fit.params, { x: 1, zbar: high });
    const ten = gammaGammaExpectedSpend(fit.params, { x: 10, zbar: high });
    expect(one).toBeGreaterThan(population);
    expect(one).toBeLessThan(high);
    expect(ten).toBeGreaterThan(one);
    expect(ten).toBeLessThan(high);
  });

  it("predicts the repeat buyers' mean spend near the observed mean", () => {
    // The mean of E[Z | x, z̄] over the repeat buyers equals (roughly) their mean z̄.
    let predicted = 0;
    let observed = 0;
    for (let i = 0; i < data.x.length; i++) {
      const row = { x: data.x[i] as number, zbar: data.zbar[i] as number };
      predicted += gammaGammaExpectedSpend(fit.params, row);
      observed += row.zbar;
    }
    expect(predicted / observed).toBeGreaterThan(0.97);
    expect(predicted / observed).toBeLessThan(1.03);
  });
});

describe("Gamma-Gamma bad input", () => {
  it("refuses a repeat buyer without a positive mean spend", () => {
    expect(() => spendData([{ x: 2, zbar: 0 }])).toThrow(/spend row 0: zbar = 0/);
    expect(() => spendData([{ x: -1, zbar: 3 }])).toThrow(/not a count/);
  });

  it("says so when there is nothing to fit", () => {
    const result = fitGammaGamma(spendData([{ x: 0, zbar: 0 }]));
    expect(result.converged).toBe(false);
    expect(result.reason).toBe("no customers to fit");
  });

  it("says so when every repeat buyer spends the same (no spread: q → ∞)", () => {
    const same = spendData(Array.from({ length: 200 }, (_, i) => ({ x: 1 + (i % 5), zbar: 20 })));
    const result = fitGammaGamma(same);
    expect(result.converged).toBe(false);
  });
});
