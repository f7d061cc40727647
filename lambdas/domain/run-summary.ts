/**
 * What a scoring run did, added up from its segments: users scored, at risk, warned, skipped and
 * scored from old-schema records; users by tier and by reason; high-value users at high or
 * critical risk (the most urgent of them are merged separately, see mergeTopHighValue in
 * marketing.ts); how long it took.
 */
import type { ReasonCode } from "./reasons.js";
import type { RiskTier } from "./risk-tiers.js";

export const RISK_TIERS: readonly RiskTier[] = ["low", "medium", "high", "critical"];

export interface SegmentTotals {
  readonly scored: number;
  readonly atRisk: number;
  readonly warned: number;
  readonly skipped: number;
  readonly legacy: number;
  readonly byTier: Readonly<Record<RiskTier, number>>;
  readonly byReason: Readonly<Partial<Record<ReasonCode, number>>>;
  readonly highValueAtRisk: number;
}

export function emptyTotals(): SegmentTotals {
  return {
    scored: 0,
    atRisk: 0,
    warned: 0,
    skipped: 0,
    legacy: 0,
    byTier: { low: 0, medium: 0, high: 0, critical: 0 },
    byReason: {},
    highValueAtRisk: 0,
  };
}

/** Sums segment totals; fields an older segment item lacks count as zero. */
export function addTotals(a: SegmentTotals, b: Partial<SegmentTotals>): SegmentTotals {
  const byReason: Partial<Record<ReasonCode, number>> = { ...a.byReason };
  for (const [code, count] of Object.entries(b.byReason ?? {}) as [ReasonCode, number][]) {
    byReason[code] = (byReason[code] ?? 0) + count;
  }
  const byTier = { ...a.byTier };
  for (const tier of RISK_TIERS) byTier[tier] += b.byTier?.[tier] ?? 0;
  return {
    scored: a.scored + (b.scored ?? 0),
    atRisk: a.atRisk + (b.atRisk ?? 0),
    warned: a.warned + (b.warned ?? 0),
    skipped: a.skipped + (b.skipped ?? 0),
    legacy: a.legacy + (b.legacy ?? 0),
    byTier,
    byReason,
    highValueAtRisk: a.highValueAtRisk + (b.highValueAtRisk ?? 0),
  };
}

/** The summary as lines a person reads at the end of `churnwatch score`. */
export function renderRunSummary(summary: {
  readonly runId: string;
  readonly asOf: string;
  readonly complete: boolean;
  readonly segments: number;
  readonly segmentsDone: number;
  readonly durationMs?: number;
  readonly totals: SegmentTotals;
  readonly models: readonly string[];
}): string {
  const t = summary.totals;
  const reasons = (Object.entries(t.byReason) as [string, number][])
    .sort((x, y) => y[1] - x[1] || x[0].localeCompare(y[0]))
    .map(([code, count]) => `${code} ${count}`)
    .join(", ");
  return [
    `run ${summary.runId} as of ${summary.asOf}: ${
      summary.complete ? "complete" : `${summary.segmentsDone}/${summary.segments} segments done`
    }${summary.durationMs !== undefined ? ` in ${(summary.durationMs / 1000).toFixed(1)} s` : ""}`,
    `  scored ${t.scored} · at risk ${t.atRisk} · warned ${t.warned} · old-schema ${t.legacy} · unreadable ${t.skipped}`,
    `  by tier: ${RISK_TIERS.map((tier) => `${tier} ${t.byTier[tier]}`).join(", ")}`,
    `  by reason: ${reasons || "none"}`,
    ...(t.highValueAtRisk
      ? [`  high-value users at high or critical risk: ${t.highValueAtRisk}`]
      : []),
    `  model: ${summary.models.join(", ") || "none"}`,
  ].join("\n");
}
