import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { activityGaps } from "../../../lambdas/domain/churn-model/activity-gaps.js";
import {
  CHURN_FEATURE_COUNT,
  CHURN_FEATURE_NAMES,
  churnFeatureVector,
  DAYS_SINCE_CAP,
} from "../../../lambdas/domain/churn-model/feature-vector.js";
import { churnVectorOf } from "../../../lambdas/domain/churn-model/user-vector.js";
import { applyEvents, type FeatureInput } from "../../../lambdas/domain/features.js";
import { deriveIndicators, type Indicators } from "../../../lambdas/domain/indicators.js";
import { evaluateRules, RULE_IDS, type RuleHit } from "../../../lambdas/domain/rules.js";
import { appOpen, purchase } from "../../fixtures/events.js";

const slot = (name: string) => CHURN_FEATURE_NAMES.indexOf(name);

const gaps = { longestGapDays: 20, returnsAfterLongGap: 1, activeDays365: 40, currentGapDays: 8 };

describe("CHURN_FEATURE_NAMES", () => {
  it("are the stable, distinct names stored with every model", () => {
    expect(CHURN_FEATURE_NAMES).toEqual([
      "logDaysSinceLastSeen",
      "logDaysSinceLastPurchase",
      "neverPurchased",
      "logRepeatPurchaseDays",
      "logOrders365",
      "logAgeDays",
      "logMonetary365",
      "ordersPer30Days",
      "logActiveDays7",
      "logActiveDays30",
      "logActiveDays90",
      "interactionChange",
      "logDaysSinceLastAppOpen",
      "neverAppOpen",
      "logDaysSinceLastLogin",
      "neverLogin",
      ...RULE_IDS.map((id) => `rule:${id}`),
      "btydPAliveParetoNbd",
      "btydPAliveMbgNbd",
      "logBtydExpectedPurchases",
      "promotionActivityShare",
      "logLongestGapDays365",
      "logReturnsAfterLongGap",
      "logActiveDays365",
      "silenceVsLongestGap",
    ]);
    expect(new Set(CHURN_FEATURE_NAMES).size).toBe(CHURN_FEATURE_COUNT);
  });
});

describe("churnFeatureVector", () => {
  const asOf = new Date("2026-03-01T00:00:00Z");
  const features = applyEvents(undefined, "app", "u", [
    appOpen("u", "2025-12-01T10:00:00Z"),
    purchase("u", "2026-01-10T10:00:00Z", 10_000),
    purchase("u", "2026-02-01T10:00:00Z", 5_000),
    appOpen("u", "2026-02-20T10:00:00Z"),
  ]);
  const indicators = deriveIndicators(features, asOf);

  it("puts log-days, counts, flags and signals in their named slots", () => {
    const hits: RuleHit[] = [
      { code: "no_app_open", severity: "medium", params: {} },
      { code: "long_term_inactive", severity: "high", params: {} },
    ];
    const signals = {
      pAliveParetoNbd: 0.7,
      pAliveMbgNbd: 0.6,
      expectedPurchases: 1.5,
      hasPurchased: true,
    };
    const v = churnFeatureVector(indicators, hits, signals, gaps);
    expect(v).toHaveLength(CHURN_FEATURE_COUNT);
    expect(v[slot("logDaysSinceLastSeen")]).toBeCloseTo(Math.log1p(8), 12);
    expect(v[slot("logDaysSinceLastPurchase")]).toBeCloseTo(Math.log1p(27), 12);
    expect(v[slot("logLongestGapDays365")]).toBeCloseTo(Math.log1p(20), 12);
    expect(v[slot("silenceVsLongestGap")]).toBeCloseTo(8 / 20, 12);
    expect(v[slot("neverPurchased")]).toBe(0);
    expect(v[slot("logRepeatPurchaseDays")]).toBeCloseTo(Math.log1p(1), 12);
    expect(v[slot("logOrders365")]).toBeCloseTo(Math.log1p(2), 12);
    expect(v[slot("logAgeDays")]).toBeCloseTo(Math.log1p(89), 12);
    expect(v[slot("logMonetary365")]).toBeCloseTo(Math.log1p(15_000), 12);
    expect(v[slot("ordersPer30Days")]).toBeCloseTo((2 * 30) / 90, 12);
    expect(v[slot("neverLogin")]).toBe(1);
    // Never logged in: the gap is the user's whole age.
    expect(v[slot("logDaysSinceLastLogin")]).toBeCloseTo(Math.log1p(89), 12);
    expect(v[slot("rule:no_app_open")]).toBe(1);
    expect(v[slot("rule:long_term_inactive")]).toBe(1);
    expect(v[slot("rule:no_login")]).toBe(0);
    expect(v[slot("btydPAliveParetoNbd")]).toBe(0.7);
    expect(v[slot("btydPAliveMbgNbd")]).toBe(0.6);
    expect(v[slot("logBtydExpectedPurchases")]).toBeCloseTo(Math.log1p(1.5), 12);
    expect(v[slot("promotionActivityShare")]).toBe(0);
  });

  it("reuses the output array and clears the rule slots of the previous user", () => {
    const out = new Float64Array(CHURN_FEATURE_COUNT);
    churnFeatureVector(
      indicators,
      [{ code: "no_login", severity: "high", params: {} }],
      undefined,
      gaps,
      out,
    );
    const again = churnFeatureVector(indicators, [], undefined, gaps, out);
    expect(again).toBe(out);
    expect(out[slot("rule:no_login")]).toBe(0);
    expect(out[slot("btydPAliveParetoNbd")]).toBe(0);
    expect(() => churnFeatureVector(indicators, [], undefined, gaps, new Float64Array(3))).toThrow(
      RangeError,
    );
  });

  it.each([
    [0.25, 0.25],
    [undefined, 0],
    [Number.NaN, 0],
  ])("reads promotionActivityShare %s defensively as %s", (share, expected) => {
    const withShare = { ...indicators, promotionActivityShare: share } as Indicators;
    expect(churnFeatureVector(withShare, [], undefined, gaps)[slot("promotionActivityShare")]).toBe(
      expected,
    );
  });

  it.each([
    [-5, -1],
    [0.5, 0.5],
    [12, 3],
    [null, 0],
  ])("clips an interaction change of %s to %s", (change, expected) => {
    const changed = { ...indicators, interaction: { ...indicators.interaction, change } };
    expect(churnFeatureVector(changed, [], undefined, gaps)[slot("interactionChange")]).toBe(
      expected,
    );
  });

  it("caps the day gaps", () => {
    const old = { ...indicators, daysSinceLastSeen: 10_000 };
    expect(churnFeatureVector(old, [], undefined, gaps)[slot("logDaysSinceLastSeen")]).toBeCloseTo(
      Math.log1p(DAYS_SINCE_CAP),
      12,
    );
  });

  it("is finite for any history", () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            at: fc.integer({ min: Date.parse("2022-01-01"), max: Date.parse("2026-03-01") }),
            buy: fc.boolean(),
          }),
          { minLength: 1, maxLength: 30 },
        ),
        fc.integer({ min: Date.parse("2022-01-01"), max: Date.parse("2027-01-01") }),
        (drafts, asOfMs) => {
          const inputs: FeatureInput[] = drafts.map(({ at, buy }) =>
            buy
              ? purchase("u", new Date(at).toISOString(), 990)
              : appOpen("u", new Date(at).toISOString()),
          );
          const record = applyEvents(undefined, "app", "u", inputs);
          const v = churnVectorOf(record, new Date(asOfMs), { horizonDays: 30 });
          for (const value of v) expect(Number.isFinite(value)).toBe(true);
          const i = deriveIndicators(record, new Date(asOfMs));
          expect(Array.from(v)).toEqual(
            Array.from(
              churnFeatureVector(
                i,
                evaluateRules(i),
                undefined,
                activityGaps(record, new Date(asOfMs)),
              ),
            ),
          );
        },
      ),
      { numRuns: 200 },
    );
  });
});
