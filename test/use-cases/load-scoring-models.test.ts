import { describe, expect, it } from "vitest";
import {
  type BoostedTreesChurnModel,
  type ChurnModelArtefact,
  parseChurnModelArtefact,
} from "../../lambdas/domain/churn-model/artefacts.js";
import { CHURN_FEATURE_NAMES } from "../../lambdas/domain/churn-model/feature-vector.js";
import {
  churnLogit,
  predictChurn,
  predictChurnProbability,
} from "../../lambdas/domain/churn-model/predict.js";
import { trainChurnModel } from "../../lambdas/domain/churn-model/train.js";
import type { ModelStore } from "../../lambdas/model-ports.js";
import { alignFeatures, loadScoringModels } from "../../lambdas/use-cases/load-scoring-models.js";
import { normal, random } from "../domain/churn-model/synthetic.js";

function model(featureNames: readonly string[]) {
  const n = featureNames.length;
  return {
    kind: "churn",
    algorithm: "logistic",
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

function asTrees(model: ChurnModelArtefact): BoostedTreesChurnModel {
  if (model.algorithm !== "boosted-trees") {
    throw new Error(`expected boosted-trees, got ${model.algorithm}`);
  }
  return model;
}

const today = new Map(CHURN_FEATURE_NAMES.map((name, i) => [name, i]));

/** A today-order vector laid out as a model over `names` reads it. */
function laidOutFor(names: readonly string[], vector: readonly number[]): number[] {
  return names.map((name) => vector[today.get(name) as number] as number);
}

/** Features the synthetic churn depends on, by name: they must be in every layout below. */
const SIGNALS = ["logDaysSinceLastSeen", "ordersPer30Days", "logActiveDays30", "rule:no_login"];

/** Today-order vectors: every feature varies, churn depends on an interaction of the signals. */
function todayRows(n: number, seed: number) {
  const next = random(seed);
  const at = (name: string) => today.get(name) as number;
  return Array.from({ length: n }, (_, i) => {
    const vector = CHURN_FEATURE_NAMES.map(() => normal(next));
    const silent = (vector[at("logDaysSinceLastSeen")] as number) > 0;
    const frequent = (vector[at("ordersPer30Days")] as number) > 0;
    const logit =
      (silent && frequent ? 2.5 : -1) +
      (vector[at("logActiveDays30")] as number) * -0.8 +
      ((vector[at("rule:no_login")] as number) > 0.5 ? 1 : 0);
    return { id: `user-${seed}-${i}`, vector, label: next() < 1 / (1 + Math.exp(-logit)) };
  });
}

const trainingRows = todayRows(800, 21);

/** Boosted trees trained on the features `names`, in that order. */
function treesOn(names: readonly string[]): BoostedTreesChurnModel {
  return asTrees(
    trainChurnModel(
      trainingRows.map((row) => ({ ...row, vector: laidOutFor(names, row.vector) })),
      {
        asOf: "2026-01-01T00:00:00.000Z",
        horizonDays: 30,
        label: "activity",
        featureNames: names,
        algorithm: "boosted-trees",
        trees: { rounds: 15, minLeafRows: 10 },
      },
    ),
  );
}

const reversed = [...CHURN_FEATURE_NAMES].reverse();
/** Before the last four features existed, and every third of the rest dropped too. */
const olderSubset = CHURN_FEATURE_NAMES.slice(0, -4).filter(
  (name, i) => SIGNALS.includes(name) || i % 3 !== 1,
);

describe("alignFeatures with boosted trees", () => {
  it.each([
    ["in reverse order", reversed],
    ["trained before the last four features, in reverse order", reversed.slice(4)],
    ["trained on an older subset", olderSubset],
  ])("scores a model whose features were %s as the original does", (_, names) => {
    const old = treesOn(names);
    const aligned = alignFeatures(old);
    expect(aligned.featureNames).toEqual(CHURN_FEATURE_NAMES);
    // The remap matters: some split reads a feature that sits elsewhere today.
    const splits = old.trees.flatMap((tree) => tree.feature.filter((f) => f >= 0));
    expect(new Set(splits).size).toBeGreaterThanOrEqual(3);
    expect(splits.some((f) => today.get(names[f] as string) !== f)).toBe(true);
    // Still a valid artefact: a stored copy of it would load.
    expect(parseChurnModelArtefact(JSON.parse(JSON.stringify(aligned)))).toEqual(aligned);

    for (const row of todayRows(200, 77)) {
      const original = laidOutFor(names, row.vector);
      expect(churnLogit(aligned, row.vector)).toBe(churnLogit(old, original));
      expect(predictChurnProbability(aligned, row.vector)).toBe(
        predictChurnProbability(old, original),
      );
      // The reasons too: every feature the old model knew is credited the same, new ones 0.
      const before = new Map(predictChurn(old, original).contributions.map((c) => [c.feature, c]));
      for (const c of predictChurn(aligned, row.vector).contributions) {
        expect(c.value).toBe(before.get(c.feature)?.value ?? 0);
      }
    }
  });

  it("leaves the trees' values and thresholds as they were", () => {
    const old = treesOn(reversed);
    const aligned = asTrees(alignFeatures(old));
    expect(aligned.trees.map(({ feature: _f, ...rest }) => rest)).toEqual(
      old.trees.map(({ feature: _f, ...rest }) => rest),
    );
    expect(aligned.trees.map((tree) => tree.feature.filter((f) => f < 0).length)).toEqual(
      old.trees.map((tree) => tree.feature.filter((f) => f < 0).length),
    );
    expect(aligned.baseLogit).toBe(old.baseLogit);
    expect(aligned.calibration).toEqual(old.calibration);
  });

  it("refuses a trees model that needs a feature this version does not compute", () => {
    const names = [...CHURN_FEATURE_NAMES.slice(0, 10), "retiredFeature"];
    const next = random(5);
    const rows = Array.from({ length: 200 }, (_, i) => {
      const vector = names.map(() => normal(next));
      return { id: `r${i}`, vector, label: (vector[10] as number) > 0 };
    });
    const old = asTrees(
      trainChurnModel(rows, {
        asOf: "2026-01-01T00:00:00.000Z",
        horizonDays: 30,
        label: "activity",
        featureNames: names,
        algorithm: "boosted-trees",
        trees: { rounds: 5, minLeafRows: 10 },
      }),
    );
    expect(old.trees[0]?.feature[0]).toBe(10);
    expect(() => alignFeatures(old)).toThrow(/retiredFeature.*train a new version/);
  });
});

describe("loadScoringModels", () => {
  const treesModel = treesOn(reversed);

  function storeWith(artefact: unknown): ModelStore {
    return {
      current: async (_appId, kind) => (kind === "churn" ? { version: 4, artefact } : undefined),
    } as ModelStore;
  }

  it("loads a stored trees model laid out on today's features, scoring as it was trained", async () => {
    const models = await loadScoringModels(
      storeWith(JSON.parse(JSON.stringify(treesModel))),
      "shop-1",
    );
    expect(models.churn?.version).toBe(4);
    expect(models.churn?.artefact).toEqual(alignFeatures(treesModel));
    expect(models.churn?.artefact.featureNames).toEqual([...CHURN_FEATURE_NAMES]);
    expect(models.btyd).toBeUndefined();
  });

  it("refuses a stored trees model with a cycle, naming the app, version and node", async () => {
    const [first, ...rest] = treesModel.trees;
    const looped = { ...first, left: first?.left.map((child, node) => (node === 0 ? 0 : child)) };
    await expect(
      loadScoringModels(storeWith({ ...treesModel, trees: [looped, ...rest] }), "shop-1"),
    ).rejects.toThrow(/churn model v4 of app shop-1: .*trees\.0\.left\.0/);
  });
});
