import { describe, expect, it } from "vitest";
import { applyEvents, type UserProfile } from "../../lambdas/domain/features.js";
import type { Warning } from "../../lambdas/domain/retention.js";
import type { RiskAssessment } from "../../lambdas/domain/risk.js";
import { DEFAULT_TIER_THRESHOLDS } from "../../lambdas/domain/risk.js";
import type { MessageQueue, ProfileScanner } from "../../lambdas/ports.js";
import { scoreSegment } from "../../lambdas/use-cases/score-segment.js";

const options = { rules: {}, tiers: DEFAULT_TIER_THRESHOLDS };

import { appOpen, purchase } from "../fixtures/events.js";

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
    expect(first).toMatchObject({ highValueAtRisk: 0, topHighValue: [] });
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

/** Profiles whose saves take a while, counting how many are in flight and logging the order. */
class SlowProfiles extends InMemoryProfiles {
  inFlight = 0;
  maxInFlight = 0;
  saved: string[] = [];
  constructor(
    profiles: UserProfile[],
    private readonly log: string[],
    private readonly failFor?: string,
    private readonly refuse = false,
  ) {
    super(profiles);
  }
  override async saveRisk(profile: UserProfile, risk: RiskAssessment) {
    this.log.push(`save ${profile.userId}`);
    this.inFlight += 1;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    try {
      await new Promise((resolve) => setTimeout(resolve, 1 + (profile.userId.length % 3)));
      if (profile.userId === this.failFor) throw new Error(`cannot save ${profile.userId}`);
      if (this.refuse) return false;
      this.saved.push(profile.userId);
      return await super.saveRisk(profile, risk);
    } finally {
      this.inFlight -= 1;
    }
  }
}

class LoggingQueue extends RecordingQueue {
  constructor(private readonly log: string[]) {
    super();
  }
  override async send(messages: readonly Warning[]) {
    this.log.push(`send ${messages.length}`);
    await super.send(messages);
  }
}

const quietUsers = (count: number) =>
  Array.from({ length: count }, (_, i) => profile(`quiet-${i}`, "2026-09-15T00:00:00.000Z"));

describe("scoreSegment's risk writes", () => {
  it("saves a page's risks several at a time, at most 16, after its warnings are queued", async () => {
    const log: string[] = [];
    const profiles = new SlowProfiles(quietUsers(50), log);
    const summary = await scoreSegment(job, profiles, new LoggingQueue(log), options);
    expect(summary).toMatchObject({ scored: 50, atRisk: 50, warned: 50 });
    expect(profiles.saved).toHaveLength(50);
    expect(profiles.profiles.every((p) => p.risk?.tier === "medium" && p.version === 2)).toBe(true);
    expect(profiles.maxInFlight).toBeGreaterThan(1);
    expect(profiles.maxInFlight).toBeLessThanOrEqual(16);
    expect(log[0]).toBe("send 50");
    expect(log.filter((line) => line.startsWith("send"))).toEqual(["send 50"]);
  });

  it("fails the segment when a save fails, with nothing left in flight", async () => {
    const log: string[] = [];
    const profiles = new SlowProfiles(quietUsers(40), log, "quiet-7");
    await expect(scoreSegment(job, profiles, new LoggingQueue(log), options)).rejects.toThrow(
      "cannot save quiet-7",
    );
    expect(profiles.inFlight).toBe(0);
    // The warnings went out first: a retried segment repeats them (deduplicated downstream).
    expect(log[0]).toBe("send 40");
    // Saves stop being started once one failed.
    expect(log.filter((line) => line.startsWith("save")).length).toBeLessThan(40);
  });

  it("takes a refused save (the profile changed since the scan) as no error", async () => {
    const log: string[] = [];
    const profiles = new SlowProfiles(quietUsers(20), log, undefined, true);
    const summary = await scoreSegment(job, profiles, new LoggingQueue(log), options);
    expect(summary).toMatchObject({ scored: 20, warned: 20 });
    expect(log.filter((line) => line.startsWith("save"))).toHaveLength(20);
  });
});

/** Pages of `size` profiles, as a parallel scan returns them. */
class PagedProfiles extends InMemoryProfiles {
  constructor(
    profiles: UserProfile[],
    private readonly size: number,
  ) {
    super(profiles);
  }
  override async *scanSegment() {
    for (let i = 0; i < this.profiles.length; i += this.size) {
      yield this.profiles.slice(i, i + this.size).map((p) => ({ ...p }));
    }
  }
}

/** Last seen 120 days before the run: long_term_inactive (high) and no_app_open → tier high. */
const spender = (userId: string, spentMinor: number): UserProfile => ({
  ...applyEvents(undefined, "shop", userId, [
    appOpen(userId, "2026-07-04T09:00:00.000Z"),
    purchase(userId, "2026-07-04T09:05:00.000Z", spentMinor),
  ]),
  version: 1,
});

describe("scoreSegment's high-value users at risk", () => {
  it("counts them all and keeps the 20 most urgent, across pages, for the marketing digest", async () => {
    const highValue = Array.from({ length: 25 }, (_, i) =>
      spender(`vip-${String(i).padStart(2, "0")}`, 600_000 + i * 10_000),
    );
    const standard = Array.from({ length: 5 }, (_, i) => spender(`std-${i}`, 1_000));
    const profiles = new PagedProfiles([...standard, ...highValue].reverse(), 7);
    const summary = await scoreSegment(job, profiles, new RecordingQueue(), options, Date.now, {
      currency: "EUR",
    });
    expect(summary.byTier.high).toBe(30);
    expect(summary.highValueAtRisk).toBe(25);
    expect(summary.topHighValue).toHaveLength(20);
    // Same tier and score: the most valuable first.
    expect(summary.topHighValue.map((u) => u.userId)).toEqual(
      Array.from({ length: 20 }, (_, i) => `vip-${String(24 - i).padStart(2, "0")}`),
    );
    expect(summary.topHighValue[0]).toEqual({
      appId: "shop",
      userId: "vip-24",
      valueMinor: 840_000,
      currency: "EUR",
      tier: "high",
      score: 0.85,
      lifecycleStage: expect.any(String),
      reasons: [
        expect.objectContaining({ code: "long_term_inactive", severity: "high" }),
        expect.objectContaining({ code: "no_app_open", severity: "medium" }),
      ],
    });
  });

  it("lists a high-value user even when they were at risk before (not only on a new warning)", async () => {
    const profiles = new InMemoryProfiles([spender("vip", 700_000)]);
    const queue = new RecordingQueue();
    await scoreSegment(job, profiles, queue, options);
    const again = await scoreSegment(job, profiles, queue, options);
    expect(queue.sent).toHaveLength(1);
    expect(again).toMatchObject({ warned: 0, highValueAtRisk: 1 });
    expect(again.topHighValue.map((u) => [u.userId, u.valueMinor, u.currency])).toEqual([
      ["vip", 700_000, "CNY"],
    ]);
  });
});
