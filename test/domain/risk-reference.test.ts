/**
 * assessRisk is written for speed: the reason code per feature name remembered, the model's top
 * contributions selected into a reused buffer, the reasons merged without a sort. This file
 * keeps the plain version beside it — every contribution sorted, the six patterns tried per
 * feature, the reasons sorted — and checks over random users, moments, models and tier tables
 * that the two assess every user alike.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { featuresAsOf } from "../../lambdas/domain/as-of.js";
import type {
  BtydArtefact,
  ChurnModelArtefact,
} from "../../lambdas/domain/churn-model/artefacts.js";
import { CHURN_FEATURE_NAMES } from "../../lambdas/domain/churn-model/feature-vector.js";
import { predictChurn } from "../../lambdas/domain/churn-model/predict.js";
import { churnVectorOf } from "../../lambdas/domain/churn-model/user-vector.js";
import type { BehaviourEvent, EventType } from "../../lambdas/domain/events.js";
import {
  applyEvents,
  type FeatureInput,
  type UserFeatures,
} from "../../lambdas/domain/features.js";
import { deriveIndicators, type Indicators } from "../../lambdas/domain/indicators.js";
import {
  type ModelReasonCode,
  type Reason,
  RULE_ID_SET,
  SEVERITY_RANK,
} from "../../lambdas/domain/reasons.js";
import {
  assessRisk,
  combineHits,
  DEFAULT_TIER_THRESHOLDS,
  modelLabel,
  NotSeenYetError,
  type RiskAssessment,
  type ScoringOptions,
  tierOf,
} from "../../lambdas/domain/risk.js";
import { type ThresholdTable, thresholdsFor } from "../../lambdas/domain/risk-tiers.js";
import { evaluateRules, type RuleHit, type Severity } from "../../lambdas/domain/rules.js";

// ---------------------------------------------------------------------------------------------
// The reference: assessRisk written the plain way.
// ---------------------------------------------------------------------------------------------

function modelReasonOf(feature: string): ModelReasonCode | undefined {
  if (RULE_ID_SET.has(feature)) return undefined;
  const name = feature.toLowerCase();
  if (/alive|expected/.test(name)) return "unlikely_to_return";
  if (/since|recency/.test(name)) return "inactive_for";
  if (/active_?days|activedays|interaction/.test(name)) return "fewer_visits";
  if (/monetary|revenue|spend/.test(name)) return "spending_less";
  if (/frequency|orders|repeat|purchases/.test(name)) return "buying_less";
  if (/age/.test(name)) return "no_repeat_purchase";
  return undefined;
}

function modelReasonParams(code: ModelReasonCode, indicators: Indicators): Record<string, number> {
  switch (code) {
    case "inactive_for":
      return { days: indicators.daysSinceLastSeen };
    case "buying_less":
      return { orders365: indicators.orders.count365 };
    case "fewer_visits":
      return { activeDays30: indicators.activeDays.d30 };
    case "spending_less":
      return { revenue365Minor: indicators.revenue365Minor };
    case "no_repeat_purchase":
      return { days: indicators.daysSinceFirstSeen };
    case "unlikely_to_return":
      return {};
  }
}

function severityOfContribution(value: number): Severity {
  if (value >= 1) return "high";
  if (value >= 0.4) return "medium";
  return "low";
}

function modelReasons(
  contributions: readonly { feature: string; value: number }[],
  indicators: Indicators,
): Reason[] {
  const reasons = new Map<ModelReasonCode, Reason>();
  for (const { feature, value } of contributions) {
    if (value < 0.15) break;
    const code = modelReasonOf(feature);
    if (!code || reasons.has(code)) continue;
    if (code === "no_repeat_purchase" && indicators.orders.repeatPurchaseDays > 0) continue;
    reasons.set(code, {
      code,
      severity: severityOfContribution(value),
      params: modelReasonParams(code, indicators),
    });
  }
  return [...reasons.values()];
}

function topReasons(hits: readonly RuleHit[], fromModel: readonly Reason[]): Reason[] {
  return [...hits, ...fromModel]
    .map((reason, index) => ({ reason, index }))
    .sort(
      (a, b) =>
        SEVERITY_RANK[b.reason.severity] - SEVERITY_RANK[a.reason.severity] || a.index - b.index,
    )
    .slice(0, 3)
    .map(({ reason }) => reason);
}

const TIER_ORDER = { low: 0, medium: 1, high: 2, critical: 3 } as const;

function referenceRisk(
  features: UserFeatures,
  asOf: string,
  runId: string,
  options: ScoringOptions,
): RiskAssessment {
  const asOfDate = new Date(asOf);
  const view = featuresAsOf(features, asOfDate);
  if (!view) throw new NotSeenYetError(features.userId, asOf);
  const indicators = deriveIndicators(view, asOfDate, options.indicators);
  const hits = evaluateRules(indicators, options.rules);
  const churn = options.models?.churn;
  let score: number;
  let reasons: Reason[];
  if (churn) {
    const vector = churnVectorOf(view, asOfDate, {
      ...(options.models?.btyd ? { btyd: options.models.btyd.artefact } : {}),
      horizonDays: churn.artefact.horizonDays,
      rules: options.rules,
      ...(options.indicators ? { indicatorOptions: options.indicators } : {}),
    });
    // Every contribution, sorted in full, then the first 12.
    const prediction = predictChurn(churn.artefact, vector);
    score = Math.round(prediction.probability * 10_000) / 10_000;
    reasons = topReasons(hits, modelReasons(prediction.contributions.slice(0, 12), indicators));
  } else {
    score = combineHits(hits);
    reasons = topReasons(hits, []);
  }
  const thresholds =
    "default" in options.tiers
      ? thresholdsFor(options.tiers, indicators.lifecycleStage, indicators.valueTier)
      : options.tiers;
  let tier = tierOf(score, thresholds);
  // Promotion-driven users (active days 2.5× as likely in promotions as calendar days) are not
  // at risk in a sale's lull unless they uninstalled or complained and went silent.
  const undampedHit = hits.some(
    (hit) => hit.code === "uninstall_silence" || hit.code === "complaint_then_silence",
  );
  const driven =
    indicators.promotionDayShare > 0 &&
    indicators.promotionActivityShare / indicators.promotionDayShare >= 2.5;
  if (indicators.inPromotionDamping && driven && !undampedHit) tier = "low";
  if (hits.some((hit) => hit.severity === "critical")) tier = "critical";
  return {
    score,
    tier,
    atRisk: TIER_ORDER[tier] >= TIER_ORDER.medium,
    reasons,
    asOf,
    runId,
    model: modelLabel(options.models),
    lifecycleStage: indicators.lifecycleStage,
    valueTier: indicators.valueTier,
    valueMinor: indicators.revenue365Minor,
  };
}

// ---------------------------------------------------------------------------------------------
// Random users, moments and models.
// ---------------------------------------------------------------------------------------------

const DAY_MS = 86_400_000;
const FROM_MS = Date.parse("2025-01-01T00:00:00Z");
const TO_MS = Date.parse("2026-11-30T00:00:00Z");
const ZONES = [undefined, "UTC", "Asia/Shanghai", "America/New_York", "Pacific/Chatham"] as const;
const TYPES: readonly EventType[] = [
  "app_open",
  "app_open",
  "login",
  "session",
  "search",
  "product_view",
  "purchase",
  "purchase",
  "cart_abandon",
  "uninstall",
  "push_token_invalid",
  "complaint",
  "refund",
  "page_load",
];

let eventCounter = 0;

function inputOf(type: EventType, ms: number, zone: string | undefined, amount: number) {
  eventCounter += 1;
  const properties: Record<string, unknown> =
    type === "purchase"
      ? { orderId: `o${eventCounter}`, amount: amount / 100, currency: "CNY" }
      : type === "session"
        ? { durationSec: 60 + (amount % 900) }
        : type === "page_load"
          ? { ms: amount % 6_000 }
          : {};
  const event = {
    eventId: `e${eventCounter}`,
    userId: "u",
    type,
    occurredAt: new Date(ms).toISOString(),
    properties,
    ...(zone ? { context: { timezone: zone } } : {}),
  } as unknown as BehaviourEvent;
  return type === "purchase" || type === "refund"
    ? ({ event, baseAmountMinor: amount } satisfies FeatureInput)
    : ({ event } satisfies FeatureInput);
}

const userArbitrary: fc.Arbitrary<UserFeatures> = fc
  .record({
    zone: fc.constantFrom(...ZONES),
    events: fc.array(
      fc.tuple(
        fc.constantFrom(...TYPES),
        fc.integer({ min: FROM_MS, max: TO_MS }),
        fc.integer({ min: 100, max: 900_000 }),
      ),
      { minLength: 1, maxLength: 60 },
    ),
  })
  .map(({ zone, events }) =>
    applyEvents(
      undefined,
      "app",
      "u",
      events.map(([type, ms, amount]) => inputOf(type, ms, zone, amount)),
    ),
  );

const BTYD: BtydArtefact = {
  kind: "btyd",
  unit: "weeks",
  calibrationEnd: "2026-06-30",
  customers: 1000,
  bgNbd: {
    params: { r: 0.24, alpha: 4.4, a: 0.79, b: 2.4 },
    logLikelihood: -9582,
    converged: true,
  },
  mbgNbd: {
    params: { r: 0.52, alpha: 6.2, a: 0.89, b: 1.6 },
    logLikelihood: -9600,
    converged: true,
  },
  paretoNbd: {
    params: { r: 0.55, alpha: 10.6, s: 0.61, beta: 11.7 },
    logLikelihood: -9595,
    converged: true,
  },
  gammaGamma: null,
};

/** Weights from a few values and some wide ones, so contributions tie and cross every boundary. */
const churnArbitrary: fc.Arbitrary<ChurnModelArtefact> = fc
  .record({
    weights: fc.array(
      fc.oneof(
        fc.constantFrom(0, 0.2, -0.2, 0.5, 1, 2, -1),
        fc.double({ min: -3, max: 3, noNaN: true }),
      ),
      { minLength: CHURN_FEATURE_NAMES.length, maxLength: CHURN_FEATURE_NAMES.length },
    ),
    mean: fc.array(fc.oneof(fc.constant(0), fc.double({ min: -2, max: 2, noNaN: true })), {
      minLength: CHURN_FEATURE_NAMES.length,
      maxLength: CHURN_FEATURE_NAMES.length,
    }),
    intercept: fc.double({ min: -3, max: 3, noNaN: true }),
    horizonDays: fc.constantFrom(14, 30, 60),
  })
  .map(
    ({ weights, mean, intercept, horizonDays }) =>
      ({
        kind: "churn",
        algorithm: "logistic",
        asOf: "2026-06-30T16:00:00.000Z",
        horizonDays,
        label: "activity",
        featureNames: [...CHURN_FEATURE_NAMES],
        mean,
        scale: CHURN_FEATURE_NAMES.map((_, i) => 0.5 + (i % 4) * 0.5),
        weights,
        intercept,
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
        btydVersion: 2,
      }) as ChurnModelArtefact,
  );

const TABLE: ThresholdTable = {
  default: DEFAULT_TIER_THRESHOLDS,
  cohorts: { "mature|standard": { medium: 0.3, high: 0.6, critical: 0.85 } },
} as unknown as ThresholdTable;

const optionsArbitrary: fc.Arbitrary<ScoringOptions> = fc
  .record({
    churn: fc.option(churnArbitrary, { nil: undefined }),
    withBtyd: fc.boolean(),
    version: fc.integer({ min: 1, max: 3 }),
    table: fc.boolean(),
    promotions: fc.boolean(),
  })
  .map(({ churn, withBtyd, version, table, promotions }) => ({
    rules: {},
    tiers: table ? TABLE : DEFAULT_TIER_THRESHOLDS,
    ...(promotions
      ? {
          indicators: {
            highValueMinor: 500_000,
            recentDays: 14,
            baselineDays: 28,
            promotions: [{ name: "double-11", from: "2025-11-01", to: "2025-11-11" }],
          },
        }
      : {}),
    ...(churn
      ? {
          models: {
            churn: { version, artefact: churn },
            ...(withBtyd ? { btyd: { version: version + 1, artefact: BTYD } } : {}),
          },
        }
      : {}),
  }));

const asOfArbitrary = fc
  .integer({ min: FROM_MS + 30 * DAY_MS, max: TO_MS + 60 * DAY_MS })
  .map((ms) => new Date(ms).toISOString());

function outcome(assess: () => RiskAssessment): RiskAssessment | string {
  try {
    return assess();
  } catch (error) {
    return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  }
}

describe("assessRisk against its plain version", () => {
  it("assesses random users alike, with and without a model, as of random moments", () => {
    fc.assert(
      fc.property(
        fc.array(userArbitrary, { minLength: 1, maxLength: 4 }),
        fc.array(asOfArbitrary, { minLength: 1, maxLength: 3 }),
        fc.array(optionsArbitrary, { minLength: 1, maxLength: 3 }),
        (users, moments, optionSets) => {
          // Several users, moments and models in turn: what is remembered from one call must not
          // leak into the next.
          for (const options of optionSets) {
            for (const asOf of moments) {
              for (const user of users) {
                expect(outcome(() => assessRisk(user, asOf, "run", options))).toStrictEqual(
                  outcome(() => referenceRisk(user, asOf, "run", options)),
                );
              }
            }
          }
        },
      ),
      { numRuns: 200 },
    );
  });

  it("reports the model's versions after they change under the same options", () => {
    const user = applyEvents(undefined, "app", "u", [
      inputOf("app_open", Date.parse("2026-05-01T10:00:00Z"), undefined, 1),
    ]);
    const churn = fc.sample(churnArbitrary, { numRuns: 1, seed: 7 })[0] as ChurnModelArtefact;
    const versioned = { version: 1, artefact: churn };
    const options = { rules: {}, tiers: DEFAULT_TIER_THRESHOLDS, models: { churn: versioned } };
    const asOf = "2026-06-01T00:00:00.000Z";
    expect(assessRisk(user, asOf, "run", options).model).toBe("churn-lr@1");
    (versioned as { version: number }).version = 2;
    expect(assessRisk(user, asOf, "run", options).model).toBe("churn-lr@2");
    expect(
      assessRisk(user, asOf, "run", {
        ...options,
        models: { churn: versioned, btyd: { version: 5, artefact: BTYD } },
      }).model,
    ).toBe("churn-lr@2+btyd@5");
  });
});
