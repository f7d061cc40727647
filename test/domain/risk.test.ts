import { describe, expect, it } from "vitest";
import { assessInactivity, isEscalation } from "../../lambdas/domain/risk.js";
import { scoringRunId, segmentJobs } from "../../lambdas/domain/scoring-run.js";

describe("assessInactivity", () => {
  it.each([
    ["29 days silent", "2026-10-03T00:00:00Z", false, 29],
    ["exactly 30 days silent", "2026-10-02T00:00:00Z", true, 30],
    ["31 days silent", "2026-10-01T00:00:00Z", true, 31],
    ["seen after the as-of date", "2026-11-05T00:00:00Z", false, -4],
  ])("%s → at risk %s", (_, lastSeenAt, atRisk, days) => {
    const risk = assessInactivity(lastSeenAt, "2026-11-01T00:00:00.000Z", "run", 30);
    expect(risk.atRisk).toBe(atRisk);
    expect(risk.level).toBe(atRisk ? "at_risk" : "none");
    expect(risk.reasons).toEqual(
      atRisk ? [{ code: "inactive_days", params: { days, thresholdDays: 30 } }] : [],
    );
  });

  it("warns on entering at-risk, not again at the same level, and again after a return", () => {
    const quiet = assessInactivity("2026-10-01T00:00:00Z", "2026-11-01T00:00:00Z", "r1", 30);
    const back = assessInactivity("2026-11-01T00:00:00Z", "2026-11-02T00:00:00Z", "r2", 30);
    expect(isEscalation(undefined, quiet)).toBe(true);
    expect(isEscalation(quiet, { ...quiet, runId: "r3" })).toBe(false);
    expect(isEscalation(quiet, back)).toBe(false);
    expect(isEscalation(back, quiet)).toBe(true);
  });
});

describe("scoring runs", () => {
  it("keys a run on the job and the schedule time, whatever its notation", () => {
    expect(scoringRunId("scoring", "2026-11-01T02:00:00Z")).toBe(
      scoringRunId("scoring", "2026-11-01T10:00:00+08:00"),
    );
  });

  it("makes one job per segment", () => {
    expect(segmentJobs("r", "2026-11-01T00:00:00.000Z", 3).map((j) => j.segment)).toEqual([
      0, 1, 2,
    ]);
  });
});
