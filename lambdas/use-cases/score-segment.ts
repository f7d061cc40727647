import { type Warning, warningFor } from "../domain/retention.js";
import { assessRisk, isEscalation, riskChanged, type ScoringOptions } from "../domain/risk.js";
import type { MessageQueue, ProfileScanner, SegmentSummary } from "../ports.js";

export interface ScoringJob {
  readonly runId: string;
  readonly asOf: string;
  readonly segment: number;
  readonly totalSegments: number;
}

/**
 * Scores one scan segment. A warning is queued before the risk is saved, so a crash in between
 * repeats the (deterministic, deduplicated downstream) warning instead of losing it; a user who
 * is already at this level gets no second warning, which makes a redelivered segment harmless.
 */
export async function scoreSegment(
  job: ScoringJob,
  profiles: ProfileScanner,
  warnings: MessageQueue<Warning>,
  options: ScoringOptions,
): Promise<SegmentSummary> {
  let scored = 0;
  let atRisk = 0;
  let warned = 0;
  let skipped = 0;
  for await (const page of profiles.scanSegment(job.segment, job.totalSegments)) {
    const escalations: Warning[] = [];
    const updates = [];
    for (const profile of page) {
      let risk: ReturnType<typeof assessRisk>;
      try {
        if (typeof profile.lastSeenAt !== "string") throw new Error("no lastSeenAt");
        risk = assessRisk(profile, job.asOf, job.runId, options);
      } catch {
        // A record this version cannot read is counted, never allowed to sink the segment.
        skipped += 1;
        continue;
      }
      scored += 1;
      if (risk.atRisk) atRisk += 1;
      if (isEscalation(profile.risk, risk))
        escalations.push(warningFor(profile.appId, profile.userId, risk));
      if (riskChanged(profile.risk, risk)) updates.push({ profile, risk });
    }
    if (escalations.length > 0) await warnings.send(escalations);
    warned += escalations.length;
    for (const { profile, risk } of updates) {
      // A profile that changed since the scan had fresh events; the next run scores it again.
      await profiles.saveRisk(profile, risk);
    }
  }
  return { scored, atRisk, warned, skipped };
}
