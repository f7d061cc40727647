import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type {
  BoostedTreesChurnModel,
  ChurnModelArtefact,
  LogisticChurnModel,
} from "../../../lambdas/domain/churn-model/artefacts.js";
import { boostedTreesBias } from "../../../lambdas/domain/churn-model/boosted-trees.js";
import { calibrate } from "../../../lambdas/domain/churn-model/calibration.js";
import {
  type Contribution,
  churnLogit,
  predictChurn,
  predictChurnInto,
  predictChurnProbability,
  TopContributions,
} from "../../../lambdas/domain/churn-model/predict.js";
import { trainChurnModel } from "../../../lambdas/domain/churn-model/train.js";
import { normal, random } from "./synthetic.js";

const model: LogisticChurnModel = {
  kind: "churn",
  algorithm: "logistic",
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

/** What predictChurn did before it selected: every contribution, fully sorted, then cut. */
function fullSort(model: LogisticChurnModel, vector: readonly number[], top?: number) {
  const contributions: Contribution[] = [];
  let logit = model.intercept;
  for (let i = 0; i < model.weights.length; i++) {
    const z = ((vector[i] as number) - (model.mean[i] as number)) / (model.scale[i] as number);
    const value = (model.weights[i] as number) * z;
    logit += value;
    contributions.push({ feature: model.featureNames[i] as string, value });
  }
  contributions.sort((p, q) => q.value - p.value);
  return {
    logit,
    contributions: top === undefined ? contributions : contributions.slice(0, Math.max(top, 0)),
  };
}

/**
 * Random models of up to 40 features whose contributions often tie (weights and inputs drawn
 * from a few values), so the order among equal values is tested, not only the order by value.
 */
const modelAndVector = fc.integer({ min: 1, max: 40 }).chain((n) => {
  const few = fc.constantFrom(-2, -1, -0.5, 0, 0.5, 1, 2);
  const any = fc.double({ min: -50, max: 50, noNaN: true });
  const value = fc.oneof(few, any);
  return fc.record({
    weights: fc.array(value, { minLength: n, maxLength: n }),
    mean: fc.array(fc.oneof(fc.constant(0), any), { minLength: n, maxLength: n }),
    scale: fc.array(fc.oneof(fc.constant(1), fc.double({ min: 0.01, max: 20, noNaN: true })), {
      minLength: n,
      maxLength: n,
    }),
    vector: fc.array(value, { minLength: n, maxLength: n }),
    intercept: any,
    top: fc.oneof(fc.integer({ min: 0, max: n + 2 }), fc.constantFrom(undefined, -1, 2.5)),
  });
});

function modelOf(drawn: {
  weights: number[];
  mean: number[];
  scale: number[];
  intercept: number;
}): LogisticChurnModel {
  return {
    ...model,
    featureNames: drawn.weights.map((_, i) => `f${i}`),
    weights: drawn.weights,
    mean: drawn.mean,
    scale: drawn.scale,
    intercept: drawn.intercept,
  };
}

describe("the top contributions", () => {
  it("are the first of a full sort, ties in feature order, with the same logit", () => {
    fc.assert(
      fc.property(modelAndVector, (drawn) => {
        const m = modelOf(drawn);
        const expected = fullSort(m, drawn.vector, drawn.top);
        const prediction = predictChurn(m, drawn.vector, drawn.top);
        expect(prediction.contributions).toEqual(expected.contributions);
        expect(prediction.logit).toBe(expected.logit);
      }),
      { numRuns: 500 },
    );
  });

  it("are written in place by predictChurnInto, as predictChurn lists them", () => {
    const buffers = [0, 1, 3, 12, 50].map((capacity) => new TopContributions(capacity));
    fc.assert(
      fc.property(modelAndVector, (drawn) => {
        const m = modelOf(drawn);
        for (const into of buffers) {
          const probability = predictChurnInto(m, drawn.vector, into);
          const expected = predictChurn(m, drawn.vector, into.capacity);
          expect(probability).toBe(expected.probability);
          expect(into.logit).toBe(expected.logit);
          expect(into.count).toBe(expected.contributions.length);
          const written = Array.from({ length: into.count }, (_, j) => ({
            feature: into.features[j],
            value: into.values[j],
          }));
          expect(written).toEqual(expected.contributions);
        }
      }),
      { numRuns: 300 },
    );
  });

  it("with a floor, are predictChurn's list cut before the first contribution below it", () => {
    const into = new TopContributions(12);
    fc.assert(
      fc.property(modelAndVector, fc.double({ min: -60, max: 60, noNaN: true }), (drawn, floor) => {
        const m = modelOf(drawn);
        const probability = predictChurnInto(m, drawn.vector, into, floor);
        const expected = predictChurn(m, drawn.vector, 12);
        const cut = expected.contributions.findIndex((c) => c.value < floor);
        const kept = cut < 0 ? expected.contributions : expected.contributions.slice(0, cut);
        expect(probability).toBe(expected.probability);
        expect(into.count).toBe(kept.length);
        for (let j = 0; j < into.count; j++) {
          expect(into.features[j]).toBe(kept[j]?.feature);
          expect(into.values[j]).toBe(kept[j]?.value);
        }
      }),
      { numRuns: 300 },
    );
  });

  it("follow the full sort when a contribution is not a number", () => {
    const m = { ...model, scale: [2, 0, 1, 4] };
    const vector = [5, -2, -3, 10]; // 0/0 for b
    const expected = fullSort(m, vector, 3);
    expect(predictChurn(m, vector, 3).contributions).toEqual(expected.contributions);
    const into = new TopContributions(3);
    predictChurnInto(m, vector, into);
    expect(into.count).toBe(3);
    expect([...into.features]).toEqual(expected.contributions.map((c) => c.feature));
    // Cut before the first value below the floor, wherever the NaN was sorted to.
    predictChurnInto(m, vector, into, 1);
    const cut = expected.contributions.findIndex((c) => c.value < 1);
    expect(into.count).toBe(cut < 0 ? 3 : cut);
  });

  it("refuses a buffer of no whole size", () => {
    expect(() => new TopContributions(-1)).toThrow(RangeError);
    expect(() => new TopContributions(1.5)).toThrow(RangeError);
  });
});

function asTrees(model: ChurnModelArtefact): BoostedTreesChurnModel {
  if (model.algorithm !== "boosted-trees") {
    throw new Error(`expected boosted-trees, got ${model.algorithm}`);
  }
  return model;
}

/**
 * Small trees on five features: churn when long silent and frequent before, more often with an
 * abandoned cart; "noise" carries nothing and "constant" never varies, so no tree can split on it.
 */
const treesModel = (() => {
  const next = random(11);
  const rows = Array.from({ length: 600 }, (_, i) => {
    const vector = [next() * 4, next() * 4, normal(next), next() < 0.3 ? 1 : 0, 1];
    const [silence, frequency, , cart] = vector as [number, number, number, number];
    const p = silence > 2 && frequency > 2 ? 0.8 : cart === 1 ? 0.4 : 0.1;
    return { id: `u${i}`, vector, label: next() < p };
  });
  return asTrees(
    trainChurnModel(rows, {
      asOf: "2026-03-01T00:00:00Z",
      horizonDays: 30,
      label: "activity",
      featureNames: ["silence", "frequency", "noise", "cart", "constant"],
      algorithm: "boosted-trees",
      trees: { rounds: 30, minLeafRows: 10 },
    }),
  );
})();

const treesBias = boostedTreesBias({
  baseLogit: treesModel.baseLogit,
  trees: treesModel.trees,
  featureCount: treesModel.featureNames.length,
});

/** Vectors in the training range, often exactly on a split threshold (x ≤ t goes left). */
const treesVector = (() => {
  const thresholds = [
    ...new Set(treesModel.trees.flatMap((t) => t.threshold.filter((_, i) => t.feature[i] !== -1))),
  ];
  const value = fc.oneof(
    fc.double({ min: -3, max: 5, noNaN: true }),
    fc.constantFrom(...thresholds),
    fc.constantFrom(0, 1),
  );
  return fc.array(value, { minLength: 5, maxLength: 5 });
})();

describe("predictChurn with boosted trees", () => {
  it("is a model that splits on the signals and never on the constant", () => {
    const used = new Set(treesModel.trees.flatMap((tree) => tree.feature));
    expect(used.has(0) && used.has(1) && used.has(3)).toBe(true);
    expect(used.has(4)).toBe(false);
  });

  it("has contributions that sum to the logit minus the trees' bias", () => {
    fc.assert(
      fc.property(treesVector, (vector) => {
        const prediction = predictChurn(treesModel, vector);
        expect(prediction.contributions).toHaveLength(5);
        expect(new Set(prediction.contributions.map((c) => c.feature)).size).toBe(5);
        const sum = prediction.contributions.reduce((total, c) => total + c.value, 0);
        expect(Math.abs(sum - (prediction.logit - treesBias))).toBeLessThan(1e-9);
        expect(prediction.logit).toBe(churnLogit(treesModel, vector));
        expect(prediction.probability).toBe(calibrate(treesModel.calibration, prediction.logit));
        expect(predictChurnProbability(treesModel, Float64Array.from(vector))).toBe(
          prediction.probability,
        );
        // Sorted most churn-ward first; a feature no tree splits on moves nothing.
        for (let j = 1; j < prediction.contributions.length; j++) {
          const [earlier, later] = [prediction.contributions[j - 1], prediction.contributions[j]];
          expect(earlier?.value).toBeGreaterThanOrEqual(later?.value as number);
        }
        expect(prediction.contributions.find((c) => c.feature === "constant")?.value).toBe(0);
      }),
      { numRuns: 300 },
    );
  });

  it("ranks a long-silent frequent user above a long-silent rare one, silence first", () => {
    const churning = predictChurn(treesModel, [3.5, 3.5, 0, 0, 1]);
    const resting = predictChurn(treesModel, [3.5, 0.5, 0, 0, 1]);
    expect(churning.probability).toBeGreaterThan(0.6);
    expect(resting.probability).toBeLessThan(0.3);
    const top = churning.contributions.slice(0, 2).map((c) => c.feature);
    expect(top.sort()).toEqual(["frequency", "silence"]);
  });

  it("is written in place by predictChurnInto as predictChurn(…, top) lists it", () => {
    const buffers = [0, 1, 2, 4, 5, 9].map((capacity) => new TopContributions(capacity));
    fc.assert(
      fc.property(treesVector, (vector) => {
        for (const into of buffers) {
          const probability = predictChurnInto(treesModel, vector, into);
          const expected = predictChurn(treesModel, vector, into.capacity);
          expect(probability).toBe(expected.probability);
          expect(into.logit).toBe(expected.logit);
          expect(into.count).toBe(Math.min(into.capacity, 5));
          expect(into.count).toBe(expected.contributions.length);
          const written = Array.from({ length: into.count }, (_, j) => ({
            feature: into.features[j],
            value: into.values[j],
          }));
          expect(written).toEqual(expected.contributions);
        }
      }),
      { numRuns: 200 },
    );
  });

  it("credits each split's change of value to the split's feature (a hand-made tree)", () => {
    // One tree: b ≤ 1 → 0.3, else → −0.2, from a root value of 0.1; NaN goes right.
    const handMade: BoostedTreesChurnModel = {
      ...treesModel,
      featureNames: ["a", "b", "c"],
      baseLogit: -1,
      trees: [
        {
          feature: [1, -1, -1],
          threshold: [1, 0, 0],
          left: [1, -1, -1],
          right: [2, -1, -1],
          value: [0.1, 0.3, -0.2],
        },
      ],
      calibration: { a: 1, b: 0 },
    };
    const left = predictChurn(handMade, [9, 1, -9]);
    expect(left.logit).toBeCloseTo(-0.7, 12);
    expect(left.probability).toBeCloseTo(1 / (1 + Math.exp(0.7)), 12);
    expect(left.contributions).toEqual([
      { feature: "b", value: expect.closeTo(0.2, 12) },
      { feature: "a", value: 0 },
      { feature: "c", value: 0 },
    ]);
    const right = predictChurn(handMade, [0, Number.NaN, 0]);
    expect(right.logit).toBeCloseTo(-1.2, 12);
    expect(right.contributions.at(-1)).toEqual({ feature: "b", value: expect.closeTo(-0.3, 12) });
  });

  it("refuses a vector of the wrong length with a RangeError", () => {
    const into = new TopContributions(3);
    for (const vector of [[1, 2, 3, 4], [1, 2, 3, 4, 5, 6], []]) {
      expect(() => predictChurn(treesModel, vector)).toThrow(RangeError);
      expect(() => predictChurn(treesModel, vector, 2)).toThrow(/takes 5 features/);
      expect(() => churnLogit(treesModel, vector)).toThrow(RangeError);
      expect(() => predictChurnProbability(treesModel, vector)).toThrow(RangeError);
      expect(() => predictChurnInto(treesModel, vector, into)).toThrow(RangeError);
    }
  });
});
