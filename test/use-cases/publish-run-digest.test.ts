import { describe, expect, it } from "vitest";
import type { HighValueAtRisk, MarketingNotification } from "../../lambdas/domain/marketing.js";
import { addTotals, emptyTotals } from "../../lambdas/domain/run-summary.js";
import type { DigestLedger, MarketingNotifier } from "../../lambdas/marketing-ports.js";
import type { RunSummary } from "../../lambdas/ports.js";
import { publishRunDigest } from "../../lambdas/use-cases/publish-run-digest.js";

const tick = () => new Promise((resolve) => setTimeout(resolve, 0));

const user = (userId: string, score: number): HighValueAtRisk => ({
  appId: "shop",
  userId,
  valueMinor: 800_000,
  currency: "CNY",
  tier: "high",
  score,
  lifecycleStage: "growth",
  reasons: [{ code: "no_login", severity: "high", params: { days: 40, thresholdDays: 30 } }],
});

/** The run ledger's digest claim as DynamoLedger keeps it: a conditional write with a lease. */
class FakeLedger implements DigestLedger {
  segmentsDone = 0;
  digest: "claimed" | "published" | undefined;
  leaseUntil = 0;
  now = 0;
  claims = 0;
  constructor(private readonly segments: number) {}

  async runSummary(runId: string): Promise<RunSummary> {
    await tick();
    return {
      runId,
      asOf: "2026-12-25T00:00:00.000Z",
      segments: this.segments,
      segmentsDone: this.segmentsDone,
      complete: this.segmentsDone >= this.segments,
      startedAt: "2026-12-25T00:00:01.000Z",
      totals: addTotals(emptyTotals(), {
        scored: 3,
        atRisk: 2,
        byTier: { low: 1, medium: 0, high: 2, critical: 0 },
        byReason: { no_login: 2 },
        highValueAtRisk: 2,
      }),
      models: ["rules-v1"],
      topHighValue: [user("u-1", 0.8), user("u-2", 0.9)],
    };
  }
  async claimDigest(_runId: string, leaseMs = 300_000): Promise<boolean> {
    await tick();
    this.claims += 1;
    const free =
      this.digest === undefined || (this.digest === "claimed" && this.leaseUntil < this.now);
    if (!free) return false;
    this.digest = "claimed";
    this.leaseUntil = this.now + leaseMs;
    return true;
  }
  async releaseDigest(): Promise<void> {
    await tick();
    if (this.digest === "claimed") this.digest = undefined;
  }
  async markDigestPublished(): Promise<void> {
    await tick();
    this.digest = "published";
  }
}

class RecordingNotifier implements MarketingNotifier {
  sent: MarketingNotification[] = [];
  failures = 0;
  async notify(notification: MarketingNotification): Promise<void> {
    await tick();
    if (this.failures > 0) {
      this.failures -= 1;
      throw new Error("SNS unavailable");
    }
    this.sent.push(notification);
  }
}

const runId = "scoring@2026-12-25T00:00:00.000Z";

describe("publishRunDigest", () => {
  it("publishes one digest when the last two segments finish at once", async () => {
    const ledger = new FakeLedger(4);
    ledger.segmentsDone = 4;
    const notifier = new RecordingNotifier();
    const outcomes = await Promise.all([
      publishRunDigest(runId, { ledger, notifier }),
      publishRunDigest(runId, { ledger, notifier }),
    ]);
    expect(outcomes.sort()).toEqual(["not-claimed", "published"]);
    expect(notifier.sent).toHaveLength(1);
    expect(ledger.digest).toBe("published");
    const digest = notifier.sent[0];
    expect(digest?.kind).toBe("digest");
    expect(digest?.attributes).toMatchObject({ kind: "digest", runId, high: 2 });
    // The run's top list, most urgent first.
    expect(digest?.body.indexOf("u-2")).toBeLessThan(digest?.body.indexOf("u-1") ?? 0);
    // A redelivered segment later finds the digest published.
    expect(await publishRunDigest(runId, { ledger, notifier })).toBe("not-claimed");
    expect(notifier.sent).toHaveLength(1);
  });

  it("publishes nothing, and claims nothing, while segments are still running", async () => {
    const ledger = new FakeLedger(4);
    ledger.segmentsDone = 3;
    const notifier = new RecordingNotifier();
    expect(await publishRunDigest(runId, { ledger, notifier })).toBe("incomplete");
    expect(ledger.claims).toBe(0);
    expect(notifier.sent).toHaveLength(0);
  });

  it("gives the claim back when the publish fails, so the retry publishes it once", async () => {
    const ledger = new FakeLedger(2);
    ledger.segmentsDone = 2;
    const notifier = new RecordingNotifier();
    notifier.failures = 1;
    await expect(publishRunDigest(runId, { ledger, notifier })).rejects.toThrow("SNS unavailable");
    expect(ledger.digest).toBeUndefined();
    expect(notifier.sent).toHaveLength(0);
    // The segment's redelivery (scoring skipped, it was recorded) tries the digest again.
    expect(await publishRunDigest(runId, { ledger, notifier })).toBe("published");
    expect(await publishRunDigest(runId, { ledger, notifier })).toBe("not-claimed");
    expect(notifier.sent).toHaveLength(1);
  });

  it("takes over a claim whose holder died once its lease has run out", async () => {
    const ledger = new FakeLedger(1);
    ledger.segmentsDone = 1;
    expect(await ledger.claimDigest(runId, 60_000)).toBe(true); // and then the invocation died
    const notifier = new RecordingNotifier();
    ledger.now = 30_000;
    expect(await publishRunDigest(runId, { ledger, notifier })).toBe("not-claimed");
    ledger.now = 61_000;
    expect(await publishRunDigest(runId, { ledger, notifier })).toBe("published");
    expect(notifier.sent).toHaveLength(1);
  });

  it("does not fail, nor publish again, when only marking the digest published fails", async () => {
    const ledger = new FakeLedger(1);
    ledger.segmentsDone = 1;
    ledger.markDigestPublished = async () => {
      throw new Error("ledger throttled");
    };
    const notifier = new RecordingNotifier();
    const failures: string[] = [];
    const outcome = await publishRunDigest(runId, {
      ledger,
      notifier,
      onMarkFailure: (id, error) => failures.push(`${id}: ${(error as Error).message}`),
    });
    expect(outcome).toBe("published");
    expect(failures).toEqual([`${runId}: ledger throttled`]);
    // The claim's lease still holds the digest.
    expect(await publishRunDigest(runId, { ledger, notifier })).toBe("not-claimed");
    expect(notifier.sent).toHaveLength(1);
  });

  it("writes the digest in the configured locale", async () => {
    const ledger = new FakeLedger(1);
    ledger.segmentsDone = 1;
    const notifier = new RecordingNotifier();
    await publishRunDigest(runId, { ledger, notifier, locale: "zh-CN" });
    expect(notifier.sent[0]?.body).toContain("流失预警汇总");
  });
});
