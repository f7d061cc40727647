import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { ChurnModelArtefact } from "../../../lambdas/domain/churn-model/artefacts.js";
import {
  churnLogit,
  predictChurn,
  predictChurnProbability,
} from "../../../lambdas/domain/churn-model/predict.js";

const model: ChurnModelArtefact = {
  kind: "churn-lr",
  asOf: "2026-03-01T00:00:00.000Z",
  horizonDays: 30,
  label: "purchase",
  featureNames: ["a", "b", "c", "d"],
  mean: [1, -2, 0, 10],
  scale: [2, 0.5, 1, 4],
  weights: [0.8, -1.5, 0.3, 0],
  intercept: -1.1,
  l2: 1,
  calibration: { a: 0.7, b: 0.2 },
  metrics: {
    rows: 100,
    positives: 30,
    validationRows: 25,
    trainAuc: 0.8,
    validationAuc: 0.75,
    brier: 0.15,
    logLoss: 0.45,
    reliability: [],
    converged: true,
    iterations: 6,
  },
  btydVersion: null,
};

const vectorArbitrary = fc.array(fc.double({ min: -1e3, max: 1e3, noNaN: true }), {
  minLength: 4,
  maxLength: 4,
});

describe("predictChurn", () => {
  it("has contributions that sum to the logit minus the intercept", () => {
    fc.assert(
      fc.property(vectorArbitrary, (vector) => {
        const prediction = predictChurn(model, vector);
        const sum = prediction.contributions.reduce((total, c) => total + c.value, 0);
        expect(sum).toBeCloseTo(prediction.logit - model.intercept, 8);
        expect(prediction.logit).toBeCloseTo(churnLogit(model, vector), 8);
        expect(prediction.probability).toBeCloseTo(
          1 / (1 + Math.exp(-(0.7 * prediction.logit + 0.2))),
          12,
        );
        expect(predictChurnProbability(model, Float64Array.from(vector))).toBeCloseTo(
          prediction.probability,
          12,
        );
      }),
    );
  });

  it("lists the features pushing towards churn first, and keeps the top ones when asked", () => {
    const vector = [5, -2, -3, 10];
    // z = (2, 0, −3, 0) → w·z = (1.6, 0, −0.9, 0)
    const all = predictChurn(model, vector);
    expect(all.contributions.map((c) => c.feature)).toEqual(["a", "b", "d", "c"]);
    expect(all.contributions[0]?.value).toBeCloseTo(1.6, 12);
    expect(all.contributions[3]?.value).toBeCloseTo(-0.9, 12);
    expect(predictChurn(model, vector, 2).contributions.map((c) => c.feature)).toEqual(["a", "b"]);
  });

  it("refuses a vector of the wrong length", () => {
    expect(() => predictChurn(model, [1, 2, 3])).toThrow(/takes 4 features, the vector has 3/);
    expect(() => predictChurnProbability(model, [1])).toThrow(RangeError);
  });
});
