import { describe, expect, it } from "vitest";
import {
  buildEvaluationReport,
  type EvaluationRow,
  renderEvaluationText,
} from "../../../lambdas/domain/evaluation/report.js";

/** Ten users: churnwatch ranks the four churners 1, 2, 3 and 6; recency alone gets two right. */
const ROWS: EvaluationRow[] = [
  {
    userId: "u1",
    score: 0.95,
    label: true,
    recencyDays: 20,
    frequency: 1,
    monetaryMinor: 5_000,
    leadTimeDays: 12,
  },
  {
    userId: "u2",
    score: 0.9,
    label: true,
    recencyDays: 2,
    frequency: 6,
    monetaryMinor: 90_000,
    leadTimeDays: 20,
  },
  {
    userId: "u3",
    score: 0.8,
    label: true,
    recencyDays: 40,
    frequency: 1,
    monetaryMinor: 3_000,
    leadTimeDays: 4,
  },
  { userId: "u4", score: 0.7, label: false, recencyDays: 35, frequency: 2, monetaryMinor: 8_000 },
  { userId: "u5", score: 0.4, label: false, recencyDays: 1, frequency: 9, monetaryMinor: 120_000 },
  {
    userId: "u6",
    score: 0.35,
    label: true,
    recencyDays: null,
    frequency: 0,
    monetaryMinor: 0,
    leadTimeDays: null,
  },
  { userId: "u7", score: 0.2, label: false, recencyDays: 3, frequency: 4, monetaryMinor: 40_000 },
  { userId: "u8", score: 0.15, label: false, recencyDays: 5, frequency: 3, monetaryMinor: 20_000 },
  { userId: "u9", score: 0.1, label: false, recencyDays: 8, frequency: 2, monetaryMinor: 10_000 },
  { userId: "u10", score: 0.05, label: false, recencyDays: 4, frequency: 5, monetaryMinor: 60_000 },
];

const OPTIONS = {
  operatingThreshold: 0.5,
  calibrationEnd: "2026-03-31",
  holdoutEnd: "2026-05-31",
  modelVersion: "rules-v1",
};

describe("buildEvaluationReport", () => {
  const report = buildEvaluationReport(ROWS, OPTIONS);
  const byName = Object.fromEntries(report.models.map((m) => [m.name, m]));

  it("counts the population and carries the labels of the run", () => {
    expect(report).toMatchObject({
      population: 10,
      positives: 4,
      operatingThreshold: 0.5,
      calibrationEnd: "2026-03-31",
      holdoutEnd: "2026-05-31",
      modelVersion: "rules-v1",
    });
    expect(report.models.map((m) => m.name)).toEqual(["churnwatch", "recency", "rfm"]);
  });

  it("scores churnwatch at the operating threshold", () => {
    // Flagged u1–u4: 3 of the 4 churners. AUC: 24 pairs, u6 (0.35) loses to u4 and u5: 22/24.
    expect(byName.churnwatch).toMatchObject({ flagged: 4, precision: 0.75, recall: 0.75 });
    expect(byName.churnwatch?.f1).toBeCloseTo(0.75, 12);
    expect(byName.churnwatch?.auc).toBeCloseTo(22 / 24, 12);
    expect(byName.churnwatch?.brier).not.toBeNull();
  });

  it("cuts the baselines to flag as many users as churnwatch", () => {
    // Recency, riskiest first: u6 (never, 41), u3 40, u4 35, u1 20 → 3 churners of 4 flagged.
    expect(byName.recency).toMatchObject({
      threshold: 20,
      flagged: 4,
      precision: 0.75,
      brier: null,
    });
    expect(byName.rfm?.flagged).toBe(4);
    for (const model of report.models) expect(model.liftByDecile).toHaveLength(10);
  });

  it("summarises lead times over the warned churners only", () => {
    expect(report.leadTime).toEqual({ median: 12, p25: 8, p75: 16, count: 3 });
    const none = buildEvaluationReport(
      ROWS.map(({ leadTimeDays: _, ...row }) => row),
      OPTIONS,
    );
    expect(none.leadTime).toBeNull();
  });

  it("survives JSON, with null for what is undefined", () => {
    const empty = buildEvaluationReport([], { operatingThreshold: 0.5 });
    expect(empty.models.every((m) => m.auc === null && m.precision === null)).toBe(true);
    expect(JSON.parse(JSON.stringify(empty))).toEqual(empty);
  });

  it("refuses a user twice and a score that is not a number", () => {
    const first = ROWS[0] as EvaluationRow;
    expect(() => buildEvaluationReport([first, first], OPTIONS)).toThrow(/u1 appears twice/);
    expect(() => buildEvaluationReport([{ ...first, score: Number.NaN }], OPTIONS)).toThrow(
      RangeError,
    );
    expect(() => buildEvaluationReport(ROWS, { operatingThreshold: Number.NaN })).toThrow(
      RangeError,
    );
  });
});

describe("renderEvaluationText", () => {
  it("prints the models side by side", () => {
    const text = renderEvaluationText(buildEvaluationReport(ROWS, OPTIONS));
    expect(text).toContain("model rules-v1, calibration to 2026-03-31, holdout to 2026-05-31");
    expect(text).toContain("10 users, 4 churned (40.0%)");
    expect(text).toMatch(/^\s+churnwatch\s+recency\s+rfm$/m);
    expect(text).toMatch(/^AUC\s+0\.917\s/m);
    expect(text).toMatch(/^precision\s+75\.0%\s+75\.0%/m);
    expect(text).toContain("median 12 days (p25 8, p75 16; 3 warned churners)");
    expect(text.endsWith("\n")).toBe(true);
  });
});
