import { DEFAULT_CURRENCY_TABLE } from "../domain/currency.js";
import { FEATURES_SCHEMA_VERSION, type UserProfile } from "../domain/features.js";
import {
  type HighValueAtRisk,
  highValueAtRiskFor,
  isHighValueAtRisk,
  mergeTopHighValue,
  TOP_HIGH_VALUE,
} from "../domain/marketing.js";
import type { ReasonCode } from "../domain/reasons.js";
import { type Warning, warningFor } from "../domain/retention.js";
import {
  assessRisk,
  isEscalation,
  modelLabel,
  NotSeenYetError,
  type RiskAssessment,
  riskChanged,
  type ScoringOptions,
} from "../domain/risk.js";
import { addToHistograms, type CohortHistograms, cohortKey } from "../domain/risk-tiers.js";
import { emptyTotals } from "../domain/run-summary.js";
import type { MessageQueue, ProfileScanner, SegmentSummary } from "../ports.js";

export interface ScoringJob {
  readonly runId: string;
  readonly asOf: string;
  readonly segment: number;
  readonly totalSegments: number;
}

/** What the segment keeps about high-value users at risk, for the run's marketing digest. */
export interface HighValueOptions {
  /** The base currency the values are in (CURRENCY_TABLE's base). */
  readonly currency: string;
}

/** Risk writes of one page in flight at once: one at a time, a first run is bound by the writes. */
export const SAVE_CONCURRENCY = 16;

/**
 * Saves a page's risks, SAVE_CONCURRENCY at a time. A profile that changed since the scan had
 * fresh events and is not saved (saveRisk says false); the next run scores it again. A save that
 * fails stops the others from starting and, once those in flight have settled, fails the segment.
 */
async function saveRisks(
  profiles: ProfileScanner,
  updates: readonly { readonly profile: UserProfile; readonly risk: RiskAssessment }[],
): Promise<void> {
  let next = 0;
  let failure: { readonly error: unknown } | undefined;
  const worker = async (): Promise<void> => {
    while (failure === undefined && next < updates.length) {
      const update = updates[next++] as (typeof updates)[number];
      try {
        await profiles.saveRisk(update.profile, update.risk);
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  const workers: Promise<void>[] = [];
  for (let i = 0; i < Math.min(SAVE_CONCURRENCY, updates.length); i += 1) workers.push(worker());
  await Promise.all(workers);
  if (failure !== undefined) throw failure.error;
}

const TIER_RANK: Readonly<Record<RiskAssessment["tier"], number>> = {
  low: 0,
  medium: 1,
  high: 2,
  critical: 3,
};

/** False when a full list's last entry is more urgent by tier or score (value only breaks ties). */
function mayEnterTop(top: readonly HighValueAtRisk[], risk: RiskAssessment): boolean {
  const last = top.length >= TOP_HIGH_VALUE ? top[top.length - 1] : undefined;
  if (!last) return true;
  const byTier = TIER_RANK[risk.tier] - TIER_RANK[last.tier];
  return byTier > 0 || (byTier === 0 && risk.score >= last.score);
}

/**
 * Scores one scan segment. A warning is queued before the risk is saved, so a crash in between
 * repeats the (deterministic, deduplicated downstream) warning instead of losing it; a user who
 * is already at this level gets no second warning, which makes a redelivered segment harmless.
 * High-value users at high or critical risk are counted, and the TOP_HIGH_VALUE most urgent
 * kept for the run's marketing digest.
 */
export async function scoreSegment(
  job: ScoringJob,
  profiles: ProfileScanner,
  warnings: MessageQueue<Warning>,
  options: ScoringOptions | ((appId: string) => Promise<ScoringOptions>),
  clock: () => number = Date.now,
  highValue: HighValueOptions = { currency: DEFAULT_CURRENCY_TABLE.base },
): Promise<SegmentSummary> {
  const started = clock();
  // Models are per app; each app's are looked up once per segment.
  const perApp = new Map<string, ScoringOptions>();
  const optionsFor = async (appId: string): Promise<ScoringOptions> => {
    if (typeof options !== "function") return options;
    let found = perApp.get(appId);
    if (!found) {
      found = await options(appId);
      perApp.set(appId, found);
    }
    return found;
  };
  const models = new Set<string>();
  const totals = emptyTotals();
  const byTier = { ...totals.byTier };
  const byReason: Partial<Record<ReasonCode, number>> = {};
  const histograms: CohortHistograms = {};
  let scored = 0;
  let atRisk = 0;
  let warned = 0;
  let skipped = 0;
  let legacy = 0;
  let highValueAtRisk = 0;
  let topHighValue: HighValueAtRisk[] = [];
  for await (const page of profiles.scanSegment(job.segment, job.totalSegments)) {
    const escalations: Warning[] = [];
    const updates: { profile: UserProfile; risk: RiskAssessment }[] = [];
    const candidates: HighValueAtRisk[] = [];
    for (const profile of page) {
      let risk: RiskAssessment;
      // Outside the try: a model store that cannot answer fails the segment (it is retried),
      // it must not pass for unreadable records.
      const appOptions = await optionsFor(profile.appId);
      try {
        if (typeof profile.lastSeenAt !== "string") throw new Error("no lastSeenAt");
        risk = assessRisk(profile, job.asOf, job.runId, appOptions);
      } catch (error) {
        // Scoring a past date: users who came later are not users yet, and not errors.
        if (error instanceof NotSeenYetError) continue;
        // A record this version cannot read is counted, never allowed to sink the segment.
        skipped += 1;
        continue;
      }
      scored += 1;
      models.add(risk.model);
      if ((profile.schemaVersion ?? 0) < FEATURES_SCHEMA_VERSION) legacy += 1;
      byTier[risk.tier] += 1;
      for (const reason of risk.reasons) byReason[reason.code] = (byReason[reason.code] ?? 0) + 1;
      if (risk.lifecycleStage && risk.valueTier) {
        addToHistograms(histograms, cohortKey(risk.lifecycleStage, risk.valueTier), risk.score);
      }
      if (risk.atRisk) atRisk += 1;
      if (isHighValueAtRisk(risk.tier, risk.valueTier)) {
        highValueAtRisk += 1;
        // The value takes its indicators again: only for a user who can still make the list.
        if (mayEnterTop(topHighValue, risk)) {
          candidates.push(
            highValueAtRiskFor(profile, risk, highValue.currency, appOptions.indicators),
          );
        }
      }
      if (isEscalation(profile.risk, risk))
        escalations.push(warningFor(profile.appId, profile.userId, risk));
      if (riskChanged(profile.risk, risk)) updates.push({ profile, risk });
    }
    if (escalations.length > 0) await warnings.send(escalations);
    warned += escalations.length;
    await saveRisks(profiles, updates);
    if (candidates.length > 0) {
      topHighValue = mergeTopHighValue(topHighValue, candidates, TOP_HIGH_VALUE);
    }
  }
  return {
    scored,
    atRisk,
    warned,
    skipped,
    legacy,
    byTier,
    byReason,
    highValueAtRisk,
    topHighValue,
    histograms,
    durationMs: clock() - started,
    model:
      [...models].sort().join(",") ||
      (typeof options === "function" ? "" : modelLabel(options.models)),
  };
}
