import { describe, expect, it } from "vitest";
import type { RetentionMessage } from "../../lambdas/domain/retention.js";
import type { RetentionPublisher } from "../../lambdas/ports.js";
import { RELEASE_BATCH, releaseDeferred } from "../../lambdas/use-cases/release-deferred.js";
import { InMemoryActionLedger } from "../support/action-fakes.js";
import { messageFor } from "../support/retention-local.js";

class Recorder implements RetentionPublisher {
  readonly published: RetentionMessage[] = [];
  failAfter = Number.POSITIVE_INFINITY;
  async publish(message: RetentionMessage) {
    if (this.published.length >= this.failAfter) throw new Error("SNS unavailable");
    this.published.push(message);
  }
}

describe("releaseDeferred", () => {
  it("publishes holds that are due, keeps the rest, and forgets what it published", async () => {
    const holds = new InMemoryActionLedger();
    const due = messageFor("u-due", "sms");
    const notYet = messageFor("u-later", "email");
    await holds.defer(due, new Date("2026-11-24T01:00:00Z"));
    await holds.defer(notYet, new Date("2026-11-24T09:00:00Z"));
    const publisher = new Recorder();
    const result = await releaseDeferred({
      deferred: holds,
      publisher,
      now: new Date("2026-11-24T01:00:00Z"),
    });
    expect(result).toEqual({ released: 1, more: false });
    expect(publisher.published).toEqual([due]);
    expect([...holds.holds.values()].map((held) => held.message)).toEqual([notYet]);
  });

  it("keeps a hold whose publish failed, so the next run publishes it", async () => {
    const holds = new InMemoryActionLedger();
    await holds.defer(messageFor("a", "sms"), new Date("2026-11-24T01:00:00Z"));
    await holds.defer(messageFor("b", "sms"), new Date("2026-11-24T01:00:00Z"));
    const publisher = new Recorder();
    publisher.failAfter = 1;
    const now = new Date("2026-11-24T02:00:00Z");
    await expect(releaseDeferred({ deferred: holds, publisher, now })).rejects.toThrow(/SNS/);
    expect(holds.holds.size).toBe(1);
    publisher.failAfter = Number.POSITIVE_INFINITY;
    await releaseDeferred({ deferred: holds, publisher, now });
    expect(holds.holds.size).toBe(0);
    expect(publisher.published).toHaveLength(2);
  });

  it("says when more holds are due than one run takes", async () => {
    const holds = new InMemoryActionLedger();
    for (let i = 0; i <= RELEASE_BATCH; i += 1) {
      await holds.defer(messageFor(`u${i}`, "push"), new Date("2026-11-24T01:00:00Z"));
    }
    const publisher = new Recorder();
    const now = new Date("2026-11-24T02:00:00Z");
    expect(await releaseDeferred({ deferred: holds, publisher, now })).toEqual({
      released: RELEASE_BATCH,
      more: true,
    });
    expect(await releaseDeferred({ deferred: holds, publisher, now })).toEqual({
      released: 1,
      more: false,
    });
  });
});
