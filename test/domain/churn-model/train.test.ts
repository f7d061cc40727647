import { describe, expect, it } from "vitest";
import { parseChurnModelArtefact } from "../../../lambdas/domain/churn-model/artefacts.js";
import { predictChurnProbability } from "../../../lambdas/domain/churn-model/predict.js";
import { type TrainingRow, trainChurnModel } from "../../../lambdas/domain/churn-model/train.js";
import { logisticSample } from "./synthetic.js";

const featureNames = ["recency", "frequency", "noise"];
const options = {
  asOf: new Date("2026-03-01T00:00:00Z"),
  horizonDays: 30,
  label: "activity" as const,
  featureNames,
};

function rows(n: number, seed: number, intercept = -0.5): TrainingRow[] {
  const sample = logisticSample(n, [1.8, -1.2, 0], intercept, seed);
  return sample.rows.map((vector, i) => ({
    id: `user-${seed}-${i}`,
    vector,
    label: sample.labels[i] as boolean,
  }));
}

describe("trainChurnModel", () => {
  const data = rows(4_000, 1);
  const model = trainChurnModel(data, { ...options, btydVersion: 2 });

  it("learns a model that ranks and is calibrated on held-out users", () => {
    expect(model.kind).toBe("churn-lr");
    expect(model.featureNames).toEqual(featureNames);
    expect(model.metrics.converged).toBe(true);
    expect(model.metrics.rows).toBe(4_000);
    expect(model.metrics.positives).toBe(data.filter((row) => row.label).length);
    expect(model.metrics.validationRows).toBeGreaterThan(900);
    expect(model.metrics.validationRows).toBeLessThan(1_100);
    expect(model.metrics.validationAuc).toBeGreaterThan(0.8);
    expect(model.metrics.trainAuc).toBeGreaterThan(0.8);
    expect(model.metrics.reliability).toHaveLength(10);
    expect(model.metrics.brier).toBeLessThan(0.2);
    expect(model.calibration.a).toBeGreaterThan(0.8);
    expect(model.calibration.a).toBeLessThan(1.25);
    expect(model.btydVersion).toBe(2);
    // The weight on pure noise stays small next to the real signals.
    expect(Math.abs(model.weights[2] as number)).toBeLessThan(0.1);
  });

  it("predicts probabilities that match outcomes on fresh users", () => {
    const fresh = rows(4_000, 99);
    const predicted = fresh.reduce(
      (sum, row) => sum + predictChurnProbability(model, row.vector),
      0,
    );
    const observed = fresh.filter((row) => row.label).length;
    expect(Math.abs(predicted - observed) / fresh.length).toBeLessThan(0.03);
  });

  it("is a valid, JSON-safe artefact", () => {
    expect(parseChurnModelArtefact(JSON.parse(JSON.stringify(model)))).toEqual(model);
  });

  it("splits by row id: the same rows in any order give the same model", () => {
    const reversed = trainChurnModel([...data].reverse(), { ...options, btydVersion: 2 });
    expect(reversed.metrics.validationRows).toBe(model.metrics.validationRows);
    expect(reversed.calibration.a).toBeCloseTo(model.calibration.a, 8);
    for (const [j, w] of model.weights.entries()) expect(reversed.weights[j]).toBeCloseTo(w, 8);
    expect(trainChurnModel(data, { ...options, btydVersion: 2 })).toEqual(model);
  });

  it("holds out both classes even when churn is rare", () => {
    const rare = rows(40, 5, -6).map((row, i) => ({ ...row, label: i < 3 }));
    const trained = trainChurnModel(rare, options);
    expect(trained.metrics.positives).toBe(3);
    expect(trained.metrics.validationAuc).not.toBeNull();
  });

  it.each([
    ["fewer than 20 rows", rows(19, 3), /at least 20 labelled rows, got 19/],
    [
      "only churned users",
      rows(50, 3).map((row) => ({ ...row, label: true })),
      /both churned and retained rows, got 50 churned and 0 retained/,
    ],
    [
      "only retained users",
      rows(50, 3).map((row) => ({ ...row, label: false })),
      /both churned and retained/,
    ],
    [
      "a single churned user",
      rows(50, 3).map((row, i) => ({ ...row, label: i === 0 })),
      /at least 2 rows of each class/,
    ],
    [
      "vectors of the wrong length",
      rows(50, 3).map((row) => ({ ...row, vector: [1, 2] })),
      /has 2 features, expected 3/,
    ],
  ])("refuses %s with a RangeError", (_, bad, message) => {
    expect(() => trainChurnModel(bad, options)).toThrow(RangeError);
    expect(() => trainChurnModel(bad, options)).toThrow(message);
  });

  it.each([
    [{ validationShare: 0 }, /validationShare/],
    [{ validationShare: 1 }, /validationShare/],
    [{ horizonDays: 0 }, /horizonDays/],
    [{ asOf: "not a date" }, /asOf/],
  ])("refuses options %j", (change, message) => {
    expect(() => trainChurnModel(data, { ...options, ...change })).toThrow(message);
  });
});
