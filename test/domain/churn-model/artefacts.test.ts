import { describe, expect, it } from "vitest";
import {
  type ChurnModelArtefact,
  parseBtydArtefact,
  parseChurnModelArtefact,
  parseModelArtefact,
} from "../../../lambdas/domain/churn-model/artefacts.js";

const churnModel: ChurnModelArtefact = {
  kind: "churn-lr",
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
    expect(parseModelArtefact(viaJson(churnModel)).kind).toBe("churn-lr");
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
});
