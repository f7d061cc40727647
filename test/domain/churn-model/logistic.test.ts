import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  cholesky,
  choleskySolve,
  fitLogistic,
  type LogisticModel,
  logisticLogit,
  sigmoid,
  softplus,
} from "../../../lambdas/domain/churn-model/logistic.js";
import { logisticSample, random } from "./synthetic.js";

/** The fitted coefficients back on the raw feature scale. */
function rawScale(model: LogisticModel): { intercept: number; coefficients: number[] } {
  const coefficients = Array.from(model.weights, (w, j) => w / (model.scale[j] as number));
  const intercept = coefficients.reduce(
    (sum, c, j) => sum - c * (model.mean[j] as number),
    model.intercept,
  );
  return { intercept, coefficients };
}

describe("cholesky", () => {
  it("solves symmetric positive definite systems", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 12 }), fc.integer(), (n, seed) => {
        const next = random(seed);
        const m = Array.from({ length: n * n }, () => next() * 2 - 1);
        const a = new Float64Array(n * n);
        for (let i = 0; i < n; i++) {
          for (let j = 0; j < n; j++) {
            let sum = i === j ? 1 : 0;
            for (let k = 0; k < n; k++) sum += (m[k * n + i] as number) * (m[k * n + j] as number);
            a[i * n + j] = sum;
          }
        }
        const x = Float64Array.from({ length: n }, () => next() * 10 - 5);
        const b = Float64Array.from({ length: n }, (_, i) => {
          let sum = 0;
          for (let j = 0; j < n; j++) sum += (a[i * n + j] as number) * (x[j] as number);
          return sum;
        });
        const factor = Float64Array.from(a);
        expect(cholesky(factor, n)).toBe(true);
        const solved = choleskySolve(factor, n, Float64Array.from(b));
        for (let i = 0; i < n; i++) expect(solved[i]).toBeCloseTo(x[i] as number, 8);
      }),
      { numRuns: 100 },
    );
  });

  it.each([
    ["indefinite", [1, 2, 2, 1]],
    ["singular", [1, 1, 1, 1]],
    ["negative", [-1, 0, 0, 1]],
  ])("refuses a %s matrix", (_, entries) => {
    expect(cholesky(Float64Array.from(entries), 2)).toBe(false);
  });
});

describe("sigmoid and softplus", () => {
  it.each([-800, -30, -1, 0, 1, 30, 800])("stay finite and consistent at %d", (z) => {
    expect(Number.isFinite(softplus(z))).toBe(true);
    expect(sigmoid(z)).toBeGreaterThanOrEqual(0);
    expect(sigmoid(z)).toBeLessThanOrEqual(1);
    expect(sigmoid(z) + sigmoid(-z)).toBeCloseTo(1, 12);
  });
});

describe("fitLogistic", () => {
  it("recovers known coefficients on synthetic data, whatever the feature scales", () => {
    const truth = { coefficients: [1.5, -2, 0.5], intercept: -0.7 };
    const { rows, labels } = logisticSample(
      40_000,
      truth.coefficients,
      truth.intercept,
      7,
      [2, 1, 0],
      [2, 0.5, 4],
    );
    const model = fitLogistic(rows, labels, { l2: 1e-6 });
    expect(model.converged).toBe(true);
    expect(model.iterations).toBeLessThan(15);
    const fitted = rawScale(model);
    for (const [j, c] of truth.coefficients.entries()) {
      expect(Math.abs((fitted.coefficients[j] as number) - c)).toBeLessThan(
        0.05 * Math.abs(c) + 0.02,
      );
    }
    expect(Math.abs(fitted.intercept - truth.intercept)).toBeLessThan(0.2);
    // The logit on raw features is the same either way.
    expect(logisticLogit(model, [2, 1, 0])).toBeCloseTo(
      fitted.intercept +
        2 * (fitted.coefficients[0] as number) +
        (fitted.coefficients[1] as number),
      9,
    );
  });

  it("stays finite on perfectly separable data", () => {
    const rows = Array.from({ length: 200 }, (_, i) => [i - 99.5, (i * 7) % 13]);
    const labels = rows.map((row) => (row[0] as number) > 0);
    const model = fitLogistic(rows, labels, { l2: 1 });
    expect(model.converged).toBe(true);
    for (const w of model.weights) expect(Number.isFinite(w)).toBe(true);
    const correct = rows.filter((row, i) => logisticLogit(model, row) > 0 === labels[i]).length;
    expect(correct).toBe(rows.length);
  });

  it("reports a fit that ran out of iterations without a penalty", () => {
    const rows = Array.from({ length: 50 }, (_, i) => [i - 24.5]);
    const labels = rows.map((row) => (row[0] as number) > 0);
    const model = fitLogistic(rows, labels, { l2: 0, maxIterations: 5 });
    expect(model.converged).toBe(false);
    expect(model.iterations).toBe(5);
  });

  it("gives a constant column scale 1 and weight 0", () => {
    const { rows, labels } = logisticSample(500, [1, 0], 0, 3);
    const withConstant = rows.map((row) => [row[0] as number, 42]);
    const model = fitLogistic(withConstant, labels);
    expect(model.scale[1]).toBe(1);
    expect(model.mean[1]).toBe(42);
    expect(model.weights[1]).toBe(0);
  });

  it("treats a row weight of 2 like the row twice", () => {
    const { rows, labels } = logisticSample(300, [0.8, -0.4], 0.2, 11);
    const weights = rows.map((_, i) => (i % 3 === 0 ? 2 : 1));
    const weighted = fitLogistic(rows, labels, { weights });
    const repeatedRows = rows.flatMap((row, i) => (i % 3 === 0 ? [row, row] : [row]));
    const repeatedLabels = labels.flatMap((label, i) => (i % 3 === 0 ? [label, label] : [label]));
    const repeated = fitLogistic(repeatedRows, repeatedLabels);
    expect(weighted.intercept).toBeCloseTo(repeated.intercept, 8);
    for (const [j, w] of weighted.weights.entries()) {
      expect(w).toBeCloseTo(repeated.weights[j] as number, 8);
    }
  });

  it("is deterministic and shrinks the weights as the penalty grows", () => {
    const { rows, labels } = logisticSample(400, [1, -1, 0.5], 0, 5);
    expect(fitLogistic(rows, labels, { l2: 3 })).toEqual(fitLogistic(rows, labels, { l2: 3 }));
    const norms = [0, 1, 10, 100, 1000].map((l2) =>
      Math.hypot(...fitLogistic(rows, labels, { l2 }).weights),
    );
    for (let i = 1; i < norms.length; i++) {
      expect(norms[i]).toBeLessThan(norms[i - 1] as number);
    }
  });

  it.each([
    ["no rows", [], [], /at least one row/],
    ["ragged rows", [[1, 2], [3]], [true, false], /row 1 has 1 values/],
    ["a NaN", [[1], [Number.NaN]], [true, false], /not finite/],
    ["a label count mismatch", [[1], [2]], [true], /2 rows but 1 labels/],
  ] as const)("refuses %s", (_, rows, labels, message) => {
    expect(() => fitLogistic(rows as readonly (readonly number[])[], labels)).toThrow(message);
  });
});
