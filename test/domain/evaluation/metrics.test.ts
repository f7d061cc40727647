import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { auc } from "../../../lambdas/domain/evaluation/auc.js";
import {
  brier,
  classifyAt,
  confusionAt,
  liftByDecile,
  median,
  quantile,
  thresholdForCount,
  thresholdForRecall,
} from "../../../lambdas/domain/evaluation/metrics.js";

// Six users, no ties: positives at 0.9, 0.7, 0.6; negatives at 0.8, 0.5, 0.4.
const SCORES = [0.9, 0.8, 0.7, 0.6, 0.5, 0.4];
const LABELS = [true, false, true, true, false, false];

/** Scores and labels of one length, scores drawn from a few values so ties are common. */
const scoredArbitrary = fc
  .array(fc.tuple(fc.integer({ min: 0, max: 8 }), fc.boolean()), { minLength: 1, maxLength: 60 })
  .map((pairs) => ({ scores: pairs.map(([s]) => s / 8), labels: pairs.map(([, l]) => l) }));

describe("auc", () => {
  it.each([
    // 7 of the 9 positive–negative pairs are ordered right: 0.9 beats 3, 0.7 and 0.6 beat 2 each.
    { name: "six users, no ties", scores: SCORES, labels: LABELS, expected: 7 / 9 },
    // Pairs: 0.5+ vs (0.5, 0.5, 0.2) = ½+½+1, 0.2+ vs them = 0+0+½, 0.8+ beats all 3: 5.5 / 9.
    {
      name: "ties count half",
      scores: [0.5, 0.5, 0.5, 0.2, 0.8, 0.2],
      labels: [true, false, false, true, true, false],
      expected: 5.5 / 9,
    },
    { name: "perfect", scores: [1, 2, 3, 4], labels: [false, false, true, true], expected: 1 },
    { name: "all tied", scores: [1, 1, 1, 1], labels: [false, true, false, true], expected: 0.5 },
  ])("$name", ({ scores, labels, expected }) => {
    expect(auc(scores, labels)).toBeCloseTo(expected, 12);
  });

  it("AUC(−s) = 1 − AUC(s)", () => {
    fc.assert(
      fc.property(scoredArbitrary, ({ scores, labels }) => {
        fc.pre(labels.some(Boolean) && !labels.every(Boolean));
        const negated = scores.map((s) => -s);
        expect(auc(negated, labels)).toBeCloseTo(1 - auc(scores, labels), 10);
      }),
    );
  });
});

describe("classifyAt", () => {
  it.each([
    {
      threshold: 0.6,
      expected: { truePositives: 3, falsePositives: 1, trueNegatives: 2, falseNegatives: 0 },
      precision: 0.75,
      recall: 1,
      f1: 6 / 7,
    },
    {
      threshold: 0.75,
      expected: { truePositives: 1, falsePositives: 1, trueNegatives: 2, falseNegatives: 2 },
      precision: 0.5,
      recall: 1 / 3,
      f1: 0.4,
    },
  ])("at $threshold (score ≥ threshold is flagged)", ({ threshold, expected, ...ratios }) => {
    const c = classifyAt(SCORES, LABELS, threshold);
    expect(c).toMatchObject(expected);
    expect(c.precision).toBeCloseTo(ratios.precision, 12);
    expect(c.recall).toBeCloseTo(ratios.recall, 12);
    expect(c.f1).toBeCloseTo(ratios.f1, 12);
  });

  it("gives null, not 0, for ratios of nothing", () => {
    const c = classifyAt([0.1, 0.2], [false, false], 0.5);
    expect(c).toMatchObject({ flagged: 0, precision: null, recall: null, f1: null });
  });

  it("refuses scores and labels of different lengths", () => {
    expect(() => confusionAt([1, 2], [true], 1)).toThrow(RangeError);
  });

  it("keeps counts whole and ratios in [0, 1]", () => {
    fc.assert(
      fc.property(scoredArbitrary, fc.double({ min: -0.5, max: 1.5, noNaN: true }), (data, t) => {
        const c = classifyAt(data.scores, data.labels, t);
        expect(c.truePositives + c.falsePositives + c.trueNegatives + c.falseNegatives).toBe(
          data.scores.length,
        );
        for (const ratio of [c.precision, c.recall, c.f1]) {
          if (ratio !== null) {
            expect(ratio).toBeGreaterThanOrEqual(0);
            expect(ratio).toBeLessThanOrEqual(1);
          }
        }
      }),
    );
  });
});

describe("thresholdForRecall", () => {
  it.each([
    { recall: 1 / 3, expected: 0.9 },
    { recall: 0.5, expected: 0.7 },
    { recall: 2 / 3, expected: 0.7 },
    { recall: 1, expected: 0.6 },
  ])("recall $recall → $expected", ({ recall, expected }) => {
    expect(thresholdForRecall(SCORES, LABELS, recall)).toBe(expected);
  });

  it("is null without positives and refuses a recall outside (0, 1]", () => {
    expect(thresholdForRecall([1, 2], [false, false], 0.5)).toBeNull();
    expect(() => thresholdForRecall(SCORES, LABELS, 0)).toThrow(RangeError);
    expect(() => thresholdForRecall(SCORES, LABELS, 1.1)).toThrow(RangeError);
  });

  it("reaches the recall, and no higher score does", () => {
    fc.assert(
      fc.property(scoredArbitrary, fc.double({ min: 0.01, max: 1, noNaN: true }), (data, r) => {
        fc.pre(data.labels.some(Boolean));
        const t = thresholdForRecall(data.scores, data.labels, r) as number;
        expect(classifyAt(data.scores, data.labels, t).recall).toBeGreaterThanOrEqual(r - 1e-9);
        for (const higher of data.scores.filter((s) => s > t)) {
          expect(classifyAt(data.scores, data.labels, higher).recall as number).toBeLessThan(r);
        }
      }),
    );
  });
});

describe("thresholdForCount", () => {
  it.each([
    { scores: [3, 3, 2, 2, 2, 1], count: 3, expected: { threshold: 3, flagged: 2 } },
    { scores: [3, 3, 2, 2, 2, 1], count: 4, expected: { threshold: 2, flagged: 5 } },
    { scores: [3, 3, 2, 2, 2, 1], count: 6, expected: { threshold: 1, flagged: 6 } },
    // Equally close: the smaller count wins.
    { scores: [3, 3, 2, 2], count: 3, expected: { threshold: 3, flagged: 2 } },
    { scores: [3, 3, 2, 2], count: 0, expected: { threshold: Infinity, flagged: 0 } },
    { scores: [], count: 2, expected: { threshold: Infinity, flagged: 0 } },
  ])("$count of $scores", ({ scores, count, expected }) => {
    expect(thresholdForCount(scores, count)).toEqual(expected);
  });

  it("flags exactly the users at or above its threshold", () => {
    fc.assert(
      fc.property(scoredArbitrary, fc.nat({ max: 70 }), ({ scores }, count) => {
        const { threshold, flagged } = thresholdForCount(scores, count);
        expect(scores.filter((s) => s >= threshold)).toHaveLength(flagged);
      }),
    );
  });
});

describe("liftByDecile", () => {
  it("20 users, distinct scores, positives at ranks 1, 2, 3 and 16", () => {
    const scores = Array.from({ length: 20 }, (_, i) => 20 - i);
    const labels = scores.map((s) => s >= 18 || s === 5);
    const rows = liftByDecile(scores, labels);
    expect(rows.map((r) => r.users)).toEqual(new Array(10).fill(2));
    expect(rows.map((r) => r.positives)).toEqual([2, 1, 0, 0, 0, 0, 0, 1, 0, 0]);
    expect(rows[0]).toEqual({
      decile: 1,
      users: 2,
      positives: 2,
      rate: 1,
      lift: 5,
      cumulativeRecall: 0.5,
    });
    expect(rows[1]?.lift).toBe(2.5);
    expect(rows[1]?.cumulativeRecall).toBe(0.75);
    expect(rows[7]?.cumulativeRecall).toBe(1);
    expect(rows[9]?.cumulativeRecall).toBe(1);
  });

  it("puts a tie group whole into the decile of its middle position", () => {
    // Five 1s span [0, 5) (centre 2.5 → decile 3), five 0s [5, 10) (centre 7.5 → decile 8).
    const rows = liftByDecile(
      [1, 0, 1, 0, 1, 0, 1, 0, 1, 0],
      [true, false, true, false, false, false, false, false, false, false],
    );
    expect(rows.map((r) => r.users)).toEqual([0, 0, 5, 0, 0, 0, 0, 5, 0, 0]);
    expect(rows[0]).toMatchObject({ rate: null, lift: null, cumulativeRecall: 0 });
    expect(rows[2]).toMatchObject({ positives: 2, rate: 0.4, lift: 2, cumulativeRecall: 1 });
  });

  it("has ten rows of nobody for no users", () => {
    const rows = liftByDecile([], []);
    expect(rows).toHaveLength(10);
    expect(rows.every((r) => r.users === 0 && r.cumulativeRecall === null)).toBe(true);
  });

  it("covers every user exactly once, whatever the input order", () => {
    fc.assert(
      fc.property(scoredArbitrary, fc.nat(), ({ scores, labels }, shift) => {
        const rows = liftByDecile(scores, labels);
        expect(rows.map((r) => r.decile)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
        expect(rows.reduce((sum, r) => sum + r.users, 0)).toBe(scores.length);
        expect(rows.reduce((sum, r) => sum + r.positives, 0)).toBe(labels.filter(Boolean).length);
        const k = shift % scores.length;
        const rotated = liftByDecile(
          [...scores.slice(k), ...scores.slice(0, k)],
          [...labels.slice(k), ...labels.slice(0, k)],
        );
        expect(rotated).toEqual(rows);
      }),
    );
  });
});

describe("brier, quantile and median", () => {
  it("brier is the mean squared error", () => {
    expect(brier([0.9, 0.2], [true, false])).toBeCloseTo(0.025, 12);
    expect(brier([], [])).toBeNull();
  });

  it.each([
    { values: [3, 1, 2], expected: 2 },
    { values: [4, 1, 2, 3], expected: 2.5 },
    { values: [Number.NaN, 5], expected: 5 },
    { values: [Number.NaN], expected: null },
    { values: [], expected: null },
  ])("median of $values is $expected", ({ values, expected }) => {
    expect(median(values)).toBe(expected);
  });

  it("interpolates quantiles between order statistics", () => {
    expect(quantile([1, 2, 3, 4], 0.25)).toBe(1.75);
    expect(quantile([1, 2, 3, 4], 0)).toBe(1);
    expect(quantile([1, 2, 3, 4], 1)).toBe(4);
    expect(() => quantile([1], 1.5)).toThrow(RangeError);
  });
});
