import { describe, expect, it } from "vitest";
import { CHURN_FEATURE_NAMES } from "../../lambdas/domain/churn-model/feature-vector.js";
import { predictChurnProbability } from "../../lambdas/domain/churn-model/predict.js";
import { alignFeatures } from "../../lambdas/use-cases/load-scoring-models.js";

function model(featureNames: readonly string[]) {
  const n = featureNames.length;
  return {
    kind: "churn-lr",
    asOf: "2026-01-01T00:00:00.000Z",
    horizonDays: 30,
    label: "activity",
    featureNames: [...featureNames],
    mean: Array.from({ length: n }, (_, i) => i / 10),
    scale: Array.from({ length: n }, (_, i) => 1 + i / 20),
    weights: Array.from({ length: n }, (_, i) => ((i % 5) - 2) / 7),
    intercept: -0.3,
    l2: 1,
    calibration: { a: 1.1, b: -0.2 },
  } as unknown as Parameters<typeof alignFeatures>[0];
}

describe("alignFeatures", () => {
  it("keeps a model of today's features as it is", () => {
    const current = model(CHURN_FEATURE_NAMES);
    expect(alignFeatures(current)).toBe(current);
  });

  it("scores a model trained before features were added exactly as before", () => {
    const older = CHURN_FEATURE_NAMES.slice(0, CHURN_FEATURE_NAMES.length - 4);
    const old = model(older);
    const aligned = alignFeatures(old);
    const vector = CHURN_FEATURE_NAMES.map((_, i) => Math.sin(i) * 3);
    expect(predictChurnProbability(aligned, vector)).toBeCloseTo(
      predictChurnProbability(old, vector.slice(0, older.length)),
      12,
    );
  });

  it("refuses a model that needs a feature this version does not compute", () => {
    expect(() => alignFeatures(model([...CHURN_FEATURE_NAMES, "retiredFeature"]))).toThrow(
      /retiredFeature.*train a new version/,
    );
  });
});
