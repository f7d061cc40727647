/**
 * A user's churn risk as of a moment: the rules they trip (lambdas/domain/rules.ts), combined
 * into one score in [0, 1] and a tier, with the hits as reasons. Until the trained and
 * buy-till-you-die models join in, the score combines rule severities as independent signals;
 * it orders users, it is not yet a calibrated probability.
 */
import type { UserFeatures } from "./features.js";
import { deriveIndicators, type IndicatorOptions } from "./indicators.js";
import { evaluateRules, type RuleHit, type RulesConfig, type Severity } from "./rules.js";

export type RiskTier = "low" | "medium" | "high" | "critical";

export interface RiskAssessment {
  readonly score: number;
  readonly tier: RiskTier;
  /** Medium or above: the user gets a warning on entering the tier. */
  readonly atRisk: boolean;
  /** The rule hits, most severe first, at most MAX_REASONS. */
  readonly reasons: readonly RuleHit[];
  readonly asOf: string;
  readonly runId: string;
  readonly model: string;
}

export const RISK_MODEL = "rules-v1";
export const MAX_REASONS = 3;

/** How much one hit of each severity adds, as the chance it alone means churn. */
const SEVERITY_WEIGHT: Readonly<Record<Severity, number>> = {
  low: 0.15,
  medium: 0.35,
  high: 0.6,
  critical: 0.85,
};

export interface TierThresholds {
  readonly medium: number;
  readonly high: number;
  readonly critical: number;
}

export const DEFAULT_TIER_THRESHOLDS: TierThresholds = { medium: 0.3, high: 0.55, critical: 0.8 };

const TIER_ORDER: Readonly<Record<RiskTier, number>> = { low: 0, medium: 1, high: 2, critical: 3 };

export function tierOf(
  score: number,
  thresholds: TierThresholds = DEFAULT_TIER_THRESHOLDS,
): RiskTier {
  if (score >= thresholds.critical) return "critical";
  if (score >= thresholds.high) return "high";
  if (score >= thresholds.medium) return "medium";
  return "low";
}

/** 1 − Π(1 − wᵢ): each hit adds risk, none can push the score past 1. */
export function combineHits(hits: readonly RuleHit[]): number {
  const stay = hits.reduce((product, hit) => product * (1 - SEVERITY_WEIGHT[hit.severity]), 1);
  return Math.round((1 - stay) * 1000) / 1000;
}

export interface ScoringOptions {
  readonly rules: RulesConfig;
  readonly tiers: TierThresholds;
  readonly indicators?: IndicatorOptions;
}

export function assessRisk(
  features: UserFeatures,
  asOf: string,
  runId: string,
  options: ScoringOptions,
): RiskAssessment {
  const indicators = deriveIndicators(features, new Date(asOf), options.indicators);
  const hits = evaluateRules(indicators, options.rules);
  const score = combineHits(hits);
  const tier = tierOf(score, options.tiers);
  return {
    score,
    tier,
    atRisk: TIER_ORDER[tier] >= TIER_ORDER.medium,
    reasons: hits.slice(0, MAX_REASONS),
    asOf,
    runId,
    model: RISK_MODEL,
  };
}

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
    | { tier?: RiskTier; atRisk?: boolean; reasons?: readonly { code: string }[] }
    | undefined,
  next: RiskAssessment,
): boolean {
  if (!previous || storedTier(previous) !== next.tier) return true;
  const codes = (reasons: readonly { code: string }[] | undefined) =>
    (reasons ?? []).map((r) => r.code).join(",");
  return codes(previous.reasons) !== codes(next.reasons);
}
