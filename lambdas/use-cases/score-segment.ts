import { type Warning, warningFor } from "../domain/retention.js";
import { assessInactivity, isEscalation } from "../domain/risk.js";
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
  inactivityDays: number,
): Promise<SegmentSummary> {
  let scored = 0;
  let atRisk = 0;
  let warned = 0;
  let skipped = 0;
  for await (const page of profiles.scanSegment(job.segment, job.totalSegments)) {
    const escalations: Warning[] = [];
    const updates = [];
    for (const profile of page) {
      if (typeof profile.lastSeenAt !== "string") {
        skipped += 1;
        continue;
      }
      const risk = assessInactivity(profile.lastSeenAt, job.asOf, job.runId, inactivityDays);
      scored += 1;
      if (risk.atRisk) atRisk += 1;
      if (isEscalation(profile.risk, risk))
        escalations.push(warningFor(profile.appId, profile.userId, risk));
      if (profile.risk?.level !== risk.level || profile.risk?.atRisk !== risk.atRisk) {
        updates.push({ profile, risk });
      }
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
