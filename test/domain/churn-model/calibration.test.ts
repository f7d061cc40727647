import { describe, expect, it } from "vitest";
import {
  brierScore,
  calibrate,
  expectedCalibrationError,
  fitPlatt,
  IDENTITY_CALIBRATION,
  logLoss,
  reliabilityBins,
} from "../../../lambdas/domain/churn-model/calibration.js";
import { normal, random, sigmoidOf } from "./synthetic.js";

/** True logits s with outcomes drawn from σ(s), and a model that reports 3s + 1 instead. */
function misScaled(n: number, seed: number) {
  const next = random(seed);
  const truth: number[] = [];
  const labels: boolean[] = [];
  for (let i = 0; i < n; i++) {
    const s = 1.5 * normal(next);
    truth.push(s);
    labels.push(next() < sigmoidOf(s));
  }
  return { logits: truth.map((s) => 3 * s + 1), labels };
}

describe("Platt scaling", () => {
  it("makes a deliberately mis-scaled model calibrated on fresh data", () => {
    const fit = misScaled(20_000, 1);
    const calibration = fitPlatt(fit.logits, fit.labels);
    expect(calibration.a).toBeCloseTo(1 / 3, 1);
    expect(calibration.b).toBeCloseTo(-1 / 3, 1);

    const check = misScaled(20_000, 2);
    const before = reliabilityBins(
      check.logits.map((logit) => calibrate(IDENTITY_CALIBRATION, logit)),
      check.labels,
    );
    const after = reliabilityBins(
      check.logits.map((logit) => calibrate(calibration, logit)),
      check.labels,
    );
    expect(expectedCalibrationError(before)).toBeGreaterThan(0.08);
    expect(expectedCalibrationError(after)).toBeLessThan(0.02);
    for (const bin of after) {
      if (bin.count >= 500) {
        expect(Math.abs((bin.meanPredicted as number) - (bin.observed as number))).toBeLessThan(
          0.04,
        );
      }
    }
  });

  it("stays finite when the logits separate the classes perfectly", () => {
    const logits = [-3, -2, -1, 1, 2, 3];
    const calibration = fitPlatt(logits, [false, false, false, true, true, true]);
    expect(Number.isFinite(calibration.a)).toBe(true);
    expect(Number.isFinite(calibration.b)).toBe(true);
    expect(calibration.a).toBeGreaterThan(0);
    // Platt's smoothed targets keep the extremes off 0 and 1.
    expect(calibrate(calibration, 3)).toBeLessThan(1);
  });

  it("falls back to the (smoothed) base rate when every logit is the same", () => {
    const calibration = fitPlatt([0.5, 0.5, 0.5, 0.5], [true, false, false, false]);
    expect(calibration.a).toBeCloseTo(0, 6);
    // Mean of the smoothed targets: (2/3 + 3 · 1/5) / 4.
    expect(calibrate(calibration, 0.5)).toBeCloseTo((2 / 3 + 3 / 5) / 4, 6);
  });

  it("refuses non-finite logits and mismatched lengths", () => {
    expect(() => fitPlatt([Number.NaN], [true])).toThrow(RangeError);
    expect(() => fitPlatt([1, 2], [true])).toThrow(/2 logits but 1 labels/);
  });
});

describe("reliability bins", () => {
  it("puts each probability in its tenth, 1 in the last, and keeps empty bins", () => {
    const bins = reliabilityBins([0, 0.05, 0.1, 0.95, 1], [false, true, false, true, true]);
    expect(bins).toHaveLength(10);
    expect(bins[0]).toEqual({
      lower: 0,
      upper: 0.1,
      count: 2,
      meanPredicted: 0.025,
      observed: 0.5,
    });
    expect(bins[1]).toMatchObject({ count: 1, meanPredicted: 0.1, observed: 0 });
    expect(bins[5]).toMatchObject({ count: 0, meanPredicted: null, observed: null });
    expect(bins[9]).toMatchObject({ count: 2, meanPredicted: 0.975, observed: 1 });
  });
});

describe("scores", () => {
  it.each([
    // probabilities, labels, brier, log loss
    [[1, 0], [true, false], 0, 0],
    [[0.5, 0.5], [true, false], 0.25, Math.LN2],
    [[0.8, 0.3], [true, false], (0.04 + 0.09) / 2, -(Math.log(0.8) + Math.log(0.7)) / 2],
  ])("brier and log loss of %j", (probabilities, labels, brier, loss) => {
    expect(brierScore(probabilities, labels)).toBeCloseTo(brier, 12);
    expect(logLoss(probabilities, labels)).toBeCloseTo(loss, 12);
  });

  it("keeps the log loss of a confident miss finite", () => {
    expect(logLoss([0], [true])).toBeCloseTo(-Math.log(1e-15), 6);
  });
});
