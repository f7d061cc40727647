/**
 * A user's churn risk as of a moment: one score in [0, 1], a tier and the top reasons.
 *
 * With a trained model (lambdas/domain/churn-model) the score is its calibrated probability that
 * the user churns within the model's horizon, computed from the indicators, the rule hits and the
 * buy-till-you-die signals together; the reasons are the rule hits and the model's largest
 * contributions. Without one (a new shop) the rules alone score: 1 − Π(1 − wᵢ) over the hits,
 * where a single hit of severity s scores exactly the default boundary of tier s.
 *
 * The record is read as of the run's moment (lambdas/domain/as-of.ts), so scoring a past date
 * after a replay of history never sees what came later.
 */
import { featuresAsOf } from "./as-of.js";
import { endOfLocalDay, localDayNumber } from "./calendar.js";
import { activityGaps } from "./churn-model/activity-gaps.js";
import type { BtydArtefact, ChurnModelArtefact } from "./churn-model/artefacts.js";
import { btydSignals } from "./churn-model/btyd-artefact.js";
import { CHURN_FEATURE_COUNT, churnFeatureVector } from "./churn-model/feature-vector.js";
import { predictChurnInto, TopContributions } from "./churn-model/predict.js";
import type { UserFeatures } from "./features.js";
import {
  deriveIndicators,
  type IndicatorOptions,
  type Indicators,
  type LifecycleStage,
  type ValueTier,
} from "./indicators.js";
import { type ModelReasonCode, type Reason, RULE_ID_SET, SEVERITY_RANK } from "./reasons.js";
import {
  DEFAULT_TIER_THRESHOLDS,
  type RiskTier,
  type ThresholdTable,
  type TierThresholds,
  thresholdsFor,
  tierOf,
} from "./risk-tiers.js";
import { evaluateRules, type RuleHit, type RulesConfig, type Severity } from "./rules.js";

export { DEFAULT_TIER_THRESHOLDS, type RiskTier, type TierThresholds, tierOf };

export interface RiskAssessment {
  readonly score: number;
  readonly tier: RiskTier;
  /** Medium or above: the user gets a warning on entering the tier. */
  readonly atRisk: boolean;
  /** Rule hits and model reasons, most severe first, at most MAX_REASONS. */
  readonly reasons: readonly Reason[];
  readonly asOf: string;
  readonly runId: string;
  /** What scored: `rules-v1`, or the model versions such as `churn-lr@3+btyd@2`
   *  (`churn-gbt@…` for boosted trees). */
  readonly model: string;
  readonly lifecycleStage?: LifecycleStage;
  readonly valueTier?: ValueTier;
  /** Spend in the last 365 days, minor units of the base currency. */
  readonly valueMinor?: number;
}

/** Scoring as of a moment before the user's first event: there is no user to score yet. */
export class NotSeenYetError extends Error {
  override readonly name = "NotSeenYetError";
  constructor(userId: string, asOf: string) {
    super(`user ${userId} has no events on or before ${asOf}`);
  }
}

export const RULES_MODEL = "rules-v1";
const SCORE_CHANGE_WORTH_SAVING = 0.05;
export const MAX_REASONS = 3;

/** A single hit of severity s on its own scores the default boundary of tier s. */
const SEVERITY_WEIGHT: Readonly<Record<Severity, number>> = {
  low: 0.2,
  medium: DEFAULT_TIER_THRESHOLDS.medium,
  high: DEFAULT_TIER_THRESHOLDS.high,
  critical: DEFAULT_TIER_THRESHOLDS.critical,
};

/** 1 − Π(1 − wᵢ): each hit adds risk, none can push the score past 1. */
export function combineHits(hits: readonly RuleHit[]): number {
  const stay = hits.reduce((product, hit) => product * (1 - SEVERITY_WEIGHT[hit.severity]), 1);
  return Math.round((1 - stay) * 1000) / 1000;
}

export interface VersionedModel<A> {
  readonly version: number;
  readonly artefact: A;
}

export interface ScoringModels {
  readonly churn?: VersionedModel<ChurnModelArtefact>;
  readonly btyd?: VersionedModel<BtydArtefact>;
}

export interface ScoringOptions {
  readonly rules: RulesConfig;
  /** Fixed boundaries, or a run's table of boundaries per lifecycle stage × value tier. */
  readonly tiers: TierThresholds | ThresholdTable;
  readonly indicators?: IndicatorOptions;
  readonly models?: ScoringModels;
}

function isTable(tiers: TierThresholds | ThresholdTable): tiers is ThresholdTable {
  return "default" in tiers;
}

/** Which model reason a feature's contribution stands for; rule flags are covered by the hits. */
function classifyFeature(feature: string): ModelReasonCode | undefined {
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

/** classifyFeature per feature name, worked out once: a model has a few dozen names. */
const reasonByFeature = new Map<string, ModelReasonCode | null>();
const MAX_FEATURES_REMEMBERED = 4_096;

function modelReasonOf(feature: string): ModelReasonCode | undefined {
  let code = reasonByFeature.get(feature);
  if (code === undefined) {
    code = classifyFeature(feature) ?? null;
    if (reasonByFeature.size >= MAX_FEATURES_REMEMBERED) reasonByFeature.clear();
    reasonByFeature.set(feature, code);
  }
  return code ?? undefined;
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

/** A contribution to the logit this large or more makes the reason that severe. */
function severityOfContribution(value: number): Severity {
  if (value >= 1) return "high";
  if (value >= 0.4) return "medium";
  return "low";
}

/** One vector reused for every user: scoring runs per user per run, allocation is the cost. */
const scratchVector = new Float64Array(CHURN_FEATURE_COUNT);
/** Enough contributions to find MAX_REASONS distinct model reasons after rule flags are skipped. */
const MAX_CONTRIBUTIONS = 12;
/** The model's largest contributions, rewritten for every user. */
const scratchTop = new TopContributions(MAX_CONTRIBUTIONS);

/** Contributions below this barely move the probability and are not worth telling. */
const MIN_CONTRIBUTION = 0.15;

/*
 * The model's reasons of one user, as codes and severities (filled by modelReasons; at most one
 * per code, so never more than there are codes): the Reason objects are made only for those
 * that make the top MAX_REASONS.
 */
const modelCodes: ModelReasonCode[] = [];
const modelSeverities: Severity[] = [];
let modelCount = 0;

function hasModelCode(code: ModelReasonCode): boolean {
  for (let j = 0; j < modelCount; j++) if (modelCodes[j] === code) return true;
  return false;
}

/** The distinct reasons of the largest contributions, in the order of the contributions. */
function modelReasons(top: TopContributions, indicators: Indicators): void {
  modelCount = 0;
  for (let j = 0; j < top.count; j++) {
    const value = top.values[j] as number;
    if (value < MIN_CONTRIBUTION) break;
    const code = modelReasonOf(top.features[j] as string);
    if (!code || hasModelCode(code)) continue;
    if (code === "no_repeat_purchase" && indicators.orders.repeatPurchaseDays > 0) continue;
    modelCodes[modelCount] = code;
    modelSeverities[modelCount] = severityOfContribution(value);
    modelCount += 1;
  }
}

function modelReason(j: number, indicators: Indicators): Reason {
  const code = modelCodes[j] as ModelReasonCode;
  return {
    code,
    severity: modelSeverities[j] as Severity,
    params: modelReasonParams(code, indicators),
  };
}

const TOP_RANK = SEVERITY_RANK.critical;

/**
 * Rule hits first at equal severity: they name a concrete behaviour, a model reason a trend.
 * The first MAX_REASONS of [...hits, ...model reasons] stably sorted by descending severity,
 * taken one severity at a time.
 */
function topReasons(
  hits: readonly RuleHit[],
  withModel: boolean,
  indicators: Indicators,
): Reason[] {
  const modelReasonCount = withModel ? modelCount : 0;
  const reasons: Reason[] = [];
  for (const hit of hits) {
    const rank = SEVERITY_RANK[hit.severity];
    if (!(Number.isInteger(rank) && rank >= 0 && rank <= TOP_RANK)) {
      return sortedReasons(hits, modelReasonCount, indicators);
    }
  }
  for (let rank = TOP_RANK; rank >= 0; rank -= 1) {
    for (const hit of hits) {
      if (SEVERITY_RANK[hit.severity] !== rank) continue;
      reasons.push(hit);
      if (reasons.length === MAX_REASONS) return reasons;
    }
    for (let j = 0; j < modelReasonCount; j++) {
      if (SEVERITY_RANK[modelSeverities[j] as Severity] !== rank) continue;
      reasons.push(modelReason(j, indicators));
      if (reasons.length === MAX_REASONS) return reasons;
    }
  }
  return reasons;
}

/** topReasons by a sort, for a severity outside the four ranks. */
function sortedReasons(
  hits: readonly RuleHit[],
  modelReasonCount: number,
  indicators: Indicators,
): Reason[] {
  const fromModel: Reason[] = [];
  for (let j = 0; j < modelReasonCount; j++) fromModel.push(modelReason(j, indicators));
  return [...hits, ...fromModel]
    .map((reason, index) => ({ reason, index }))
    .sort(
      (a, b) =>
        SEVERITY_RANK[b.reason.severity] - SEVERITY_RANK[a.reason.severity] || a.index - b.index,
    )
    .slice(0, MAX_REASONS)
    .map(({ reason }) => reason);
}

export function modelLabel(models: ScoringModels | undefined): string {
  if (!models?.churn) return RULES_MODEL;
  const algorithm = models.churn.artefact.algorithm === "boosted-trees" ? "gbt" : "lr";
  const parts = [`churn-${algorithm}@${models.churn.version}`];
  if (models.btyd) parts.push(`btyd@${models.btyd.version}`);
  return parts.join("+");
}

/** modelLabel of the models scored with last, while they still have the same versions. */
let labelled:
  | {
      readonly churn: unknown;
      readonly btyd: unknown;
      readonly churnVersion: number;
      readonly btydVersion: number | undefined;
      readonly label: string;
    }
  | undefined;

function labelOf(models: ScoringModels | undefined): string {
  const churn = models?.churn;
  if (!churn) return RULES_MODEL;
  const btyd = models?.btyd;
  if (
    labelled === undefined ||
    labelled.churn !== churn ||
    labelled.btyd !== btyd ||
    labelled.churnVersion !== churn.version ||
    labelled.btydVersion !== btyd?.version
  ) {
    labelled = {
      churn,
      btyd,
      churnVersion: churn.version,
      btydVersion: btyd?.version,
      label: modelLabel(models),
    };
  }
  return labelled.label;
}

/** The Date of the moment scored last: a run scores every user as of one moment. */
let lastAsOf: string | undefined;
let lastAsOfDate = new Date(Number.NaN);

function dateOf(asOf: string): Date {
  if (asOf !== lastAsOf) {
    lastAsOfDate = new Date(asOf);
    lastAsOf = asOf;
  }
  return lastAsOfDate;
}

/**
 * How many times likelier an active day of the user's falls in a promotion than a calendar day
 * does, from which the user counts as promotion-driven. Relative to the calendar, so a shop with
 * a sale every week does not make every user a promotion hunter.
 */
export const PROMOTION_DRIVEN_LIFT = 2.5;

/**
 * A promotion-driven user in the days during and after a sale: the quiet that follows is their
 * habit, not drift ("a short silence right after a big sale is not a warning"). The model may
 * still score the silence high — it sees the same lull as in a leaver — so the user is not put
 * at risk while it lasts, unless the user did something a sale does not explain: an uninstall
 * signal, or a complaint followed by silence. Silence-based rules that promotions do not damp
 * (30 days without login, long-term inactivity) do not count: this user was active in the sale
 * days ago, and their logins and visits follow the calendar. Score and reasons are kept.
 */
export function isPromotionLull(
  indicators: Pick<
    Indicators,
    "inPromotionDamping" | "promotionActivityShare" | "promotionDayShare"
  >,
  hits: readonly RuleHit[],
): boolean {
  return (
    indicators.inPromotionDamping &&
    indicators.promotionDayShare > 0 &&
    indicators.promotionActivityShare >= PROMOTION_DRIVEN_LIFT * indicators.promotionDayShare &&
    !hits.some((hit) => LULL_BREAKING_RULES.has(hit.code))
  );
}

/**
 * The end of the day the user's silence after a sale is counted from while its damping days
 * last, or undefined when the rule does not apply. A user who came during the promotion (or
 * after it) and has been quiet since is in the sale's hangover: the days since do not count
 * against them yet, so they are scored as of the later of the promotion's last day and their
 * last active day. Once the damping days are over, the whole silence counts again. Users who
 * did not come to the sale are scored as they are: the sale does not explain their quiet.
 */
export function saleHangoverAsOf(
  indicators: Pick<Indicators, "dampingPromotionDays" | "timezone">,
  lastSeenAt: string,
  asOf: Date,
): Date | undefined {
  const range = indicators.dampingPromotionDays;
  if (!range) return undefined;
  const zone = indicators.timezone;
  const today = localDayNumber(asOf.getTime(), zone);
  const [firstDay, lastDay] = range;
  if (today <= lastDay) return undefined;
  const lastActiveDay = localDayNumber(Date.parse(lastSeenAt), zone);
  if (lastActiveDay < firstDay) return undefined;
  const countFrom = Math.max(lastDay, lastActiveDay);
  if (countFrom >= today) return undefined;
  return endOfLocalDay(countFrom, zone);
}

/** Acts of the user that a sale does not explain: they keep a promotion hunter at risk. */
const LULL_BREAKING_RULES: ReadonlySet<string> = new Set([
  "uninstall_silence",
  "complaint_then_silence",
]);

export function assessRisk(
  features: UserFeatures,
  asOf: string,
  runId: string,
  options: ScoringOptions,
): RiskAssessment {
  const asOfDate = dateOf(asOf);
  const view = featuresAsOf(features, asOfDate);
  if (!view) throw new NotSeenYetError(features.userId, asOf);
  const indicators = deriveIndicators(view, asOfDate, options.indicators);
  const hits = evaluateRules(indicators, options.rules);
  const churn = options.models?.churn;
  let score: number;
  let reasons: Reason[];
  if (churn) {
    const btyd = options.models?.btyd;
    const signals = btyd
      ? btydSignals(view, asOfDate, btyd.artefact, churn.artefact.horizonDays)
      : undefined;
    const probability = predictChurnInto(
      churn.artefact,
      churnFeatureVector(indicators, hits, signals, activityGaps(view, asOfDate), scratchVector),
      scratchTop,
      MIN_CONTRIBUTION,
    );
    score = Math.round(probability * 10_000) / 10_000;
    modelReasons(scratchTop, indicators);
    reasons = topReasons(hits, true, indicators);
  } else {
    score = combineHits(hits);
    reasons = topReasons(hits, false, indicators);
  }
  const thresholds = isTable(options.tiers)
    ? thresholdsFor(options.tiers, indicators.lifecycleStage, indicators.valueTier)
    : options.tiers;
  let tier = tierOf(score, thresholds);
  const lull = isPromotionLull(indicators, hits);
  if (lull) tier = "low";
  const hangover =
    lull || hits.some((hit) => LULL_BREAKING_RULES.has(hit.code) || hit.severity === "critical")
      ? undefined
      : saleHangoverAsOf(indicators, view.lastSeenAt, asOfDate);
  if (hangover) {
    const before = assessRisk(features, hangover.toISOString(), runId, options);
    if (before.score < score) return { ...before, asOf, runId };
  }
  // A critical rule (an uninstall signal) is urgent whatever the model thinks of the history.
  for (const hit of hits) if (hit.severity === "critical") tier = "critical";
  return {
    score,
    tier,
    atRisk: TIER_ORDER[tier] >= TIER_ORDER.medium,
    reasons,
    asOf,
    runId,
    model: labelOf(options.models),
    lifecycleStage: indicators.lifecycleStage,
    valueTier: indicators.valueTier,
    valueMinor: indicators.revenue365Minor,
  };
}

const TIER_ORDER: Readonly<Record<RiskTier, number>> = { low: 0, medium: 1, high: 2, critical: 3 };

/** The tier a stored assessment stands for, also for records written before tiers existed. */
function storedTier(previous: { tier?: RiskTier; atRisk?: boolean } | undefined): RiskTier {
  return previous?.tier ?? (previous?.atRisk ? "medium" : "low");
}

/** A warning goes out only when a user enters a higher at-risk tier, never again for the same one. */
export function isEscalation(
  previous: { tier?: RiskTier; atRisk?: boolean } | undefined,
  next: RiskAssessment,
): boolean {
  return next.atRisk && TIER_ORDER[next.tier] > TIER_ORDER[storedTier(previous)];
}

/** Whether a stored assessment says something different from a new one. */
export function riskChanged(
  previous:
    | {
        tier?: RiskTier;
        atRisk?: boolean;
        score?: number;
        reasons?: readonly { code: string }[];
        model?: string;
      }
    | undefined,
  next: RiskAssessment,
): boolean {
  if (!previous || storedTier(previous) !== next.tier || previous.model !== next.model) return true;
  // Small moves of the score are not worth a write per user per night; a real change is.
  if (Math.abs((previous.score ?? -1) - next.score) >= SCORE_CHANGE_WORTH_SAVING) return true;
  const codes = (reasons: readonly { code: string }[] | undefined) =>
    (reasons ?? []).map((r) => r.code).join(",");
  return codes(previous.reasons) !== codes(next.reasons);
}
