/**
 * The sale's hangover: a user who came during a promotion (or after it) and has been quiet since
 * is scored, while the promotion's damping days last, as of the end of the later of the
 * promotion's last local day and their own last active day. Once the damping days are over the
 * whole silence counts again.
 */
import { describe, expect, it } from "vitest";
import { featuresAsOf } from "../../lambdas/domain/as-of.js";
import { dayNumberOfKey, localDayNumber } from "../../lambdas/domain/calendar.js";
import {
  type ChurnModelArtefact,
  parseChurnModelArtefact,
} from "../../lambdas/domain/churn-model/artefacts.js";
import { CHURN_FEATURE_NAMES } from "../../lambdas/domain/churn-model/feature-vector.js";
import type { BehaviourEvent, EventType } from "../../lambdas/domain/events.js";
import {
  applyEvents,
  type FeatureInput,
  type UserFeatures,
} from "../../lambdas/domain/features.js";
import {
  DEFAULT_INDICATOR_OPTIONS,
  deriveIndicators,
  type IndicatorOptions,
} from "../../lambdas/domain/indicators.js";
import type { Promotion } from "../../lambdas/domain/promotions.js";
import {
  assessRisk,
  combineHits,
  DEFAULT_TIER_THRESHOLDS,
  MAX_REASONS,
  type RiskAssessment,
  type ScoringOptions,
  saleHangoverAsOf,
  tierOf,
} from "../../lambdas/domain/risk.js";
import { evaluateRules } from "../../lambdas/domain/rules.js";

const DAY_MS = 86_400_000;
const day = dayNumberOfKey;

// ---------------------------------------------------------------------------------------------
// saleHangoverAsOf on its own
// ---------------------------------------------------------------------------------------------

describe("saleHangoverAsOf", () => {
  const double11: readonly [number, number] = [day("2026-11-01"), day("2026-11-11")];

  it.each<[string, string, readonly [number, number] | null, string, string, string | undefined]>([
    // name, zone, promotion, last seen, as of, expected
    [
      "outside every promotion's damping days",
      "Asia/Shanghai",
      null,
      "2026-11-05T02:00:00Z",
      "2026-11-25T04:00:00Z",
      undefined,
    ],
    [
      "during the promotion itself (its last evening)",
      "Asia/Shanghai",
      double11,
      "2026-11-10T02:00:00Z",
      "2026-11-11T12:00:00Z",
      undefined,
    ],
    [
      "a user last active the evening before the promotion",
      "Asia/Shanghai",
      double11,
      "2026-10-31T14:00:00Z",
      "2026-11-14T04:00:00Z",
      undefined,
    ],
    [
      "a user last active during the promotion: the end of its last local day (UTC+8)",
      "Asia/Shanghai",
      double11,
      "2026-11-05T02:00:00Z",
      "2026-11-14T04:00:00Z",
      "2026-11-11T15:59:59.999Z",
    ],
    [
      "the same user in UTC",
      "UTC",
      double11,
      "2026-11-05T02:00:00Z",
      "2026-11-14T04:00:00Z",
      "2026-11-11T23:59:59.999Z",
    ],
    [
      "a user in UTC+14",
      "Pacific/Kiritimati",
      double11,
      "2026-11-05T02:00:00Z",
      "2026-11-14T04:00:00Z",
      "2026-11-11T09:59:59.999Z",
    ],
    [
      "active at 01:00 local on the first day (still Oct 31 in UTC)",
      "Asia/Shanghai",
      double11,
      "2026-10-31T17:00:00Z",
      "2026-11-14T04:00:00Z",
      "2026-11-11T15:59:59.999Z",
    ],
    [
      "the same instant for a UTC user: the day before the promotion",
      "UTC",
      double11,
      "2026-10-31T17:00:00Z",
      "2026-11-14T04:00:00Z",
      undefined,
    ],
    [
      "active late on the promotion's last day",
      "Asia/Shanghai",
      double11,
      "2026-11-11T15:30:00Z",
      "2026-11-14T04:00:00Z",
      "2026-11-11T15:59:59.999Z",
    ],
    [
      "the first damping day, just after local midnight (still Nov 11 in UTC)",
      "Asia/Shanghai",
      double11,
      "2026-11-10T02:00:00Z",
      "2026-11-11T16:30:00Z",
      "2026-11-11T15:59:59.999Z",
    ],
    [
      "the same instant for a UTC user: still the promotion",
      "UTC",
      double11,
      "2026-11-10T02:00:00Z",
      "2026-11-11T16:30:00Z",
      undefined,
    ],
    [
      "a user last active after the promotion: the end of that day",
      "Asia/Shanghai",
      double11,
      "2026-11-13T01:00:00Z",
      "2026-11-16T04:00:00Z",
      "2026-11-13T15:59:59.999Z",
    ],
    [
      "a user active today",
      "Asia/Shanghai",
      double11,
      "2026-11-14T00:30:00Z",
      "2026-11-14T12:00:00Z",
      undefined,
    ],
    [
      "a user active today in their zone, yesterday in UTC",
      "Asia/Shanghai",
      double11,
      "2026-11-13T16:30:00Z",
      "2026-11-14T12:00:00Z",
      undefined,
    ],
    // New York leaves DST on 2026-11-01 and enters it on 2026-03-08.
    [
      "New York, a promotion ending the day before the clocks go back (EDT)",
      "America/New_York",
      [day("2026-10-25"), day("2026-10-31")],
      "2026-10-28T14:00:00Z",
      "2026-11-03T15:00:00Z",
      "2026-11-01T03:59:59.999Z",
    ],
    [
      "New York, a promotion ending on the 25-hour day",
      "America/New_York",
      [day("2026-10-25"), day("2026-11-01")],
      "2026-10-28T14:00:00Z",
      "2026-11-03T15:00:00Z",
      "2026-11-02T04:59:59.999Z",
    ],
    [
      "New York, a promotion ending on the 23-hour day",
      "America/New_York",
      [day("2026-03-01"), day("2026-03-08")],
      "2026-03-05T15:00:00Z",
      "2026-03-10T15:00:00Z",
      "2026-03-09T03:59:59.999Z",
    ],
    [
      "New York, a promotion ending the day before the clocks go forward (EST)",
      "America/New_York",
      [day("2026-03-01"), day("2026-03-07")],
      "2026-03-05T15:00:00Z",
      "2026-03-10T15:00:00Z",
      "2026-03-08T04:59:59.999Z",
    ],
  ])("%s", (_, timezone, range, lastSeenAt, asOf, expected) => {
    const found = saleHangoverAsOf(
      { dampingPromotionDays: range, timezone },
      lastSeenAt,
      new Date(asOf),
    );
    expect(found?.toISOString()).toBe(expected);
    if (found) {
      // The last millisecond of a local day, before the local day of the moment asked for.
      const at = found.getTime();
      expect(localDayNumber(at + 1, timezone)).toBe(localDayNumber(at, timezone) + 1);
      expect(localDayNumber(at, timezone)).toBeLessThan(localDayNumber(Date.parse(asOf), timezone));
    }
  });

  // The offset must be read at the instant itself, not at the wall-clock end of the day taken as
  // UTC: in a zone whose clocks go forward at local midnight that would land an hour early.
  it("ends the day where the clocks go forward at local midnight (Beirut)", () => {
    // Asia/Beirut goes from 00:00 to 01:00 on 2026-03-29: the 28th ends at 21:59:59.999Z.
    const found = saleHangoverAsOf(
      { dampingPromotionDays: [day("2026-03-20"), day("2026-03-28")], timezone: "Asia/Beirut" },
      "2026-03-25T10:00:00Z",
      new Date("2026-04-01T10:00:00Z"),
    );
    expect(found?.toISOString()).toBe("2026-03-28T21:59:59.999Z");
  });
});

// ---------------------------------------------------------------------------------------------
// assessRisk end to end
// ---------------------------------------------------------------------------------------------

const ZONE = "Asia/Shanghai";
const DOUBLE_11: Promotion = { name: "double-11", from: "2026-11-01", to: "2026-11-11" };
const P618: Promotion = { name: "618", from: "2026-06-01", to: "2026-06-18" };
/** The last millisecond of 2026-11-11 in Shanghai. */
const END_OF_SALE = "2026-11-11T15:59:59.999Z";

/** `hour` o'clock on a local day in Shanghai (UTC+8, no DST), as an ISO time. */
function shanghai(key: string, hour = 12, minute = 0): string {
  return new Date(day(key) * DAY_MS + ((hour - 8) * 60 + minute) * 60_000).toISOString();
}

let eventId = 0;
function event(type: EventType, occurredAt: string): FeatureInput {
  eventId += 1;
  return {
    event: {
      eventId: `h${eventId}`,
      userId: "u",
      type,
      occurredAt,
      context: { timezone: ZONE },
    } as BehaviourEvent,
  };
}

/** An app open and a login at 10:00 every local day from `from` to `to`. */
function daily(from: string, to: string): FeatureInput[] {
  const inputs: FeatureInput[] = [];
  for (let d = day(from); d <= day(to); d += 1) {
    const key = new Date(d * DAY_MS).toISOString().slice(0, 10);
    inputs.push(event("app_open", shanghai(key, 10)), event("login", shanghai(key, 10)));
  }
  return inputs;
}

function user(...inputs: FeatureInput[][]): UserFeatures {
  return applyEvents(undefined, "app", "u", inputs.flat());
}

function optionsWith(
  promotions: readonly Promotion[] | undefined,
  models?: ScoringOptions["models"],
): ScoringOptions {
  const indicators: IndicatorOptions = promotions
    ? { ...DEFAULT_INDICATOR_OPTIONS, promotions, promotionDampingDays: 7 }
    : DEFAULT_INDICATOR_OPTIONS;
  return { rules: {}, tiers: DEFAULT_TIER_THRESHOLDS, indicators, ...(models ? { models } : {}) };
}

const RULES = optionsWith([DOUBLE_11]);
const NO_CALENDAR = optionsWith(undefined);

/**
 * What the rules alone say with the same calendar and damping, before the hangover rule: the
 * fair reference for a user the rule must leave alone (a calendar the user's days do not touch
 * would change the damping and the interaction windows, not only the hangover).
 */
function rulesWithoutHangover(features: UserFeatures, asOf: string, options: ScoringOptions) {
  const at = new Date(asOf);
  const view = featuresAsOf(features, at) as UserFeatures;
  const hits = evaluateRules(deriveIndicators(view, at, options.indicators), options.rules);
  const score = combineHits(hits);
  return { score, tier: tierOf(score), reasons: hits.slice(0, MAX_REASONS) };
}

/** A logistic model that reads only the days since the user was last seen: σ(−2 + 1.5·log1p d). */
const SILENCE_MODEL: ChurnModelArtefact = parseChurnModelArtefact({
  kind: "churn",
  algorithm: "logistic",
  asOf: "2026-06-30T16:00:00.000Z",
  horizonDays: 30,
  label: "activity",
  featureNames: [...CHURN_FEATURE_NAMES],
  mean: CHURN_FEATURE_NAMES.map(() => 0),
  scale: CHURN_FEATURE_NAMES.map(() => 1),
  weights: CHURN_FEATURE_NAMES.map((name) => (name === "logDaysSinceLastSeen" ? 1.5 : 0)),
  intercept: -2,
  l2: 1,
  calibration: { a: 1, b: 0 },
  metrics: {
    rows: 100,
    positives: 30,
    validationRows: 25,
    trainAuc: 0.8,
    validationAuc: 0.75,
    brier: 0.15,
    logLoss: 0.45,
    reliability: [],
    converged: true,
    iterations: 6,
  },
  btydVersion: null,
});
const MODELS = { churn: { version: 1, artefact: SILENCE_MODEL } };
const MODEL = optionsWith([DOUBLE_11], MODELS);
const MODEL_NO_CALENDAR = optionsWith(undefined, MODELS);

function modelScore(daysSilent: number): number {
  return Math.round((1 / (1 + Math.exp(2 - 1.5 * Math.log1p(daysSilent)))) * 10_000) / 10_000;
}

/** The assessment a user should get during the damping days: the earlier one, re-dated. */
function redated(earlier: RiskAssessment, asOf: string, runId: string): RiskAssessment {
  return { ...earlier, asOf, runId };
}

/** Every day Sep 1 – Nov 11 (the sale included), then silence. */
const loyal = user(daily("2026-09-01", "2026-11-11"));
/** The damping days of double-11 with 7 damping days: Nov 12–18, local. */
const DAMPING_MOMENTS = [
  shanghai("2026-11-12", 0, 30),
  shanghai("2026-11-13"),
  shanghai("2026-11-15", 9),
  shanghai("2026-11-17"),
  shanghai("2026-11-18"),
  shanghai("2026-11-18", 23, 59),
];

describe("assessRisk after a sale, rules only", () => {
  it("scores a daily user quiet since the sale as of its last day while the damping lasts", () => {
    const atSaleEnd = assessRisk(loyal, END_OF_SALE, "run-a", RULES);
    for (const asOf of DAMPING_MOMENTS) {
      expect(assessRisk(loyal, asOf, "run-b", RULES), asOf).toStrictEqual(
        redated(atSaleEnd, asOf, "run-b"),
      );
    }
    // Without the rule, the damped silence rules would already score this user on the 18th.
    const damped = rulesWithoutHangover(loyal, shanghai("2026-11-18"), RULES);
    expect(damped.score).toBeGreaterThan(atSaleEnd.score);
    expect(damped.reasons.map((r) => r.code)).toEqual(["no_app_open", "interaction_drop"]);
  });

  it("keeps the caller's moment in its own notation and the run id", () => {
    const asOf = "2026-11-17T12:00:00+08:00";
    const risk = assessRisk(loyal, asOf, "nightly-17", RULES);
    expect(risk.asOf).toBe(asOf);
    expect(risk.runId).toBe("nightly-17");
  });

  it("reports the reasons as of the sale's last day, not today's damped ones", () => {
    // An abandoned cart on the 10th (undamped, low): at the end of the 11th it is a day old.
    const withCart = user(daily("2026-09-01", "2026-11-11"), [
      event("cart_abandon", shanghai("2026-11-10", 8)),
    ]);
    const risk = assessRisk(withCart, shanghai("2026-11-18"), "run", RULES);
    expect(risk).toMatchObject({ score: 0.2, tier: "low", atRisk: false });
    expect(risk.reasons).toEqual([
      { code: "cart_abandoned", severity: "low", params: { days: 1 } },
    ]);
    expect(rulesWithoutHangover(withCart, shanghai("2026-11-18"), RULES).score).toBeCloseTo(
      0.488,
      12,
    );
    // On the 12th the earlier assessment is no lower (a tie): the current one, reasons and all,
    // stays.
    const onThe12th = assessRisk(withCart, shanghai("2026-11-12"), "run", RULES);
    expect(onThe12th.score).toBe(0.2);
    expect(onThe12th.reasons).toEqual([
      { code: "cart_abandoned", severity: "low", params: { days: 2 } },
    ]);
  });

  it.each([
    [
      "the first moment after the damping days (still Nov 18 in UTC)",
      shanghai("2026-11-19", 0, 30),
    ],
    ["a day later", shanghai("2026-11-20")],
    ["two weeks after the sale", shanghai("2026-11-25")],
  ])("counts the whole silence at %s", (_, asOf) => {
    const risk = assessRisk(loyal, asOf, "run", RULES);
    const plain = assessRisk(loyal, asOf, "run", NO_CALENDAR);
    expect(risk.score).toBeGreaterThanOrEqual(plain.score);
    expect(risk).toMatchObject({ tier: "high", atRisk: true, asOf });
    const noAppOpen = risk.reasons.find((r) => r.code === "no_app_open");
    const silentDays = Math.floor(
      (Date.parse(asOf) - Date.parse(shanghai("2026-11-11", 10))) / DAY_MS,
    );
    expect(noAppOpen).toEqual({
      code: "no_app_open",
      severity: "medium",
      params: { days: silentDays, thresholdDays: 7 },
    });
  });

  it("keeps a user who uninstalled after the sale critical", () => {
    const uninstalled = user(daily("2026-09-01", "2026-11-11"), [
      event("uninstall", shanghai("2026-11-13", 10)),
    ]);
    for (const asOf of [shanghai("2026-11-14"), shanghai("2026-11-16"), shanghai("2026-11-18")]) {
      const risk = assessRisk(uninstalled, asOf, "run", RULES);
      expect(risk).toMatchObject({ tier: "critical", atRisk: true, asOf });
      expect(risk.reasons[0]?.code).toBe("uninstall_silence");
      expect(risk.score).toBeGreaterThanOrEqual(DEFAULT_TIER_THRESHOLDS.critical);
    }
  });

  it("keeps a user who complained after the sale and fell silent at risk", () => {
    const complained = user(daily("2026-09-01", "2026-11-11"), [
      event("complaint", shanghai("2026-11-12", 10)),
    ]);
    const asOf = shanghai("2026-11-16");
    const risk = assessRisk(complained, asOf, "run", RULES);
    expect(risk).toMatchObject({ tier: "high", atRisk: true });
    expect(risk.reasons[0]).toEqual({
      code: "complaint_then_silence",
      severity: "high",
      params: { days: 4 },
    });
    expect(risk).toMatchObject(rulesWithoutHangover(complained, asOf, RULES));
    // As of the day of the complaint nothing had happened yet: the rule must not go back there.
    expect(assessRisk(complained, shanghai("2026-11-12", 23), "run", RULES).score).toBe(0);
  });

  it.each([
    ["three days into the damping days", shanghai("2026-11-14")],
    ["on the last damping day", shanghai("2026-11-18")],
  ])("scores a user who stopped before the sale as they are, %s", (_, asOf) => {
    const leftBefore = user(daily("2026-09-01", "2026-10-31"));
    const risk = assessRisk(leftBefore, asOf, "run", RULES);
    const reference = rulesWithoutHangover(leftBefore, asOf, RULES);
    expect(risk).toMatchObject({ ...reference, atRisk: false, asOf });
    // Going back to the end of the sale would have scored them lower.
    expect(assessRisk(leftBefore, END_OF_SALE, "run", RULES).score).toBeLessThan(reference.score);
  });

  it("leaves a promotion hunter's lull as it is: tier low, score and reasons kept", () => {
    const hunter = user(daily("2026-06-01", "2026-06-18"), daily("2026-11-01", "2026-11-11"));
    const options = optionsWith([P618, DOUBLE_11]);
    const asOf = shanghai("2026-11-18");
    const risk = assessRisk(hunter, asOf, "run", options);
    const reference = rulesWithoutHangover(hunter, asOf, options);
    expect(reference.score).toBeGreaterThan(assessRisk(hunter, END_OF_SALE, "run", options).score);
    expect(risk).toMatchObject({
      score: reference.score,
      reasons: reference.reasons,
      tier: "low",
      atRisk: false,
    });
  });
});

describe("assessRisk after a sale, with a model that scores silence", () => {
  it("does not let the silence since the sale count during the damping days", () => {
    const atSaleEnd = assessRisk(loyal, END_OF_SALE, "run", MODEL);
    expect(atSaleEnd).toMatchObject({ score: modelScore(0), tier: "low", model: "churn-lr@1" });
    for (const asOf of DAMPING_MOMENTS) {
      expect(assessRisk(loyal, asOf, "run", MODEL), asOf).toStrictEqual(
        redated(atSaleEnd, asOf, "run"),
      );
    }
    // Without the calendar the same user would be warned about within days.
    expect(assessRisk(loyal, shanghai("2026-11-14"), "run", MODEL_NO_CALENDAR)).toMatchObject({
      score: modelScore(3),
      tier: "medium",
      atRisk: true,
    });
  });

  it("counts the whole silence once the damping days are over", () => {
    const asOf = shanghai("2026-11-19");
    const risk = assessRisk(loyal, asOf, "run", MODEL);
    const plain = assessRisk(loyal, asOf, "run", MODEL_NO_CALENDAR);
    expect(risk.score).toBe(modelScore(8));
    expect(risk.score).toBeGreaterThanOrEqual(plain.score);
    expect(risk).toMatchObject({ tier: "high", atRisk: true, asOf });
    expect(risk.reasons).toContainEqual({
      code: "inactive_for",
      severity: "high",
      params: { days: 8 },
    });
  });

  it("counts from the user's own last day when they came back after the sale", () => {
    const cameBack = user(daily("2026-09-01", "2026-11-13"));
    const atLastVisit = assessRisk(cameBack, "2026-11-13T15:59:59.999Z", "run", MODEL);
    expect(atLastVisit.score).toBe(modelScore(0));
    const asOf = shanghai("2026-11-17");
    expect(assessRisk(cameBack, asOf, "run", MODEL)).toStrictEqual(
      redated(atLastVisit, asOf, "run"),
    );
  });

  it("does not apply during the promotion itself", () => {
    const quietInSale = user(daily("2026-09-01", "2026-11-05"));
    const asOf = shanghai("2026-11-09");
    expect(assessRisk(quietInSale, asOf, "run", MODEL).score).toBe(modelScore(4));
  });

  it("does not apply to a user who stopped before the sale", () => {
    const leftBefore = user(daily("2026-09-01", "2026-10-31"));
    const asOf = shanghai("2026-11-14");
    expect(assessRisk(leftBefore, asOf, "run", MODEL).score).toBe(modelScore(14));
  });

  it("keeps the score of a user with an uninstall signal after the sale, and keeps them critical", () => {
    const uninstalled = user(daily("2026-09-01", "2026-11-11"), [
      event("uninstall", shanghai("2026-11-13", 10)),
    ]);
    const risk = assessRisk(uninstalled, shanghai("2026-11-16"), "run", MODEL);
    // Last seen at the uninstall, three days ago: the model's score then, not as of the 13th.
    expect(risk).toMatchObject({ score: modelScore(3), tier: "critical", atRisk: true });
    expect(risk.reasons[0]?.code).toBe("uninstall_silence");
  });
});
