import { describe, expect, it } from "vitest";
import { fitBoostedTrees } from "../../lambdas/domain/churn-model/boosted-trees.js";
import { applyEvents } from "../../lambdas/domain/features.js";
import {
  assessRisk,
  combineHits,
  DEFAULT_TIER_THRESHOLDS,
  isEscalation,
  isPromotionLull,
  modelLabel,
  riskChanged,
  tierOf,
} from "../../lambdas/domain/risk.js";
import type { RuleHit } from "../../lambdas/domain/rules.js";
import { scoringRunId, segmentJobs } from "../../lambdas/domain/scoring-run.js";
import { appOpen } from "../fixtures/events.js";

const options = { rules: {}, tiers: DEFAULT_TIER_THRESHOLDS };
const hit = (severity: RuleHit["severity"]): RuleHit => ({
  code: "no_login",
  severity,
  params: {},
});

function lastOpen(at: string) {
  return applyEvents(undefined, "a", "u", [appOpen("u", at)]);
}

describe("risk", () => {
  it.each([
    [[], 0, "low"],
    [["low"], 0.2, "low"],
    [["low", "low"], 0.36, "low"],
    [["medium"], 0.5, "medium"],
    [["medium", "low"], 0.6, "medium"],
    [["high"], 0.7, "high"],
    [["medium", "medium"], 0.75, "high"],
    [["critical"], 0.9, "critical"],
    [["high", "medium", "low"], 0.88, "high"],
  ] as const)("hits %j → score %s, tier %s", (severities, score, tier) => {
    const combined = combineHits(severities.map(hit));
    expect(combined).toBe(score);
    expect(tierOf(combined)).toBe(tier);
  });

  it("never scores outside [0, 1] however many hits", () => {
    expect(combineHits(Array.from({ length: 30 }, () => hit("critical")))).toBeLessThanOrEqual(1);
  });

  it("assesses a user from the rules as of a date, with the hits as reasons", () => {
    const risk = assessRisk(
      lastOpen("2026-10-01T10:00:00Z"),
      "2026-11-01T00:00:00.000Z",
      "run",
      options,
    );
    expect(risk).toMatchObject({
      tier: "medium",
      atRisk: true,
      reasons: [
        { code: "no_app_open", severity: "medium", params: { days: 30, thresholdDays: 7 } },
      ],
      model: "rules-v1",
    });
    expect(
      assessRisk(lastOpen("2026-10-30T10:00:00Z"), "2026-11-01T00:00:00.000Z", "run", options)
        .atRisk,
    ).toBe(false);
  });

  it("warns on entering an at-risk tier or a higher one, not again at the same tier", () => {
    const medium = {
      ...assessRisk(lastOpen("2026-10-01T10:00:00Z"), "2026-11-01T00:00:00Z", "r1", options),
    };
    const high = { ...medium, tier: "high" as const };
    const low = { ...medium, tier: "low" as const, atRisk: false };
    expect(isEscalation(undefined, medium)).toBe(true);
    expect(isEscalation(medium, { ...medium, runId: "r2" })).toBe(false);
    expect(isEscalation(medium, high)).toBe(true);
    expect(isEscalation(high, medium)).toBe(false);
    expect(isEscalation(undefined, low)).toBe(false);
    expect(isEscalation(low, medium)).toBe(true);
    // A record from before tiers existed.
    expect(isEscalation({ atRisk: true }, medium)).toBe(false);
  });

  it("says a stored assessment changed when the tier or the reasons did", () => {
    const risk = assessRisk(
      lastOpen("2026-10-01T10:00:00Z"),
      "2026-11-01T00:00:00Z",
      "r1",
      options,
    );
    expect(riskChanged(undefined, risk)).toBe(true);
    expect(riskChanged(risk, { ...risk, runId: "r2" })).toBe(false);
    expect(riskChanged(risk, { ...risk, reasons: [] })).toBe(true);
  });
});

describe("promotion lull", () => {
  const damped: RuleHit = {
    code: "no_app_open",
    severity: "medium",
    params: { promotionDamped: 1 },
  };
  const cart: RuleHit = { code: "cart_abandoned", severity: "low", params: {} };
  const complaint: RuleHit = { code: "complaint_then_silence", severity: "high", params: {} };
  const uninstall: RuleHit = { code: "uninstall_silence", severity: "critical", params: {} };
  const noLogin: RuleHit = { code: "no_login", severity: "high", params: { days: 31 } };
  it.each([
    ["a promotion-driven user after a sale, damped hits only", true, 0.6, 0.1, [damped], true],
    ["the same user without any hit", true, 0.6, 0.1, [], true],
    [
      "a low-severity undamped hit (an abandoned cart) does not count",
      true,
      0.6,
      0.1,
      [cart],
      true,
    ],
    ["a complaint followed by silence", true, 0.6, 0.1, [damped, complaint], false],
    ["an uninstall signal", true, 0.6, 0.1, [uninstall], false],
    [
      "30 days without login (silence the sale's calendar explains)",
      true,
      0.6,
      0.1,
      [noLogin],
      true,
    ],
    ["outside the damping window", false, 0.6, 0.1, [damped], false],
    ["active in promotions only as often as the calendar has them", true, 0.12, 0.1, [], false],
    ["exactly 2.5 times the calendar's share", true, 0.25, 0.1, [], true],
    ["a calendar that is one long sale", true, 0.9, 0.8, [], false],
    ["no calendar", true, 0, 0, [], false],
  ])("%s", (_name, inPromotionDamping, activityShare, dayShare, hits, expected) => {
    expect(
      isPromotionLull(
        {
          inPromotionDamping: inPromotionDamping as boolean,
          promotionActivityShare: activityShare as number,
          promotionDayShare: dayShare as number,
        },
        hits as RuleHit[],
      ),
    ).toBe(expected);
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

describe("modelLabel", () => {
  const trees = fitBoostedTrees([[0], [1], [2], [3]], [false, false, true, true], {
    rounds: 2,
    minLeafRows: 1,
  });
  const base = {
    kind: "churn" as const,
    asOf: "2026-03-01T00:00:00.000Z",
    horizonDays: 30,
    label: "activity" as const,
    featureNames: ["x"],
    calibration: { a: 1, b: 0 },
    metrics: {
      rows: 4,
      positives: 2,
      validationRows: 0,
      trainAuc: null,
      validationAuc: null,
      brier: 0,
      logLoss: 0,
      reliability: [],
      converged: true,
      iterations: 2,
    },
    btydVersion: null,
  };

  it("names the algorithm that scored, so a run summary says which model was used", () => {
    const treesModel = {
      ...base,
      algorithm: "boosted-trees" as const,
      baseLogit: trees.baseLogit,
      trees: trees.trees.map((tree) => ({
        feature: [...tree.feature],
        threshold: [...tree.threshold],
        left: [...tree.left],
        right: [...tree.right],
        value: [...tree.value],
      })),
      learningRate: 0.1,
      maxDepth: 3,
      l2: 1,
    };
    const logistic = {
      ...base,
      algorithm: "logistic" as const,
      mean: [0],
      scale: [1],
      weights: [1],
      intercept: 0,
      l2: 1,
    };
    expect(modelLabel({ churn: { version: 3, artefact: treesModel } })).toBe("churn-gbt@3");
    expect(modelLabel({ churn: { version: 2, artefact: logistic } })).toBe("churn-lr@2");
    expect(modelLabel(undefined)).toBe("rules-v1");
  });
});
