import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  type BaselineRow,
  quintiles,
  recencyScores,
  rfmRiskScores,
  rfmScores,
} from "../../../lambdas/domain/evaluation/baselines.js";

const row = (recencyDays: number | null, frequency: number, monetaryMinor: number) => ({
  recencyDays,
  frequency,
  monetaryMinor,
});

const rowsArbitrary = fc.array(
  fc.record({
    recencyDays: fc.option(fc.integer({ min: 0, max: 40 }), { nil: null }),
    frequency: fc.integer({ min: 0, max: 6 }),
    monetaryMinor: fc.integer({ min: 0, max: 5 }).map((m) => m * 10_000),
  }),
  { minLength: 1, maxLength: 50 },
);

describe("recencyScores", () => {
  it("is the days since last activity, null riskiest of all but finite", () => {
    expect(recencyScores([row(3, 1, 0), row(null, 0, 0), row(10, 2, 0)])).toEqual([3, 11, 10]);
    expect(recencyScores([row(null, 0, 0)])).toEqual([1]);
  });
});

describe("quintiles", () => {
  it.each([
    { values: [10, 20, 30, 40, 50], expected: [1, 2, 3, 4, 5] },
    { values: [50, 40, 30, 20, 10], expected: [5, 4, 3, 2, 1] },
    // Four 1s span [0, 4) of [0, 5); their centre 2 is on the boundary of quintiles 2 and 3.
    { values: [1, 1, 1, 1, 2], expected: [3, 3, 3, 3, 5] },
    { values: [1, 1, 1, 2, 3], expected: [2, 2, 2, 4, 5] },
    { values: [7, 7, 7], expected: [3, 3, 3] },
    {
      values: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10],
      expected: [1, 1, 2, 2, 3, 3, 4, 4, 5, 5],
    },
  ])("$values → $expected", ({ values, expected }) => {
    expect(quintiles(values)).toEqual(expected);
  });

  it("gives ties one quintile and never ranks a larger value lower", () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 9 }), { minLength: 1, maxLength: 40 }),
        (values) => {
          const q = quintiles(values);
          values.forEach((v, i) => {
            values.forEach((w, j) => {
              if (v === w) expect(q[i]).toBe(q[j]);
              if (v > w) expect(q[i] as number).toBeGreaterThanOrEqual(q[j] as number);
            });
          });
          expect(q.every((x) => x >= 1 && x <= 5)).toBe(true);
        },
      ),
    );
  });
});

describe("rfmScores", () => {
  it("five users from best to worst", () => {
    const rows: BaselineRow[] = [
      row(1, 5, 500),
      row(2, 4, 400),
      row(3, 3, 300),
      row(4, 2, 200),
      row(null, 1, 100),
    ];
    expect(rfmScores(rows)).toEqual([
      { r: 5, f: 5, m: 5, risk: 0 },
      { r: 4, f: 4, m: 4, risk: 0.25 },
      { r: 3, f: 3, m: 3, risk: 0.5 },
      { r: 2, f: 2, m: 2, risk: 0.75 },
      { r: 1, f: 1, m: 1, risk: 1 },
    ]);
  });

  it("puts a never-active user in the worst recency quintile", () => {
    const rows = [row(null, 0, 0), ...Array.from({ length: 9 }, (_, i) => row(i * 10, 1, 100))];
    expect(rfmScores(rows)[0]?.r).toBe(1);
  });

  it("keeps risk in [0, 1] and does not depend on row order", () => {
    fc.assert(
      fc.property(rowsArbitrary, (rows) => {
        const risk = rfmRiskScores(rows);
        expect(risk.every((r) => r >= 0 && r <= 1)).toBe(true);
        const reversed = rfmRiskScores([...rows].reverse()).reverse();
        expect(reversed).toEqual(risk);
      }),
    );
  });
});
