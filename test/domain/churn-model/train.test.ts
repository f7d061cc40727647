import { describe, expect, it } from "vitest";
import {
  type BoostedTreesChurnModel,
  type ChurnModelArtefact,
  type LogisticChurnModel,
  parseChurnModelArtefact,
} from "../../../lambdas/domain/churn-model/artefacts.js";
import { predictChurnProbability } from "../../../lambdas/domain/churn-model/predict.js";
import {
  type ChurnAlgorithm,
  DEFAULT_L2,
  L2_GRID,
  MIN_AUC_GAIN,
  type TrainingRow,
  trainChurnModel,
} from "../../../lambdas/domain/churn-model/train.js";
import { logisticSample, normal, random } from "./synthetic.js";

const featureNames = ["recency", "frequency", "noise"];

function asLogistic(model: ChurnModelArtefact): LogisticChurnModel {
  if (model.algorithm !== "logistic") throw new Error(`expected logistic, got ${model.algorithm}`);
  return model;
}
function asTrees(model: ChurnModelArtefact): BoostedTreesChurnModel {
  if (model.algorithm !== "boosted-trees") {
    throw new Error(`expected boosted-trees, got ${model.algorithm}`);
  }
  return model;
}

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
  const model = asLogistic(
    trainChurnModel(data, { ...options, algorithm: "logistic", btydVersion: 2 }),
  );

  it("learns a model that ranks and is calibrated on held-out users", () => {
    expect(model.kind).toBe("churn");
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
    const reversed = asLogistic(
      trainChurnModel([...data].reverse(), { ...options, algorithm: "logistic", btydVersion: 2 }),
    );
    expect(reversed.metrics.validationRows).toBe(model.metrics.validationRows);
    expect(reversed.calibration.a).toBeCloseTo(model.calibration.a, 8);
    for (const [j, w] of model.weights.entries()) expect(reversed.weights[j]).toBeCloseTo(w, 8);
    expect(trainChurnModel(data, { ...options, algorithm: "logistic", btydVersion: 2 })).toEqual(
      model,
    );
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

/**
 * A shop where users' rhythms differ: a long silence (feature 0, log days) means churn only for
 * a user who used to come often (feature 1); a rare visitor silent as long is just between
 * visits. Feature 2 is noise. No weighted sum of the features draws that corner.
 */
function rhythmRows(n: number, seed: number): TrainingRow[] {
  const next = random(seed);
  return Array.from({ length: n }, (_, i) => {
    const vector = [next() * 4, next() * 4, normal(next)];
    const [silence, frequency] = vector as [number, number];
    const p = silence > 2 && frequency > 2 ? 0.85 : 0.1;
    return { id: `rhythm-${seed}-${i}`, vector, label: next() < p };
  });
}

/** The candidate of `algorithm` (for the regression: the one with the given, or the kept, λ). */
function candidate(model: ChurnModelArtefact, algorithm: ChurnAlgorithm, l2?: number) {
  const found = model.metrics.candidates?.find(
    (c) =>
      c.algorithm === algorithm &&
      (algorithm !== "logistic" ||
        c.l2 === (l2 ?? (model.algorithm === "logistic" ? model.l2 : DEFAULT_L2))),
  );
  if (!found) throw new Error(`no ${algorithm} candidate`);
  return found;
}

/** The best held-out AUC among the regressions tried. */
function bestRegressionAuc(model: ChurnModelArtefact): number {
  return Math.max(
    ...(model.metrics.candidates ?? [])
      .filter((c) => c.algorithm === "logistic")
      .map((c) => c.validationAuc as number),
  );
}

const EVERY_CANDIDATE = [...L2_GRID.map(() => "logistic"), "boosted-trees"];

/** The artefact without the list of candidates tried (which differs between auto and forced). */
function withoutCandidates(model: ChurnModelArtefact) {
  return { ...model, metrics: { ...model.metrics, candidates: undefined } };
}

describe("trainChurnModel choosing the algorithm", () => {
  const rhythm = rhythmRows(3_000, 7);
  const auto = trainChurnModel(rhythm, options);
  const forced = asTrees(trainChurnModel(rhythm, { ...options, algorithm: "boosted-trees" }));

  it("keeps boosted trees where the churn signal is an interaction", () => {
    const trees = asTrees(auto);
    expect(trees.kind).toBe("churn");
    expect(trees.featureNames).toEqual(featureNames);
    expect(trees.metrics.candidates?.map((c) => c.algorithm)).toEqual(EVERY_CANDIDATE);
    expect(trees.metrics.candidates?.map((c) => c.l2).filter((l2) => l2 !== undefined)).toEqual([
      ...L2_GRID,
    ]);
    const logisticAuc = bestRegressionAuc(trees);
    const treesAuc = candidate(trees, "boosted-trees").validationAuc as number;
    expect(treesAuc - logisticAuc).toBeGreaterThanOrEqual(MIN_AUC_GAIN);
    expect(treesAuc).toBeGreaterThan(0.8);
    // The stored metrics are the chosen one's.
    expect(trees.metrics.validationAuc).toBe(treesAuc);
    expect(trees.metrics.logLoss).toBe(candidate(trees, "boosted-trees").logLoss);
    expect(trees.metrics.logLoss).toBeLessThan(candidate(trees, "logistic").logLoss);
    // It found the corner: long silence matters only for the frequent user.
    expect(predictChurnProbability(trees, [3.5, 3.5, 0])).toBeGreaterThan(0.7);
    expect(predictChurnProbability(trees, [3.5, 0.5, 0])).toBeLessThan(0.2);
    expect(predictChurnProbability(trees, [0.5, 3.5, 0])).toBeLessThan(0.2);
  });

  it("stores trees that survive JSON and the artefact schema", () => {
    expect(parseChurnModelArtefact(JSON.parse(JSON.stringify(auto)))).toEqual(auto);
  });

  it("gives the same trees when they are forced as when they win", () => {
    expect(forced.metrics.candidates?.map((c) => c.algorithm)).toEqual(["boosted-trees"]);
    expect(withoutCandidates(forced)).toEqual(withoutCandidates(auto));
    expect(forced.metrics.iterations).toBe(forced.trees.length);
  });

  it("keeps the regression on data a weighted sum explains", () => {
    const data = rows(4_000, 1);
    const chosen = trainChurnModel(data, options);
    expect(chosen.algorithm).toBe("logistic");
    expect(chosen.metrics.candidates?.map((c) => c.algorithm)).toEqual(EVERY_CANDIDATE);
    const logisticAuc = candidate(chosen, "logistic").validationAuc as number;
    const treesAuc = candidate(chosen, "boosted-trees").validationAuc as number;
    expect(treesAuc - logisticAuc).toBeLessThan(MIN_AUC_GAIN);
    expect(chosen.metrics.validationAuc).toBe(logisticAuc);
    // The same regression (and calibration) as when it is asked for by name.
    const logistic = trainChurnModel(data, { ...options, algorithm: "logistic" });
    expect(withoutCandidates(chosen)).toEqual(withoutCandidates(logistic));
  });

  it("forced trees give calibrated probabilities on fresh users", () => {
    const fresh = rhythmRows(4_000, 99).map((row) => ({
      corner: (row.vector[0] as number) > 2 && (row.vector[1] as number) > 2,
      label: row.label,
      p: predictChurnProbability(forced, row.vector),
    }));
    const rate = (group: readonly { label: boolean }[]) =>
      group.filter((row) => row.label).length / group.length;
    const meanP = (group: readonly { p: number }[]) =>
      group.reduce((sum, row) => sum + row.p, 0) / group.length;
    expect(Math.abs(meanP(fresh) - rate(fresh))).toBeLessThan(0.03);
    // In the churning corner and outside it, the probabilities mean what they say.
    const corner = fresh.filter((row) => row.corner);
    const rest = fresh.filter((row) => !row.corner);
    expect(corner.length).toBeGreaterThan(800);
    expect(Math.abs(meanP(corner) - rate(corner))).toBeLessThan(0.04);
    expect(Math.abs(meanP(rest) - rate(rest))).toBeLessThan(0.04);
    // And they separate: the riskiest quarter churns far more than the safest.
    const sorted = [...fresh].sort((x, y) => x.p - y.p);
    expect(rate(sorted.slice(3_000)) - rate(sorted.slice(0, 1_000))).toBeGreaterThan(0.6);
  });

  it("refuses an algorithm it does not know rather than storing a model", () => {
    const unknown = "random-forest" as unknown as ChurnAlgorithm;
    expect(() => trainChurnModel(rows(60, 4), { ...options, algorithm: unknown })).toThrow();
  });
});

describe("trainChurnModel choosing the regression's penalty", () => {
  /** One real signal among 40 noise columns, on few users: a strong penalty ranks better. */
  function noisyRows(n: number, seed: number): TrainingRow[] {
    const next = random(seed);
    return Array.from({ length: n }, (_, i) => {
      const vector = Array.from({ length: 41 }, () => normal(next));
      const p = 1 / (1 + Math.exp(-0.8 * (vector[0] as number)));
      return { id: `noisy-${seed}-${i}`, vector, label: next() < p };
    });
  }
  const names = Array.from({ length: 41 }, (_, i) => `f${i}`);
  const settings = { ...options, featureNames: names, algorithm: "logistic" as const };

  it("leaves the default only for a penalty that is clearly better held out", () => {
    const model = asLogistic(trainChurnModel(noisyRows(160, 3), settings));
    expect(model.metrics.candidates?.map((c) => c.l2)).toEqual([...L2_GRID]);
    expect(model.l2).toBeGreaterThan(DEFAULT_L2);
    const kept = candidate(model, "logistic").validationAuc as number;
    const byDefault = candidate(model, "logistic", DEFAULT_L2).validationAuc as number;
    expect(kept - byDefault).toBeGreaterThanOrEqual(MIN_AUC_GAIN);
    expect(model.metrics.validationAuc).toBe(kept);
  });

  it("tries only the penalty it is given", () => {
    const model = asLogistic(trainChurnModel(noisyRows(160, 3), { ...settings, l2: 10 }));
    expect(model.l2).toBe(10);
    expect(model.metrics.candidates?.map((c) => c.l2)).toEqual([10]);
  });
});
