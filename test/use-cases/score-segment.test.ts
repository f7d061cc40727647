import { describe, expect, it } from "vitest";
import { applyEvents, type UserProfile } from "../../lambdas/domain/features.js";
import type { Warning } from "../../lambdas/domain/retention.js";
import type { RiskAssessment } from "../../lambdas/domain/risk.js";
import { DEFAULT_TIER_THRESHOLDS } from "../../lambdas/domain/risk.js";
import type { MessageQueue, ProfileScanner } from "../../lambdas/ports.js";
import { scoreSegment } from "../../lambdas/use-cases/score-segment.js";

const options = { rules: {}, tiers: DEFAULT_TIER_THRESHOLDS };

import { appOpen } from "../fixtures/events.js";

class InMemoryProfiles implements ProfileScanner {
  constructor(public profiles: UserProfile[]) {}
  async *scanSegment() {
    yield this.profiles.map((p) => ({ ...p }));
  }
  async saveRisk(profile: UserProfile, risk: RiskAssessment) {
    const index = this.profiles.findIndex((p) => p.userId === profile.userId);
    const current = this.profiles[index];
    if (!current || current.version !== profile.version) return false;
    this.profiles[index] = { ...current, risk, version: current.version + 1 };
    return true;
  }
}

class RecordingQueue implements MessageQueue<Warning> {
  sent: Warning[] = [];
  async send(messages: readonly Warning[]) {
    this.sent.push(...messages);
  }
}

const profile = (userId: string, lastSeenAt: string): UserProfile => ({
  ...applyEvents(undefined, "shop", userId, [appOpen(userId, lastSeenAt)]),
  version: 1,
});

const job = {
  runId: "scoring@2026-11-01",
  asOf: "2026-11-01T00:00:00.000Z",
  segment: 0,
  totalSegments: 1,
};

describe("scoreSegment", () => {
  it("warns once for a user who enters at-risk, and not again when the segment is redelivered", async () => {
    const profiles = new InMemoryProfiles([
      profile("quiet", "2026-09-15T00:00:00.000Z"),
      profile("active", "2026-10-30T00:00:00.000Z"),
    ]);
    const queue = new RecordingQueue();
    const first = await scoreSegment(job, profiles, queue, options);
    const second = await scoreSegment(job, profiles, queue, options);
    expect(first).toMatchObject({ scored: 2, atRisk: 1, warned: 1, skipped: 0, legacy: 0 });
    expect(first.byTier).toEqual({ low: 1, medium: 1, high: 0, critical: 0 });
    expect(first.byReason).toMatchObject({ no_app_open: 1 });
    expect(first.model).toBe("rules-v1");
    expect(second).toMatchObject({ scored: 2, atRisk: 1, warned: 0, skipped: 0 });
    expect(queue.sent.map((w) => w.userId)).toEqual(["quiet"]);
    expect(profiles.profiles.find((p) => p.userId === "quiet")?.risk).toMatchObject({
      atRisk: true,
      tier: "medium",
      reasons: [
        { code: "no_app_open", severity: "medium", params: { days: 47, thresholdDays: 7 } },
      ],
    });
  });

  it("scores a record from an older schema with what it has and counts what it skipped", async () => {
    const broken = {
      ...profile("old", "2026-10-30T00:00:00Z"),
      lastSeenAt: undefined,
    } as unknown as UserProfile;
    // Schema 1 had no purchase days and no month buckets.
    const { purchaseDays: _p, months: _m, ...rest } = profile("v1", "2026-09-20T00:00:00.000Z");
    const old = { ...rest, schemaVersion: 1 } as unknown as UserProfile;
    const profiles = new InMemoryProfiles([
      broken,
      old,
      profile("quiet", "2026-09-15T00:00:00.000Z"),
    ]);
    const summary = await scoreSegment(job, profiles, new RecordingQueue(), options);
    expect(summary).toMatchObject({ scored: 2, atRisk: 2, warned: 2, skipped: 1, legacy: 1 });
  });
});
