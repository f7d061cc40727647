import { describe, expect, it } from "vitest";
import {
  type BoostedTreesChurnModel,
  type LogisticChurnModel,
  parseBtydArtefact,
  parseChurnModelArtefact,
  parseModelArtefact,
} from "../../../lambdas/domain/churn-model/artefacts.js";

const churnModel: LogisticChurnModel = {
  kind: "churn",
  algorithm: "logistic",
  asOf: "2026-03-01T00:00:00.000Z",
  horizonDays: 30,
  label: "activity",
  featureNames: ["a", "b", "c"],
  mean: [0.5, 1, -2],
  scale: [1, 0.25, 3],
  weights: [0.7, -1.2, 0],
  intercept: -0.4,
  l2: 1,
  calibration: { a: 0.9, b: 0.1 },
  metrics: {
    rows: 1000,
    positives: 200,
    validationRows: 250,
    trainAuc: 0.81,
    validationAuc: 0.79,
    brier: 0.12,
    logLoss: 0.38,
    reliability: [
      { lower: 0, upper: 0.5, count: 200, meanPredicted: 0.1, observed: 0.12 },
      { lower: 0.5, upper: 1, count: 0, meanPredicted: null, observed: null },
    ],
    converged: true,
    iterations: 7,
  },
  btydVersion: 3,
};

/**
 * Two trees on features a, b, c. Tree 0: a ≤ 0.5 → leaf 1, else b ≤ 2 → leaf 3, else leaf 4.
 * Tree 1 is a single leaf.
 */
const tree = {
  feature: [0, -1, 1, -1, -1],
  threshold: [0.5, 0, 2, 0, 0],
  left: [1, -1, 3, -1, -1],
  right: [2, -1, 4, -1, -1],
  value: [0, -0.1, 0.05, 0.02, 0.2],
};

const {
  mean: _mean,
  scale: _scale,
  weights: _weights,
  intercept: _intercept,
  ...shared
} = churnModel;

const treesModel: BoostedTreesChurnModel = {
  ...shared,
  algorithm: "boosted-trees",
  baseLogit: -1.2,
  trees: [tree, { feature: [-1], threshold: [0], left: [-1], right: [-1], value: [0.01] }],
  learningRate: 0.1,
  maxDepth: 3,
  l2: 1,
  metrics: {
    ...churnModel.metrics,
    candidates: [
      { algorithm: "logistic", validationAuc: 0.74, logLoss: 0.41 },
      { algorithm: "boosted-trees", validationAuc: 0.79, logLoss: 0.38 },
    ],
  },
};

/** treesModel with its first tree changed. */
function withTree(change: Partial<typeof tree>): unknown {
  return { ...treesModel, trees: [{ ...tree, ...change }, ...treesModel.trees.slice(1)] };
}

const btyd = {
  kind: "btyd",
  unit: "weeks",
  calibrationEnd: "1997-09-30",
  customers: 2357,
  bgNbd: {
    params: { r: 0.24, alpha: 4.4, a: 0.79, b: 2.4 },
    logLikelihood: -9582.4,
    converged: true,
  },
  mbgNbd: {
    params: { r: 0.52, alpha: 6.2, a: 0.89, b: 1.6 },
    logLikelihood: -9608.1,
    converged: true,
  },
  paretoNbd: {
    params: { r: 0.55, alpha: 10.6, s: 0.61, beta: 11.7 },
    logLikelihood: -9595,
    converged: true,
  },
  gammaGamma: null,
};

const viaJson = (value: unknown) => JSON.parse(JSON.stringify(value));

describe("model artefacts", () => {
  it("round-trip through JSON", () => {
    expect(parseChurnModelArtefact(viaJson(churnModel))).toEqual(churnModel);
    expect(parseBtydArtefact(viaJson(btyd))).toEqual(btyd);
    expect(parseModelArtefact(viaJson(churnModel)).kind).toBe("churn");
    expect(parseModelArtefact(viaJson(btyd)).kind).toBe("btyd");
  });

  it.each([
    ["a NaN weight", { weights: [0.7, Number.NaN, 0] }, /weights\.1: must be a finite number/],
    ["a NaN weight after JSON (null)", viaJson({ weights: [0.7, Number.NaN, 0] }), /weights\.1/],
    [
      "an infinite intercept",
      { intercept: Number.POSITIVE_INFINITY },
      /intercept: must be a finite/,
    ],
    ["a zero scale", { scale: [1, 0, 3] }, /scale\.1: must be positive/],
    ["too few weights", { weights: [0.7, -1.2] }, /weights: has 2 entries but featureNames has 3/],
    ["too many means", { mean: [0, 0, 0, 0] }, /mean: has 4 entries but featureNames has 3/],
    ["duplicate names", { featureNames: ["a", "a", "c"] }, /featureNames: names must be distinct/],
    ["an unknown label", { label: "visits" }, /label/],
    ["an unknown key", { version: 3 }, /\(root\)|version/],
    ["a NaN Platt slope", { calibration: { a: Number.NaN, b: 0 } }, /calibration\.a/],
  ])("refuse %s with a message naming it", (_, change, message) => {
    expect(() => parseChurnModelArtefact({ ...churnModel, ...change })).toThrow(message);
  });

  it.each([
    ["an impossible date", { calibrationEnd: "1997-02-30" }, /calibrationEnd/],
    [
      "a negative parameter",
      { paretoNbd: { ...btyd.paretoNbd, params: { ...btyd.paretoNbd.params, s: -1 } } },
      /paretoNbd\.params\.s: must be positive/,
    ],
    ["another unit", { unit: "days" }, /unit/],
  ])("refuse a BTYD artefact with %s", (_, change, message) => {
    expect(() => parseBtydArtefact({ ...btyd, ...change })).toThrow(message);
  });

  it("refuses an unknown kind", () => {
    expect(() => parseModelArtefact({ ...btyd, kind: "random-forest" })).toThrow(/model artefact/);
  });

  it("refuses a stored model of the retired kind churn-lr", () => {
    // As the regression used to be stored: another kind and no algorithm field.
    const { algorithm: _algorithm, ...unlabelled } = churnModel;
    expect(() => parseChurnModelArtefact({ ...unlabelled, kind: "churn-lr" })).toThrow(
      /churn model artefact: algorithm/,
    );
    expect(() => parseChurnModelArtefact({ ...churnModel, kind: "churn-lr" })).toThrow(
      /churn model artefact: kind/,
    );
    expect(() => parseModelArtefact({ ...churnModel, kind: "churn-lr" })).toThrow(/model artefact/);
  });
});

describe("boosted-trees churn artefacts", () => {
  it("round-trip through JSON", () => {
    expect(parseChurnModelArtefact(viaJson(treesModel))).toEqual(treesModel);
    const parsed = parseModelArtefact(viaJson(treesModel));
    expect(parsed.kind).toBe("churn");
    expect(parsed.kind === "churn" && parsed.algorithm).toBe("boosted-trees");
  });

  it("accept children anywhere later in the arrays, not only in walk order", () => {
    // Root → 3 (leaf) and 1; 1 → 2 and 4 (leaves): every walk still ends at a leaf.
    const shuffled = {
      feature: [0, 2, -1, -1, -1],
      threshold: [0.5, -1, 0, 0, 0],
      left: [3, 2, -1, -1, -1],
      right: [1, 4, -1, -1, -1],
      value: [0, 0.1, 0.2, -0.1, 0.3],
    };
    const model = { ...treesModel, trees: [shuffled] };
    expect(parseChurnModelArtefact(viaJson(model))).toEqual(model);
  });

  it.each([
    ["no algorithm", (({ algorithm: _a, ...rest }) => rest)(treesModel), /algorithm/],
    ["an unknown algorithm", { ...treesModel, algorithm: "random-forest" }, /algorithm/],
    ["a regression's weights next to the trees", { ...treesModel, weights: [1, 2, 3] }, /weights/],
    ["no trees", { ...treesModel, trees: [] }, /trees: /],
    ["a NaN base logit", { ...treesModel, baseLogit: Number.NaN }, /baseLogit: must be a finite/],
    ["a zero learning rate", { ...treesModel, learningRate: 0 }, /learningRate: must be positive/],
    [
      "fewer thresholds than nodes",
      withTree({ threshold: [0.5, 0, 2, 0] }),
      /trees\.0\.threshold: has 4 entries but feature has 5/,
    ],
    [
      "more values than nodes",
      withTree({ value: [0, 0, 0, 0, 0, 0] }),
      /trees\.0\.value: has 6 entries but feature has 5/,
    ],
    [
      "a missing right child list",
      withTree({ right: [2, -1, 4] }),
      /trees\.0\.right: has 3 entries but feature has 5/,
    ],
    [
      "a leaf with a child",
      withTree({ left: [1, 4, 3, -1, -1] }),
      /trees\.0\.left\.1: a leaf \(feature -1\) must have no children/,
    ],
    [
      "a node that points to itself",
      withTree({ right: [2, -1, 2, -1, -1] }),
      /trees\.0\.(left|right)\.2: node 2 must point to two later nodes/,
    ],
    [
      "a node that points back to the root (a cycle)",
      withTree({ left: [1, -1, 0, -1, -1] }),
      /trees\.0\.(left|right)\.2: node 2 must point to two later nodes/,
    ],
    [
      "a node that points past the end",
      withTree({ right: [5, -1, 4, -1, -1] }),
      /trees\.0\.(left|right)\.0: node 0 must point to two later nodes/,
    ],
    [
      "an internal node without children",
      withTree({ left: [1, -1, -1, -1, -1], right: [2, -1, -1, -1, -1] }),
      /trees\.0\.(left|right)\.2: node 2 must point to two later nodes/,
    ],
    [
      "a split on a feature index past featureNames",
      withTree({ feature: [0, -1, 3, -1, -1] }),
      /trees\.0\.feature\.2: splits on feature 3 but featureNames has 3/,
    ],
    [
      "a feature index below -1",
      withTree({ feature: [-2, -1, 1, -1, -1] }),
      /trees\.0\.feature\.0/,
    ],
    [
      "a fractional feature index",
      withTree({ feature: [0.5, -1, 1, -1, -1] }),
      /trees\.0\.feature\.0/,
    ],
    [
      "a NaN threshold",
      withTree({ threshold: [Number.NaN, 0, 2, 0, 0] }),
      /trees\.0\.threshold\.0: must be a finite number/,
    ],
    [
      "a NaN threshold after JSON (null)",
      viaJson(withTree({ threshold: [0.5, 0, Number.NaN, 0, 0] })),
      /trees\.0\.threshold\.2: must be a finite number/,
    ],
    [
      "an infinite leaf value",
      withTree({ value: [0, -0.1, 0.05, Number.POSITIVE_INFINITY, 0.2] }),
      /trees\.0\.value\.3: must be a finite number/,
    ],
    [
      "an unknown key in a tree",
      withTree({ gain: [1, 0, 1, 0, 0] } as Partial<typeof tree>),
      /trees\.0.*gain/,
    ],
    [
      "an unknown candidate algorithm",
      {
        ...treesModel,
        metrics: {
          ...treesModel.metrics,
          candidates: [{ algorithm: "random-forest", validationAuc: 0.5, logLoss: 0.6 }],
        },
      },
      /metrics\.candidates\.0\.algorithm/,
    ],
  ])("refuse %s with a message naming it", (_, broken, message) => {
    expect(() => parseChurnModelArtefact(broken)).toThrow(message);
  });

  it("refuse a regression that carries tree fields (the schemas are strict)", () => {
    expect(() => parseChurnModelArtefact({ ...churnModel, trees: treesModel.trees })).toThrow(
      /Unrecognized key.*trees/,
    );
    expect(() => parseChurnModelArtefact({ ...churnModel, baseLogit: -1 })).toThrow(/baseLogit/);
    // The regression's fields under the trees' label are refused as well.
    expect(() => parseChurnModelArtefact({ ...churnModel, algorithm: "boosted-trees" })).toThrow(
      /churn model artefact/,
    );
  });
});
