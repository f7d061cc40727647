/**
 * At-least-once delivery against real DynamoDB Local: the same SQS batch delivered to two
 * features invocations at the same moment, then once more, counts every event once.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { SQSEvent } from "aws-lambda";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startLocal } from "../../local/index.js";
import { sqsEvent } from "../handlers/env.js";

type Local = Awaited<ReturnType<typeof startLocal>>;
let local: Local;
let dataDir: string;
let features: (event: SQSEvent) => Promise<{ batchItemFailures: { itemIdentifier: string }[] }>;

const USERS = 5;
const DAY_MS = 86_400_000;

function batch(): SQSEvent {
  const bodies = Array.from({ length: 40 }, (_, index) => ({
    appId: "local",
    receivedAt: "2026-11-01T00:00:00Z",
    event: {
      eventId: `concurrent-${index}`,
      userId: `cc-${index % USERS}`,
      type: index % 4 === 0 ? "purchase" : "app_open",
      occurredAt: new Date(Date.parse("2026-10-01T08:00:00Z") + index * DAY_MS).toISOString(),
      ...(index % 4 === 0
        ? { properties: { orderId: `o-${index}`, amount: 10, currency: "CNY" } }
        : {}),
    },
    ...(index % 4 === 0 ? { baseAmountMinor: 1000 } : {}),
  }));
  return sqsEvent(bodies);
}

async function profile(userId: string) {
  const response = await fetch(`${local.url}/v1/users/${userId}`, {
    headers: { "x-api-key": local.apiKey },
  });
  return ((await response.json()) as { features: Record<string, unknown> }).features;
}

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), "churnwatch-once-"));
  local = await startLocal({ port: 0, dataDir, schedules: false });
  // Same process, same environment: the handler talks to the emulators local mode started.
  features = (await import("../../lambdas/features/handler.js")).handler as typeof features;
});

afterAll(async () => {
  await local?.stop();
  await rm(dataDir, { recursive: true, force: true });
});

describe("features under at-least-once delivery", () => {
  it("counts each event once when one batch reaches two invocations at once and again later", async () => {
    const [first, second] = await Promise.all([features(batch()), features(batch())]);
    // A conflicting invocation either finds the markers (duplicates, success) or reports the
    // records for retry; it never applies an event twice.
    const retried = [...first.batchItemFailures, ...second.batchItemFailures];
    if (retried.length > 0) expect((await features(batch())).batchItemFailures).toEqual([]);
    expect((await features(batch())).batchItemFailures).toEqual([]);

    // 40 events over 5 users; every fourth is a 10 CNY purchase, two per user.
    for (let user = 0; user < USERS; user += 1) {
      expect(await profile(`cc-${user}`)).toMatchObject({
        eventCount: 8,
        countsByType: { app_open: 6, purchase: 2 },
        amounts: { revenueMinor: 2000 },
      });
    }
  });
});
