/**
 * `churnwatch evaluate`: how well churnwatch's risk as of a calibration end foretold who churned
 * by a holdout end, side by side with recency alone and an RFM score. Every user is scored by
 * the same function the score λ runs, with the app's current model versions, on the record as
 * it was at the calibration end — so no earlier run is needed and nothing after it leaks in.
 *
 * Labels come from the store (no activity, or no purchase, in the holdout) or, for a simulated
 * shop, from its ground truth. With ground truth it also reports how many days before the true
 * churn date churnwatch first warned (a day-by-day backtest), and whether promotion hunters were
 * warned in the week after a promotion.
 */
import { featuresAsOf, isChurnLabel } from "../domain/as-of.js";
import { dayKey, dayNumberOfKey, endOfLocalDay } from "../domain/calendar.js";
import {
  buildEvaluationReport,
  type EvaluationReport,
  type EvaluationRow,
} from "../domain/evaluation/report.js";
import type { UserProfile } from "../domain/features.js";
import { deriveIndicators } from "../domain/indicators.js";
import type { Promotion } from "../domain/promotions.js";
import { assessRisk, modelLabel, NotSeenYetError, type ScoringOptions } from "../domain/risk.js";
import type { TierThresholds } from "../domain/risk-tiers.js";
import type { TruthRow } from "../domain/simulation/shop.js";
import type { ModelStore } from "../model-ports.js";
import type { AppProfiles } from "../ports.js";
import { loadScoringModels } from "./load-scoring-models.js";
import { endOfDay, WorkbenchError } from "./model-workbench.js";

/** How far before the churn date the backtest looks for the first warning. */
export const LEAD_TIME_WINDOW_DAYS = 90;
/** The week after a promotion in which promotion hunters must not be warned. */
export const AFTER_PROMOTION_DAYS = 7;

export interface EvaluateQuery {
  readonly calibrationEnd: string;
  readonly holdoutEnd: string;
  readonly label: "activity" | "purchase";
  readonly userPrefix?: string;
  readonly truth?: readonly TruthRow[];
  readonly promotions?: readonly Promotion[];
}

export interface PromotionHunterCheck {
  readonly promotion: string;
  readonly hunters: number;
  /** Promotion hunters at risk on any day of the week after the promotion. */
  readonly warned: number;
}

/** With ground truth: how each behaviour type fared at the operating threshold. */
export interface TypeBreakdown {
  readonly type: string;
  readonly users: number;
  readonly churned: number;
  /** At risk as of the calibration end. */
  readonly flagged: number;
  readonly flaggedChurned: number;
}

export interface StoreEvaluation extends EvaluationReport {
  readonly byType?: readonly TypeBreakdown[];
  readonly label: "activity" | "purchase" | "truth";
  readonly leadTimeCoverage?: { readonly churners: number; readonly warnedBefore: number };
  /**
   * With ground truth: users at risk as of the calibration end who churn after the holdout end.
   * The holdout counts them as false alarms; they are early warnings the holdout is too short to
   * confirm, so precision is also given with them counted right.
   */
  readonly laterChurners?: {
    readonly flagged: number;
    readonly flaggedLaterChurners: number;
    readonly precisionCountingLaterChurn: number | null;
  };
  readonly promotionHunters?: readonly PromotionHunterCheck[];
  readonly warnings: readonly string[];
}

export async function evaluateOnStore(
  appId: string,
  query: EvaluateQuery,
  deps: { profiles: AppProfiles; models: ModelStore; scoring: ScoringOptions },
): Promise<StoreEvaluation> {
  const asOf = endOfDay(query.calibrationEnd);
  const holdoutEnd = endOfDay(query.holdoutEnd);
  const holdoutDays = dayNumberOfKey(query.holdoutEnd) - dayNumberOfKey(query.calibrationEnd);
  if (holdoutDays < 1) {
    throw new WorkbenchError(
      `the holdout end (${query.holdoutEnd}) must come after the calibration end (${query.calibrationEnd})`,
    );
  }
  const models = await loadScoringModels(deps.models, appId);
  const options: ScoringOptions = { ...deps.scoring, models };
  const warnings: string[] = [];
  const churn = models.churn?.artefact;
  if (churn) {
    const labelsUntil = Date.parse(churn.asOf) + churn.horizonDays * 86_400_000;
    if (labelsUntil > asOf.getTime()) {
      warnings.push(
        `the churn model learned from labels up to ${new Date(labelsUntil).toISOString().slice(0, 10)}, after the calibration end: this evaluation is optimistic`,
      );
    }
  }
  const truth = query.truth ? new Map(query.truth.map((row) => [row.userId, row])) : undefined;
  const thresholds: TierThresholds =
    "default" in deps.scoring.tiers ? deps.scoring.tiers.default : deps.scoring.tiers;
  const isAtRisk = (profile: UserProfile, at: Date): boolean => {
    try {
      return assessRisk(profile, at.toISOString(), "evaluate", options).atRisk;
    } catch (error) {
      if (error instanceof NotSeenYetError) return false;
      throw error;
    }
  };

  const rows: EvaluationRow[] = [];
  let churners = 0;
  let warnedBefore = 0;
  let flagged = 0;
  let flaggedChurners = 0;
  let flaggedLaterChurners = 0;
  const hunters: UserProfile[] = [];
  const byType = new Map<
    string,
    { users: number; churned: number; flagged: number; flaggedChurned: number }
  >();
  for await (const page of deps.profiles.profilesOf(appId)) {
    for (const profile of page) {
      if (query.userPrefix !== undefined && !profile.userId.startsWith(query.userPrefix)) continue;
      if (typeof profile.lastSeenAt !== "string") continue;
      const view = featuresAsOf(profile, asOf);
      if (!view) continue;
      const known = truth?.get(profile.userId);
      if (truth && !known) continue;
      // With ground truth, users who had already churned by the calibration end are no one to warn.
      if (known?.churnDate && known.churnDate <= query.calibrationEnd) continue;
      if (known?.type === "promotion_hunter") hunters.push(profile);
      const risk = assessRisk(profile, asOf.toISOString(), "evaluate", options);
      const indicators = deriveIndicators(view, asOf, deps.scoring.indicators);
      const label = known
        ? known.churnDate !== null && known.churnDate <= query.holdoutEnd
        : isChurnLabel(profile, asOf, holdoutDays, query.label);
      if (known) {
        const row = byType.get(known.type) ?? {
          users: 0,
          churned: 0,
          flagged: 0,
          flaggedChurned: 0,
        };
        row.users += 1;
        if (label) row.churned += 1;
        if (risk.atRisk) {
          row.flagged += 1;
          if (label) row.flaggedChurned += 1;
        }
        byType.set(known.type, row);
      }
      if (known && risk.atRisk) {
        flagged += 1;
        if (label) flaggedChurners += 1;
        else if (known.churnDate !== null) flaggedLaterChurners += 1;
      }
      let leadTimeDays: number | null = null;
      if (known?.churnDate && label) {
        churners += 1;
        leadTimeDays = firstWarningLead(profile, known.churnDate, isAtRisk);
        if (leadTimeDays !== null) warnedBefore += 1;
      }
      rows.push({
        userId: profile.userId,
        score: risk.score,
        atRisk: risk.atRisk,
        label,
        recencyDays:
          query.label === "purchase"
            ? indicators.daysSinceLastPurchase
            : indicators.daysSinceLastSeen,
        frequency: indicators.orders.count,
        monetaryMinor: indicators.orders.revenueMinor,
        ...(truth ? { leadTimeDays } : {}),
      });
    }
  }
  if (rows.length === 0) {
    throw new WorkbenchError(`no users of this app were seen on or before ${query.calibrationEnd}`);
  }
  if (!rows.some((row) => row.label) || rows.every((row) => row.label)) {
    throw new WorkbenchError(
      `every user in the population has the same label (${rows[0]?.label ? "churned" : "retained"}): nothing to rank — is the holdout end (${query.holdoutEnd}) right?`,
    );
  }
  void holdoutEnd;
  const report = buildEvaluationReport(rows, {
    operatingThreshold: thresholds.medium,
    calibrationEnd: query.calibrationEnd,
    holdoutEnd: query.holdoutEnd,
    modelVersion: modelLabel(models),
  });
  return {
    ...report,
    label: truth ? "truth" : query.label,
    ...(truth
      ? {
          leadTimeCoverage: { churners, warnedBefore },
          laterChurners: {
            flagged,
            flaggedLaterChurners,
            precisionCountingLaterChurn:
              flagged > 0 ? (flaggedChurners + flaggedLaterChurners) / flagged : null,
          },
          byType: [...byType.entries()]
            .map(([type, counts]) => ({ type, ...counts }))
            .sort((a, b) => a.type.localeCompare(b.type)),
        }
      : {}),
    ...(truth && query.promotions
      ? { promotionHunters: checkPromotionHunters(hunters, query, isAtRisk) }
      : {}),
    warnings,
  };
}

/**
 * Days from the start of the user's last unbroken at-risk stretch to the churn date: how long
 * churnwatch had been warning, without a break, when the user was lost (looking back at most
 * LEAD_TIME_WINDOW_DAYS). An early false alarm that cleared again does not count as lead time.
 * Null when the user was not at risk on the churn date.
 */
function firstWarningLead(
  profile: UserProfile,
  churnDate: string,
  isAtRisk: (profile: UserProfile, at: Date) => boolean,
): number | null {
  const churnDay = dayNumberOfKey(churnDate);
  if (!isAtRisk(profile, endOfDay(churnDate))) return null;
  let start = churnDay;
  while (
    churnDay - start < LEAD_TIME_WINDOW_DAYS &&
    isAtRisk(profile, endOfDay(dayKey(start - 1)))
  ) {
    start -= 1;
  }
  return churnDay - start;
}

function checkPromotionHunters(
  hunters: readonly UserProfile[],
  query: EvaluateQuery,
  isAtRisk: (profile: UserProfile, at: Date) => boolean,
): PromotionHunterCheck[] {
  const checks: PromotionHunterCheck[] = [];
  const lastDay = dayNumberOfKey(query.holdoutEnd);
  for (const promotion of query.promotions ?? []) {
    const end = dayNumberOfKey(promotion.to);
    if (end + AFTER_PROMOTION_DAYS > lastDay) continue;
    let warned = 0;
    let counted = 0;
    for (const hunter of hunters) {
      if (hunter.firstSeenAt.slice(0, 10) > promotion.to) continue;
      counted += 1;
      // The week after, in the hunter's own days: the calendar's dates are local dates.
      for (let day = end + 1; day <= end + AFTER_PROMOTION_DAYS; day += 1) {
        if (isAtRisk(hunter, endOfLocalDay(day, hunter.timezone ?? "UTC"))) {
          warned += 1;
          break;
        }
      }
    }
    checks.push({ promotion: promotion.name, hunters: counted, warned });
  }
  return checks;
}
