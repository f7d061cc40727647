/**
 * Where the tier boundaries lie. The score is a probability of churn, so fixed boundaries
 * ("medium from 50 %") mean something; a shop that wants a warning budget instead sets
 * quantiles, and each lifecycle stage × value tier then gets the boundaries that put that share
 * of its users above them in recent runs — never below the fixed floors, so a quiet week cannot
 * turn healthy users into warnings.
 */
import { z } from "zod";
import type { LifecycleStage, ValueTier } from "./indicators.js";

export type RiskTier = "low" | "medium" | "high" | "critical";

export interface TierThresholds {
  readonly medium: number;
  readonly high: number;
  readonly critical: number;
}

/** A single rule hit of severity s scores exactly the s boundary (lambdas/domain/risk.ts). */
export const DEFAULT_TIER_THRESHOLDS: TierThresholds = { medium: 0.5, high: 0.7, critical: 0.9 };

export const LIFECYCLE_STAGES: readonly LifecycleStage[] = ["new", "growth", "mature"];
export const VALUE_TIERS: readonly ValueTier[] = ["high", "standard"];
export type CohortKey = `${LifecycleStage}/${ValueTier}`;

export function cohortKey(stage: LifecycleStage, valueTier: ValueTier): CohortKey {
  return `${stage}/${valueTier}`;
}

/** Histogram resolution: quantile boundaries are exact to 1 / SCORE_BINS. */
export const SCORE_BINS = 50;
/** Users per score bin, bin i holding scores in [i/SCORE_BINS, (i+1)/SCORE_BINS), 1 in the last. */
export type ScoreHistogram = number[];
export type CohortHistograms = Partial<Record<CohortKey, ScoreHistogram>>;

export function emptyHistogram(): ScoreHistogram {
  return new Array<number>(SCORE_BINS).fill(0);
}

export function binOf(score: number): number {
  return Math.min(SCORE_BINS - 1, Math.max(0, Math.floor(score * SCORE_BINS)));
}

export function addToHistograms(target: CohortHistograms, key: CohortKey, score: number): void {
  const histogram = target[key] ?? emptyHistogram();
  histogram[binOf(score)] = (histogram[binOf(score)] ?? 0) + 1;
  target[key] = histogram;
}

export function mergeHistograms(parts: readonly CohortHistograms[]): CohortHistograms {
  const merged: CohortHistograms = {};
  for (const part of parts) {
    for (const [key, histogram] of Object.entries(part) as [CohortKey, ScoreHistogram][]) {
      const target = merged[key] ?? emptyHistogram();
      histogram.forEach((count, bin) => {
        if (bin < SCORE_BINS) target[bin] = (target[bin] ?? 0) + count;
      });
      merged[key] = target;
    }
  }
  return merged;
}

/** The lowest score boundary with at least `share` of the users below it. */
export function histogramQuantile(histogram: ScoreHistogram, share: number): number | null {
  const total = histogram.reduce((sum, count) => sum + count, 0);
  if (total === 0) return null;
  let below = 0;
  for (let bin = 0; bin < SCORE_BINS; bin += 1) {
    below += histogram[bin] ?? 0;
    if (below >= share * total) return (bin + 1) / SCORE_BINS;
  }
  return 1;
}

const probability = z.number().min(0).max(1);
const thresholdsSchema = z
  .object({ medium: probability, high: probability, critical: probability })
  .strict()
  .refine((t) => t.medium <= t.high && t.high <= t.critical, {
    message: "must rise: medium ≤ high ≤ critical",
  });

export const tierPolicySchema = z
  .object({
    mode: z.enum(["fixed", "quantile"]),
    /** The boundaries in fixed mode; the lowest ones allowed in quantile mode. */
    floors: thresholdsSchema,
    /** Share of a cohort's recent scores that lie below each boundary (quantile mode). */
    quantiles: thresholdsSchema,
    /** Completed runs whose scores make the quantiles. */
    lookbackRuns: z.number().int().min(1).max(90),
    /** A cohort with fewer scored users in the lookback keeps the floors. */
    minUsers: z.number().int().min(1).max(10_000_000),
  })
  .strict();

export type TierPolicy = z.infer<typeof tierPolicySchema>;

export const DEFAULT_TIER_POLICY: TierPolicy = {
  mode: "fixed",
  floors: DEFAULT_TIER_THRESHOLDS,
  quantiles: { medium: 0.8, high: 0.93, critical: 0.98 },
  lookbackRuns: 7,
  minUsers: 200,
};

/** A partial policy over the defaults; the error names the exact key. */
export function parseTierPolicy(raw: unknown): TierPolicy {
  const merged = typeof raw === "object" && raw !== null ? { ...DEFAULT_TIER_POLICY, ...raw } : raw;
  const parsed = tierPolicySchema.safeParse(merged);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const path = [
      ...(issue?.path ?? []),
      ...(issue?.code === "unrecognized_keys" ? issue.keys.slice(0, 1) : []),
    ];
    throw new Error(`risk tiers: ${path.join(".") || "(root)"}: ${issue?.message}`);
  }
  return parsed.data;
}

/** Boundaries per cohort for one run; cohorts not named use `default`. */
export interface ThresholdTable {
  readonly default: TierThresholds;
  readonly cohorts: Partial<Record<CohortKey, TierThresholds>>;
}

export function thresholdTable(policy: TierPolicy, recent: CohortHistograms): ThresholdTable {
  if (policy.mode === "fixed") return { default: policy.floors, cohorts: {} };
  const cohorts: Partial<Record<CohortKey, TierThresholds>> = {};
  for (const [key, histogram] of Object.entries(recent) as [CohortKey, ScoreHistogram][]) {
    const users = histogram.reduce((sum, count) => sum + count, 0);
    if (users < policy.minUsers) continue;
    const at = (tier: keyof TierThresholds) =>
      Math.max(policy.floors[tier], histogramQuantile(histogram, policy.quantiles[tier]) ?? 1);
    const medium = at("medium");
    const high = Math.max(medium, at("high"));
    cohorts[key] = { medium, high, critical: Math.max(high, at("critical")) };
  }
  return { default: policy.floors, cohorts };
}

export function thresholdsFor(
  table: ThresholdTable,
  stage: LifecycleStage,
  valueTier: ValueTier,
): TierThresholds {
  return table.cohorts[cohortKey(stage, valueTier)] ?? table.default;
}

export function tierOf(
  score: number,
  thresholds: TierThresholds = DEFAULT_TIER_THRESHOLDS,
): RiskTier {
  if (score >= thresholds.critical) return "critical";
  if (score >= thresholds.high) return "high";
  if (score >= thresholds.medium) return "medium";
  return "low";
}
