import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  type BoostedTrees,
  type BoostedTreesOptions,
  boostedTreesBias,
  boostedTreesContributions,
  boostedTreesLogit,
  fitBoostedTrees,
  quantileCuts,
  type RegressionTree,
} from "../../../lambdas/domain/churn-model/boosted-trees.js";
import { fitLogistic, logisticLogit } from "../../../lambdas/domain/churn-model/logistic.js";
import { auc } from "../../../lambdas/domain/evaluation/auc.js";
import { random } from "./synthetic.js";

interface Sample {
  readonly rows: number[][];
  readonly labels: boolean[];
}

/**
 * Uniform points in the unit square (plus `extra` uniform noise columns) labelled by the XOR of
 * the two halves: no single feature says anything, their interaction says everything.
 */
function xorSample(n: number, seed: number, extra = 0): Sample {
  const next = random(seed);
  const rows: number[][] = [];
  const labels: boolean[] = [];
  for (let i = 0; i < n; i++) {
    const row = Array.from({ length: 2 + extra }, () => next());
    rows.push(row);
    labels.push((row[0] as number) > 0.5 !== (row[1] as number) > 0.5);
  }
  return { rows, labels };
}

/** Rows from `next` with `d` columns and labels from a noisy threshold on column 0. */
function noisySample(n: number, d: number, seed: number): Sample {
  const next = random(seed);
  const rows: number[][] = [];
  const labels: boolean[] = [];
  for (let i = 0; i < n; i++) {
    const row = Array.from({ length: d }, () => next() * 4 - 2);
    rows.push(row);
    labels.push(next() < ((row[0] as number) > 0 ? 0.8 : 0.3));
  }
  return { rows, labels };
}

/** The leaf a row reaches, walked here independently of the module. */
function leafOf(tree: RegressionTree, row: ArrayLike<number>): number {
  let node = 0;
  while ((tree.feature[node] as number) >= 0) {
    const f = tree.feature[node] as number;
    node =
      (row[f] as number) <= (tree.threshold[node] as number)
        ? (tree.left[node] as number)
        : (tree.right[node] as number);
  }
  return node;
}

function depthOf(tree: RegressionTree, node = 0): number {
  if ((tree.feature[node] as number) < 0) return 0;
  return (
    1 +
    Math.max(depthOf(tree, tree.left[node] as number), depthOf(tree, tree.right[node] as number))
  );
}

function logLoss(model: BoostedTrees, sample: Sample): number {
  let sum = 0;
  for (const [i, row] of sample.rows.entries()) {
    const z = boostedTreesLogit(model, row);
    // log(1 + e^{-z}) for positives, log(1 + e^{z}) for negatives.
    const m = sample.labels[i] ? -z : z;
    sum += m > 0 ? m + Math.log1p(Math.exp(-m)) : Math.log1p(Math.exp(m));
  }
  return sum / sample.rows.length;
}

const logit = (p: number) => Math.log(p / (1 - p));

describe("fitBoostedTrees", () => {
  it("learns an interaction that logistic regression cannot see", () => {
    const train = xorSample(2_000, 1);
    const test = xorSample(2_000, 2);
    const trees = fitBoostedTrees(train.rows, train.labels, { minLeafRows: 10 });
    const linear = fitLogistic(train.rows, train.labels);
    const treeAuc = auc(
      test.rows.map((row) => boostedTreesLogit(trees, row)),
      test.labels,
    );
    const linearAuc = auc(
      test.rows.map((row) => logisticLogit(linear, row)),
      test.labels,
    );
    expect(treeAuc).toBeGreaterThan(0.97);
    expect(Math.abs(linearAuc - 0.5)).toBeLessThan(0.06);
    // Most held-out points land on the right side of 0.
    const correct = test.rows.filter(
      (row, i) => boostedTreesLogit(trees, row) > 0 === test.labels[i],
    ).length;
    expect(correct / test.rows.length).toBeGreaterThan(0.93);
  });

  it("cannot learn the interaction with stumps (an additive model)", () => {
    const train = xorSample(2_000, 1);
    const test = xorSample(2_000, 2);
    const stumps = fitBoostedTrees(train.rows, train.labels, { maxDepth: 1, minLeafRows: 10 });
    for (const tree of stumps.trees) expect(depthOf(tree)).toBeLessThanOrEqual(1);
    const stumpAuc = auc(
      test.rows.map((row) => boostedTreesLogit(stumps, row)),
      test.labels,
    );
    expect(Math.abs(stumpAuc - 0.5)).toBeLessThan(0.08);
  });

  it("lowers the training loss round by round", () => {
    const sample = noisySample(500, 3, 4);
    const losses = [1, 2, 5, 10, 30].map((rounds) =>
      logLoss(fitBoostedTrees(sample.rows, sample.labels, { rounds }), sample),
    );
    for (let i = 1; i < losses.length; i++) {
      expect(losses[i]).toBeLessThan(losses[i - 1] as number);
    }
  });

  it("computes Newton leaf values −G/(H + λ) shrunk by the learning rate", () => {
    // Base rate ½, so every p = ½: g = ±½ and h = ¼ per row.
    const rows = [[0], [0], [1], [1]];
    const labels = [0, 0, 1, 1];
    const model = fitBoostedTrees(rows, labels, {
      rounds: 1,
      maxDepth: 1,
      minLeafRows: 1,
      learningRate: 0.5,
      l2: 1,
    });
    expect(model.baseLogit).toBe(0);
    const tree = model.trees[0] as RegressionTree;
    expect(tree.feature[0]).toBe(0);
    expect(tree.threshold[0]).toBe(0.5);
    expect(tree.value[0]).toBeCloseTo(0, 12);
    // Left: G = 1, H = ½ → −1/1.5 · 0.5.
    expect(tree.value[tree.left[0] as number]).toBeCloseTo(-1 / 3, 12);
    expect(tree.value[tree.right[0] as number]).toBeCloseTo(1 / 3, 12);
    expect(boostedTreesLogit(model, [0])).toBeCloseTo(-1 / 3, 12);
    expect(boostedTreesLogit(model, [1])).toBeCloseTo(1 / 3, 12);
  });

  it("scales the first tree's values with the learning rate, keeping its shape", () => {
    const sample = noisySample(300, 2, 8);
    const full = fitBoostedTrees(sample.rows, sample.labels, { rounds: 1, learningRate: 1 });
    const half = fitBoostedTrees(sample.rows, sample.labels, { rounds: 1, learningRate: 0.5 });
    const a = full.trees[0] as RegressionTree;
    const b = half.trees[0] as RegressionTree;
    expect(b.feature).toEqual(a.feature);
    expect(b.threshold).toEqual(a.threshold);
    expect(a.feature.some((f) => f >= 0)).toBe(true);
    for (const [k, v] of a.value.entries()) expect(b.value[k]).toBeCloseTo(v / 2, 12);
  });
});

describe("determinism", () => {
  const sample = noisySample(400, 3, 21);

  it("gives deep-equal models for the same input", () => {
    const options: BoostedTreesOptions = { rounds: 30, minLeafRows: 5 };
    expect(fitBoostedTrees(sample.rows, sample.labels, options)).toEqual(
      fitBoostedTrees(sample.rows, sample.labels, options),
    );
  });

  it("grows the first trees of a longer run identically", () => {
    const short = fitBoostedTrees(sample.rows, sample.labels, { rounds: 10 });
    const long = fitBoostedTrees(sample.rows, sample.labels, { rounds: 40 });
    expect(long.baseLogit).toBe(short.baseLogit);
    expect(long.trees.slice(0, 10)).toEqual(short.trees);
    expect(long.trees).toHaveLength(40);
  });

  it("does not depend on the order of the rows", () => {
    const next = random(5);
    const order = sample.rows.map((_, i) => i);
    for (let i = order.length - 1; i > 0; i--) {
      const j = Math.floor(next() * (i + 1));
      [order[i], order[j]] = [order[j] as number, order[i] as number];
    }
    const options: BoostedTreesOptions = { rounds: 30, minLeafRows: 5 };
    const original = fitBoostedTrees(sample.rows, sample.labels, options);
    const shuffled = fitBoostedTrees(
      order.map((i) => sample.rows[i] as number[]),
      order.map((i) => sample.labels[i] as boolean),
      options,
    );
    expect(shuffled.baseLogit).toBeCloseTo(original.baseLogit, 12);
    for (const [t, tree] of original.trees.entries()) {
      const other = shuffled.trees[t] as RegressionTree;
      expect(other.feature).toEqual(tree.feature);
      expect(other.threshold).toEqual(tree.threshold);
    }
    for (const row of noisySample(200, 3, 22).rows) {
      expect(boostedTreesLogit(shuffled, row)).toBeCloseTo(boostedTreesLogit(original, row), 9);
    }
  });
});

describe("base rate and weights", () => {
  it.each([
    ["unweighted", [1, 0, 0, 0], undefined, logit(1 / 4)],
    ["weighted to even", [1, 0, 0, 0], [3, 1, 1, 1], 0],
    ["zero weight ignored", [1, 1, 0, 0], [1, 0, 1, 1], logit(1 / 3)],
    ["boolean labels", [true, false, true, true], undefined, logit(3 / 4)],
  ] as const)("baseLogit is the log-odds of the %s base rate", (_, labels, weights, expected) => {
    const rows = labels.map((_, i) => [i]);
    const model = fitBoostedTrees(rows, labels, { weights, rounds: 1 });
    expect(model.baseLogit).toBeCloseTo(expected, 12);
  });

  it("keeps a one-class sample finite", () => {
    const rows = Array.from({ length: 50 }, (_, i) => [i]);
    for (const label of [false, true]) {
      const model = fitBoostedTrees(
        rows,
        rows.map(() => label),
        { rounds: 20 },
      );
      expect(Number.isFinite(model.baseLogit)).toBe(true);
      for (const row of rows) {
        const z = boostedTreesLogit(model, row);
        expect(Number.isFinite(z)).toBe(true);
        expect(z > 0).toBe(label);
      }
    }
  });

  it("predicts the base rate everywhere when the features carry no signal", () => {
    const next = random(13);
    const n = 300;
    const labels = Array.from({ length: n }, () => next() < 0.3);
    const positives = labels.filter(Boolean).length;
    const rows = labels.map(() => [7, -1.5]);
    const model = fitBoostedTrees(rows, labels, { rounds: 25, minLeafRows: 1 });
    expect(model.baseLogit).toBeCloseTo(logit(positives / n), 12);
    for (const tree of model.trees) expect(tree.feature).toEqual([-1]);
    for (const row of [
      [7, -1.5],
      [0, 0],
      [1e6, -1e6],
    ]) {
      expect(boostedTreesLogit(model, row)).toBeCloseTo(model.baseLogit, 9);
    }
  });

  it("treats a row weight of 2 like the row twice", () => {
    // Few distinct values, so the cuts are the same with or without the copies, and
    // minLeafRows 1 so row counts never decide a split.
    const next = random(17);
    const rows = Array.from({ length: 120 }, () => [
      Math.floor(next() * 8),
      Math.floor(next() * 5),
    ]);
    const labels = rows.map((row) => next() < 0.2 + 0.08 * (row[0] as number));
    const twice = (i: number) => i % 3 === 0;
    const options: BoostedTreesOptions = { rounds: 20, minLeafRows: 1, maxDepth: 2 };
    const weighted = fitBoostedTrees(rows, labels, {
      ...options,
      weights: rows.map((_, i) => (twice(i) ? 2 : 1)),
    });
    const repeated = fitBoostedTrees(
      rows.flatMap((row, i) => (twice(i) ? [row, row] : [row])),
      labels.flatMap((label, i) => (twice(i) ? [label, label] : [label])),
      options,
    );
    expect(weighted.baseLogit).toBeCloseTo(repeated.baseLogit, 12);
    for (let a = 0; a < 8; a++) {
      for (let b = 0; b < 5; b++) {
        expect(boostedTreesLogit(weighted, [a, b])).toBeCloseTo(
          boostedTreesLogit(repeated, [a, b]),
          9,
        );
      }
    }
    // And the weights matter: unweighted gives a different model.
    const unweighted = fitBoostedTrees(rows, labels, options);
    expect(unweighted.baseLogit).not.toBeCloseTo(weighted.baseLogit, 6);
  });
});

describe("boostedTreesContributions", () => {
  // Column 2 is constant (never split on), column 3 is noise.
  const train = xorSample(600, 31, 1).rows.map((row) => [row[0], row[1], 5, row[2]] as number[]);
  const labels = train.map((row) => (row[0] as number) > 0.5 !== (row[1] as number) > 0.5);
  const model = fitBoostedTrees(train, labels, { rounds: 40, minLeafRows: 5 });

  it("splits the logit exactly into bias plus per-feature shares", () => {
    const next = random(37);
    const out = new Float64Array(4);
    for (let k = 0; k < 100; k++) {
      const row = [next() * 1.4 - 0.2, next() * 1.4 - 0.2, next() * 10, next()];
      out.fill(99); // overwritten, not added to
      const z = boostedTreesContributions(model, row, out);
      expect(z).toBe(boostedTreesLogit(model, row));
      const sum = out.reduce((s, v) => s + v, 0);
      expect(Math.abs(sum + boostedTreesBias(model) - z)).toBeLessThan(1e-9);
      expect(out[2]).toBe(0);
    }
  });

  it("credits nothing to a feature no tree splits on", () => {
    expect(model.trees.some((tree) => tree.feature.includes(0))).toBe(true);
    expect(model.trees.every((tree) => !tree.feature.includes(2))).toBe(true);
  });

  it("credits the interacting features on the XOR problem", () => {
    const out = new Float64Array(4);
    boostedTreesContributions(model, [0.1, 0.9, 5, 0.5], out);
    const interacting = Math.abs(out[0] as number) + Math.abs(out[1] as number);
    expect(interacting).toBeGreaterThan(4 * Math.abs(out[3] as number));
  });

  it("follows a hand-built tree: bias is base plus root values", () => {
    const tree: RegressionTree = {
      feature: [0, -1, -1],
      threshold: [1.5, 0, 0],
      left: [1, -1, -1],
      right: [2, -1, -1],
      value: [0.2, -1, 1],
    };
    const handBuilt: BoostedTrees = { baseLogit: 0.25, trees: [tree, tree], featureCount: 2 };
    expect(boostedTreesBias(handBuilt)).toBeCloseTo(0.65, 12);
    const out = new Float64Array(2);
    expect(boostedTreesContributions(handBuilt, [1, 3], out)).toBeCloseTo(-1.75, 12);
    expect(out[0]).toBeCloseTo(2 * (-1 - 0.2), 12);
    expect(out[1]).toBe(0);
  });
});

describe("thresholds", () => {
  const tree: RegressionTree = {
    feature: [0, -1, -1],
    threshold: [1.5, 0, 0],
    left: [1, -1, -1],
    right: [2, -1, -1],
    value: [0, -1, 1],
  };
  const model: BoostedTrees = { baseLogit: 0.25, trees: [tree], featureCount: 1 };

  it.each([
    [1, -0.75],
    [1.5, -0.75],
    [1.5000000001, 1.25],
    [2, 1.25],
    [Number.NaN, 1.25],
  ])("sends x = %d to the side x ≤ threshold says", (x, expected) => {
    expect(boostedTreesLogit(model, [x])).toBe(expected);
  });

  it("classifies a value exactly at a learned cut like the values below it", () => {
    const rows = Array.from({ length: 40 }, (_, i) => [i % 4]);
    const labels = rows.map((row) => (row[0] as number) >= 2);
    const fitted = fitBoostedTrees(rows, labels, { rounds: 3, maxDepth: 1, minLeafRows: 5 });
    const root = fitted.trees[0] as RegressionTree;
    expect(root.threshold[0]).toBe(1.5);
    const at = boostedTreesLogit(fitted, [1.5]);
    expect(at).toBe(boostedTreesLogit(fitted, [1]));
    expect(at).toBe(boostedTreesLogit(fitted, [0]));
    expect(at).toBeLessThan(boostedTreesLogit(fitted, [2]));
    expect(at).toBeLessThan(0);
  });

  it("only uses thresholds from the column's quantile cuts", () => {
    const sample = noisySample(500, 2, 41);
    const maxCuts = 15;
    const model = fitBoostedTrees(sample.rows, sample.labels, { rounds: 20, maxCuts });
    const cuts = [0, 1].map((j) =>
      Array.from(
        quantileCuts(
          Float64Array.from(sample.rows, (row) => row[j] as number),
          maxCuts,
        ),
      ),
    );
    for (const t of model.trees) {
      for (const [node, f] of t.feature.entries()) {
        if (f >= 0) expect(cuts[f]).toContain(t.threshold[node]);
      }
    }
  });
});

describe("quantileCuts", () => {
  it.each([
    ["few distinct values", [3, 1, 2, 2, 1], 10, [1.5, 2.5]],
    ["exactly maxCuts + 1 distinct", [0, 4, 2], 2, [1, 3]],
    ["negative and zero", [-0, 0, -2, 0], 5, [-1]],
    ["constant column", [7, 7, 7], 10, []],
    ["single value", [1], 10, []],
    ["empty column", [], 10, []],
  ])("%s", (_, values, maxCuts, expected) => {
    expect(Array.from(quantileCuts(Float64Array.from(values), maxCuts))).toEqual(expected);
  });

  it("makes bins of about equal counts on many distinct values", () => {
    const values = Float64Array.from({ length: 1_000 }, (_, i) => (i * 7919) % 1_000);
    const cuts = quantileCuts(values, 3);
    expect(cuts).toHaveLength(3);
    const edges = [Number.NEGATIVE_INFINITY, ...cuts, Number.POSITIVE_INFINITY];
    for (let b = 0; b < 4; b++) {
      const count = values.filter(
        (v) => v > (edges[b] as number) && v <= (edges[b + 1] as number),
      ).length;
      expect(Math.abs(count - 250)).toBeLessThanOrEqual(2);
    }
  });

  it("keeps a heavy tie in one bin", () => {
    const values = Float64Array.from({ length: 200 }, (_, i) => (i < 150 ? 0 : i));
    const cuts = Array.from(quantileCuts(values, 7));
    // Five of the seven quantiles land in the tie of 150 zeros: they give one cut, not five.
    expect(cuts).toEqual([75, 150.5, 175.5]);
  });

  it("gives at most maxCuts increasing midpoints and never splits equal values", () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: -50, max: 50 }), { maxLength: 300 }),
        fc.integer({ min: 1, max: 40 }),
        (ints, maxCuts) => {
          const values = Float64Array.from(ints, (v) => v / 4);
          const cuts = Array.from(quantileCuts(values, maxCuts));
          const distinct = [...new Set(ints)].sort((a, b) => a - b).map((v) => v / 4);
          const gaps = Math.max(distinct.length - 1, 0);
          expect(cuts.length).toBeLessThanOrEqual(maxCuts);
          expect(cuts.length).toBeLessThanOrEqual(gaps);
          if (gaps <= maxCuts) expect(cuts.length).toBe(gaps);
          else expect(cuts.length).toBeGreaterThan(0);
          for (let k = 1; k < cuts.length; k++) {
            expect(cuts[k] as number).toBeGreaterThan(cuts[k - 1] as number);
          }
          for (const cut of cuts) {
            // Strictly between two neighbouring distinct values, at their midpoint: no value
            // sits on a cut, so equal values always fall into the same bin.
            const above = distinct.findIndex((v) => v > cut);
            expect(above).toBeGreaterThan(0);
            const below = distinct[above - 1] as number;
            expect(below).toBeLessThan(cut);
            expect(cut).toBe((below + (distinct[above] as number)) / 2);
          }
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe("tree shape limits", () => {
  const sample = xorSample(400, 51, 2);

  it.each([1, 7, 40])("every leaf gets at least minLeafRows = %d training rows", (minLeafRows) => {
    const model = fitBoostedTrees(sample.rows, sample.labels, {
      rounds: 15,
      maxDepth: 4,
      minLeafRows,
    });
    let splits = 0;
    for (const tree of model.trees) {
      const counts = new Map<number, number>();
      for (const row of sample.rows) {
        const leaf = leafOf(tree, row);
        counts.set(leaf, (counts.get(leaf) ?? 0) + 1);
      }
      for (const [node, f] of tree.feature.entries()) {
        if (f >= 0) {
          splits++;
          continue;
        }
        expect(counts.get(node) ?? 0).toBeGreaterThanOrEqual(minLeafRows);
      }
    }
    expect(splits).toBeGreaterThan(0);
  });

  it("does not split when minLeafRows leaves no room for two sides", () => {
    const model = fitBoostedTrees(sample.rows, sample.labels, { rounds: 5, minLeafRows: 201 });
    for (const tree of model.trees) expect(tree.feature).toEqual([-1]);
  });

  it.each([1, 2, 3, 5])("grows trees no deeper than maxDepth = %d", (maxDepth) => {
    const model = fitBoostedTrees(sample.rows, sample.labels, {
      rounds: 10,
      maxDepth,
      minLeafRows: 2,
    });
    const depths = model.trees.map((tree) => depthOf(tree));
    expect(Math.max(...depths)).toBe(maxDepth);
    for (const tree of model.trees) {
      // Parallel arrays of one length, children pointing forwards, leaves marked −1.
      const size = tree.feature.length;
      for (const key of ["threshold", "left", "right", "value"] as const) {
        expect(tree[key]).toHaveLength(size);
      }
      expect(size).toBeLessThanOrEqual(2 ** (maxDepth + 1) - 1);
      for (const [node, f] of tree.feature.entries()) {
        if (f < 0) {
          expect(tree.left[node]).toBe(-1);
          expect(tree.right[node]).toBe(-1);
        } else {
          expect(tree.left[node] as number).toBeGreaterThan(node);
          expect(tree.right[node] as number).toBeGreaterThan(node);
        }
      }
    }
  });
});

describe("bad input", () => {
  const rows = [
    [0, 1],
    [1, 0],
  ];
  const labels = [true, false];
  const withNaN = [[0, Number.NaN], rows[1] as number[]];
  const withInfinity = [rows[0] as number[], [Number.POSITIVE_INFINITY, 0]];

  it.each([
    ["no rows", [], [], {}, /at least one row/],
    ["a labels length mismatch", rows, [true], {}, /2 rows but 1 labels/],
    ["ragged rows", [[0, 1], [1]], labels, {}, /row 1 has 1 values, expected 2/],
    ["rows without features", [[], []], labels, {}, /at least one feature/],
    ["a NaN value", withNaN, labels, {}, /row 0, feature 1 is not finite/],
    ["an infinite value", withInfinity, labels, {}, /row 1, feature 0/],
    ["a negative weight", rows, labels, { weights: [1, -1] }, /row weight 1 must be ≥ 0/],
    ["a NaN weight", rows, labels, { weights: [Number.NaN, 1] }, /row weight 0/],
    ["a weights length mismatch", rows, labels, { weights: [1] }, /2 rows but 1 row weights/],
    ["weights summing to 0", rows, labels, { weights: [0, 0] }, /sum to 0/],
    ["rounds 0", rows, labels, { rounds: 0 }, /rounds/],
    ["fractional rounds", rows, labels, { rounds: 2.5 }, /rounds/],
    ["learningRate 0", rows, labels, { learningRate: 0 }, /learningRate/],
    ["learningRate above 1", rows, labels, { learningRate: 1.5 }, /learningRate/],
    ["learningRate NaN", rows, labels, { learningRate: Number.NaN }, /learningRate/],
    ["maxDepth 0", rows, labels, { maxDepth: 0 }, /maxDepth/],
    ["minLeafRows 0", rows, labels, { minLeafRows: 0 }, /minLeafRows/],
    ["maxCuts 0", rows, labels, { maxCuts: 0 }, /maxCuts/],
    ["maxCuts over 255", rows, labels, { maxCuts: 256 }, /maxCuts/],
    ["negative l2", rows, labels, { l2: -1 }, /l2/],
    ["infinite l2", rows, labels, { l2: Number.POSITIVE_INFINITY }, /l2/],
  ] as [string, number[][], boolean[], BoostedTreesOptions, RegExp][])(
    "throws a RangeError on %s",
    (_, badRows, badLabels, options, message) => {
      expect(() => fitBoostedTrees(badRows, badLabels, options)).toThrow(RangeError);
      expect(() => fitBoostedTrees(badRows, badLabels, options)).toThrow(message);
    },
  );
});
