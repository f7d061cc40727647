import { describe, expect, it } from "vitest";
import { activityGaps } from "../../../lambdas/domain/churn-model/activity-gaps.js";

const asOf = new Date("2026-06-30T12:00:00Z");
const withDays = (...keys: string[]) => ({
  days: Object.fromEntries(keys.map((key) => [key, { app_open: 1 }])),
});

describe("activityGaps", () => {
  it.each([
    ["nothing in the last year", withDays("2024-01-01"), 0, 0, 0, 365],
    ["one active day", withDays("2026-06-20"), 0, 0, 1, 10],
    [
      "a seasonal shopper: away three weeks before, came back",
      withDays("2026-05-01", "2026-05-02", "2026-05-24", "2026-05-25", "2026-06-29"),
      34,
      2,
      5,
      1,
    ],
    [
      "a steady user who went quiet",
      withDays("2026-06-01", "2026-06-02", "2026-06-03", "2026-06-04"),
      0,
      0,
      4,
      26,
    ],
  ])("%s", (_name, features, longest, returns, active, current) => {
    expect(activityGaps(features, asOf)).toEqual({
      longestGapDays: longest,
      returnsAfterLongGap: returns,
      activeDays365: active,
      currentGapDays: current,
    });
  });

  it("ignores days after the as-of day", () => {
    expect(activityGaps(withDays("2026-06-01", "2026-07-15"), asOf).currentGapDays).toBe(29);
  });
});
