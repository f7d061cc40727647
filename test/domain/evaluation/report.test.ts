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

describe("buildEvaluationReport with the tiers churnwatch warned on", () => {
  const plain = buildEvaluationReport(ROWS, OPTIONS);
  /** Rows with `atRisk` from a set of user ids. */
  const flagged = (ids: readonly string[], rows: readonly EvaluationRow[] = ROWS) =>
    rows.map((row) => ({ ...row, atRisk: ids.includes(row.userId) }));
  const model = (report: ReturnType<typeof buildEvaluationReport>, name: string) =>
    report.models.find((m) => m.name === name);

  it("counts the users put at risk, not the scores over the threshold", () => {
    // u3 (0.8) and u4 (0.7) sat out a promotion lull; u6 (0.35) tripped a critical rule.
    const report = buildEvaluationReport(flagged(["u1", "u2", "u6"]), OPTIONS);
    expect(model(report, "churnwatch")).toMatchObject({
      flagged: 3,
      precision: 1,
      recall: 0.75,
    });
    expect(model(report, "churnwatch")?.f1).toBeCloseTo(6 / 7, 12);
    // By score the same rows would flag u1–u4: 4 users, 3 churners.
    expect(model(plain, "churnwatch")).toMatchObject({ flagged: 4, precision: 0.75 });
  });

  it("counts a warning that missed as a false alarm", () => {
    // Warned: u5 (0.4, stayed) and u1; not warned: the churners u2 and u3 despite their scores.
    const report = buildEvaluationReport(flagged(["u1", "u5"]), OPTIONS);
    expect(model(report, "churnwatch")).toMatchObject({
      flagged: 2,
      precision: 0.5,
      recall: 0.25,
    });
    expect(model(report, "churnwatch")?.f1).toBeCloseTo(2 / 6, 12);
  });

  it("cuts the baselines to flag as many users as churnwatch warned", () => {
    const report = buildEvaluationReport(flagged(["u1", "u2", "u6"]), OPTIONS);
    // Recency, riskiest first: u6 (never), u3 40, u4 35 → 2 churners of 3.
    expect(model(report, "recency")).toMatchObject({ threshold: 35, flagged: 3 });
    expect(model(report, "recency")?.precision).toBeCloseTo(2 / 3, 12);
    expect(model(report, "rfm")?.flagged).toBe(3);
  });

  it("keeps AUC, Brier and lift on the scores", () => {
    for (const ids of [["u1", "u2", "u6"], ["u1", "u5"], []]) {
      const report = buildEvaluationReport(flagged(ids), OPTIONS);
      const churnwatch = model(report, "churnwatch");
      expect(churnwatch?.auc).toBeCloseTo(22 / 24, 12);
      expect(churnwatch?.auc).toBe(model(plain, "churnwatch")?.auc);
      expect(churnwatch?.brier).toBe(model(plain, "churnwatch")?.brier);
      expect(churnwatch?.liftByDecile).toEqual(model(plain, "churnwatch")?.liftByDecile);
      expect(model(report, "recency")?.auc).toBe(model(plain, "recency")?.auc);
    }
  });

  it("says nobody was flagged when churnwatch warned nobody, baselines included", () => {
    const report = buildEvaluationReport(flagged([]), OPTIONS);
    for (const m of report.models) {
      expect(m).toMatchObject({ flagged: 0, precision: null, recall: 0 });
    }
    expect(model(report, "recency")?.threshold).toBeNull();
  });

  it("reports the same as the scores do when the tiers agree with the threshold", () => {
    const report = buildEvaluationReport(flagged(["u1", "u2", "u3", "u4"]), OPTIONS);
    expect(report).toEqual(plain);
  });

  it("falls back to score ≥ threshold unless every row says whether it was warned", () => {
    // The flags would say u1, u2 and u6; u7 has none, so the scores decide for all.
    const mixed = flagged(["u1", "u2", "u6"]).map((row) => {
      if (row.userId !== "u7") return row;
      const { atRisk: _, ...rest } = row;
      return rest;
    });
    const report = buildEvaluationReport(mixed, OPTIONS);
    expect(model(report, "churnwatch")).toMatchObject({
      flagged: 4,
      precision: 0.75,
      recall: 0.75,
    });
    expect(report.models).toEqual(plain.models);
  });

  it("prints the warned users in the text report", () => {
    const text = renderEvaluationText(buildEvaluationReport(flagged(["u1", "u2", "u6"]), OPTIONS));
    expect(text).toMatch(/^flagged\s+3\s+3\s+3$/m);
    expect(text).toMatch(/^precision\s+100\.0%\s+66\.7%/m);
    expect(text).toMatch(/^AUC\s+0\.917\s/m);
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
