/**
 * The classifier's inputs, one number per named slot. Counts and durations enter as log1p: churn
 * risk moves with orders of magnitude (silent 3 vs 30 days), not with linear distance, and the
 * logarithm keeps a few heavy users from owning the fit. The names are part of the stored model:
 * rename one and every stored model stops loading, so add slots at the end instead.
 */
import type { Indicators } from "../indicators.js";
import { RULE_IDS, type RuleHit, type RuleId } from "../rules.js";
import type { ActivityGaps } from "./activity-gaps.js";
import type { BtydSignals } from "./btyd-artefact.js";

/** Longest gap the "days since" inputs distinguish; beyond two years the difference is noise. */
export const DAYS_SINCE_CAP = 730;
/** Interaction change above +300 % is a spike from a tiny baseline, not more engagement. */
const CHANGE_MIN = -1;
const CHANGE_MAX = 3;
const FREQUENCY_RATE_CAP = 30;
const SILENCE_RATIO_CAP = 10;

const BASE_FEATURE_NAMES = [
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
] as const;

const RULE_FEATURE_NAMES = RULE_IDS.map((id) => `rule:${id}` as const);

const TAIL_FEATURE_NAMES = [
  "btydPAliveParetoNbd",
  "btydPAliveMbgNbd",
  "logBtydExpectedPurchases",
  "promotionActivityShare",
  "logLongestGapDays365",
  "logReturnsAfterLongGap",
  "logActiveDays365",
  "silenceVsLongestGap",
] as const;

export const CHURN_FEATURE_NAMES: readonly string[] = Object.freeze([
  ...BASE_FEATURE_NAMES,
  ...RULE_FEATURE_NAMES,
  ...TAIL_FEATURE_NAMES,
]);

export const CHURN_FEATURE_COUNT = CHURN_FEATURE_NAMES.length;

const RULE_OFFSET = BASE_FEATURE_NAMES.length;
const TAIL_OFFSET = RULE_OFFSET + RULE_IDS.length;
const RULE_SLOT: Readonly<Record<RuleId, number>> = Object.fromEntries(
  RULE_IDS.map((id, i) => [id, RULE_OFFSET + i]),
) as Record<RuleId, number>;

function logDays(days: number): number {
  return Math.log1p(Math.min(Math.max(days, 0), DAYS_SINCE_CAP));
}

function logCount(value: number): number {
  return Math.log1p(Math.max(value, 0));
}

/**
 * Writes the features into `out` (a fresh array when omitted) and returns it. `signals`
 * undefined means no BTYD model: those slots are 0, a constant the classifier gives no weight.
 * Allocates nothing when `out` is given: it runs once per user per scoring run.
 */
export function churnFeatureVector(
  indicators: Indicators,
  hits: readonly RuleHit[],
  signals: BtydSignals | undefined,
  gaps: ActivityGaps,
  out: Float64Array = new Float64Array(CHURN_FEATURE_COUNT),
): Float64Array {
  if (out.length !== CHURN_FEATURE_COUNT) {
    throw new RangeError(`feature vector needs ${CHURN_FEATURE_COUNT} slots, got ${out.length}`);
  }
  const age = Math.max(indicators.daysSinceFirstSeen, 0);
  const orders = indicators.orders;
  // A user who never did something has been without it all their life: the age is the gap.
  const sincePurchase = indicators.daysSinceLastPurchase ?? age;
  const sinceAppOpen = indicators.daysSinceLastAppOpen ?? age;
  const sinceLogin = indicators.daysSinceLastLogin ?? age;
  const change = indicators.interaction.change;
  const promotionShare = (indicators as { readonly promotionActivityShare?: number })
    .promotionActivityShare;

  out[0] = logDays(indicators.daysSinceLastSeen);
  out[1] = logDays(sincePurchase);
  out[2] = indicators.daysSinceLastPurchase === null ? 1 : 0;
  out[3] = logCount(orders.repeatPurchaseDays);
  out[4] = logCount(orders.count365);
  out[5] = logDays(age);
  out[6] = logCount(indicators.rfm.monetary365Minor);
  out[7] = Math.min((orders.count * 30) / Math.max(age + 1, 30), FREQUENCY_RATE_CAP);
  out[8] = logCount(indicators.activeDays.d7);
  out[9] = logCount(indicators.activeDays.d30);
  out[10] = logCount(indicators.activeDays.d90);
  out[11] = change === null ? 0 : Math.min(Math.max(change, CHANGE_MIN), CHANGE_MAX);
  out[12] = logDays(sinceAppOpen);
  out[13] = indicators.daysSinceLastAppOpen === null ? 1 : 0;
  out[14] = logDays(sinceLogin);
  out[15] = indicators.daysSinceLastLogin === null ? 1 : 0;
  out.fill(0, RULE_OFFSET, TAIL_OFFSET);
  for (const hit of hits) {
    const slot = RULE_SLOT[hit.code];
    if (slot !== undefined) out[slot] = 1;
  }
  out[TAIL_OFFSET] = signals?.pAliveParetoNbd ?? 0;
  out[TAIL_OFFSET + 1] = signals?.pAliveMbgNbd ?? 0;
  out[TAIL_OFFSET + 2] = logCount(signals?.expectedPurchases ?? 0);
  out[TAIL_OFFSET + 3] =
    typeof promotionShare === "number" && Number.isFinite(promotionShare) ? promotionShare : 0;
  out[TAIL_OFFSET + 4] = logDays(gaps.longestGapDays);
  out[TAIL_OFFSET + 5] = logCount(gaps.returnsAfterLongGap);
  out[TAIL_OFFSET + 6] = logCount(gaps.activeDays365);
  // Above 1 the user is away longer than ever before; capped, a new user's first gap is not 1000×.
  out[TAIL_OFFSET + 7] = Math.min(
    gaps.currentGapDays / Math.max(gaps.longestGapDays, 1),
    SILENCE_RATIO_CAP,
  );
  return out;
}
