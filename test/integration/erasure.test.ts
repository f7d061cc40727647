/**
 * RELIABILITY 24: erasure removes the user everywhere, and what was still queued for the user
 * when it happened neither sends nor brings any record of the user back. "Everywhere" includes
 * what the actions path keeps: a message held back by quiet hours, the marketing digest's list
 * of high-value users (in the outbox and in the scoring run's ledger items).
 */
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { GetCommand, PutCommand, QueryCommand, ScanCommand } from "@aws-sdk/lib-dynamodb";
import type { SQSBatchResponse, SQSEvent } from "aws-lambda";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEFAULT_RETENTION_POLICY } from "../../lambdas/domain/actions/policy.js";
import { createLocalClients, type LocalClients } from "../../local/aws-clients.js";
import { startLocal } from "../../local/index.js";
import { sqsEvent } from "../handlers/env.js";
import {
  granted,
  type Local,
  messageFor,
  retentionHarness,
  userInGroup,
  zoneWithLocalHour,
} from "../support/retention-local.js";

type SqsHandler = (event: SQSEvent) => Promise<SQSBatchResponse>;
let local: Local;
let dataDir: string;
let clients: LocalClients;
const h = retentionHarness(() => local);

// In the experiment's variant group: the control group would get no message to erase.
const experiment = DEFAULT_RETENTION_POLICY.experiment;
const USER = userInGroup("erase-me-7f3a", experiment, "variant");
const VIP = userInGroup("erase-vip-c41d", experiment, "variant");
const OTHER_VIP = userInGroup("keep-vip-9b2e", experiment, "variant");
const DAY_MS = 86_400_000;
/** Early afternoon now: quiet hours stay out of the way unless a test wants them. */
const daytime = () => zoneWithLocalHour(new Date(), 13);

async function everythingStored(): Promise<string> {
  const dumps: unknown[] = [];
  for (const table of Object.values(local.resources.tables)) {
    const page = await clients.doc.send(new ScanCommand({ TableName: table }));
    dumps.push(page.Items ?? []);
  }
  return JSON.stringify(dumps);
}

async function outboxText(): Promise<string> {
  return readFile(local.outboxPath, "utf8").catch(() => "");
}

async function ledgerGet(pk: string, sk: string) {
  const result = await clients.doc.send(
    new GetCommand({ TableName: local.resources.tables.ledger, Key: { pk, sk } }),
  );
  return result.Item;
}

function attributesOf(line: Record<string, unknown> | undefined): Record<string, unknown> {
  return (line?.attributes ?? {}) as Record<string, unknown>;
}

async function digests() {
  return (await h.marketing()).filter((line) => attributesOf(line).kind === "digest");
}

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), "churnwatch-erasure-"));
  local = await startLocal({ port: 0, dataDir, schedules: false });
  clients = createLocalClients(local.endpoints);
});

afterAll(async () => {
  h.destroy();
  clients?.destroy();
  await local?.stop();
  await rm(dataDir, { recursive: true, force: true });
});

describe("erasure", () => {
  it("leaves no record, no send and no outbox line of the user, even from messages queued before it", async () => {
    await h.api("PUT", `/v1/users/${USER}/contact`, {
      timezone: daytime(),
      channels: { email: { address: "erase-me@example.com", consent: granted } },
    });
    const occurredAt = new Date(Date.now() - 40 * DAY_MS).toISOString();
    await h.api("POST", "/v1/events", {
      events: [{ eventId: "er-1", userId: USER, type: "login", occurredAt }],
    });
    await local.waitForIdle();
    await local.runSchedule("scoring", new Date());
    await local.waitForIdle();
    expect(await h.sentTo(USER)).toHaveLength(1);

    // Night falls where the user is: the next message is held back until 09:00 local time.
    await h.api("PUT", `/v1/users/${USER}/contact`, {
      timezone: zoneWithLocalHour(new Date(), 2),
      channels: { email: { address: "erase-me@example.com", consent: granted } },
    });
    const night = messageFor(USER, "email");
    await h.sendBatch(local.resources.queues.email.url, [night]);
    await local.waitForIdle();
    expect(await h.sentTo(USER)).toHaveLength(1);
    const pointer = await h.ledgerItem(USER, `HOLD#${night.dedupeKey}`);
    const heldAt = pointer?.hold as { pk: string; sk: string };
    expect(heldAt.pk).toMatch(/^DEFERRED#/);
    const hold = await ledgerGet(heldAt.pk, heldAt.sk);
    expect(String(hold?.message)).toContain(USER);
    const until = new Date(String(hold?.until));
    expect(await everythingStored()).toContain(USER);
    expect(await outboxText()).toContain(USER);

    // What was still in the queues at the moment of erasure.
    const queuedEvent = {
      appId: "local",
      receivedAt: new Date().toISOString(),
      event: { eventId: "er-2", userId: USER, type: "app_open", occurredAt },
    };
    const queuedWarning = {
      v: 1,
      warningId: `late|local|${USER}|at_risk`,
      appId: "local",
      userId: USER,
      runId: "late",
      asOf: new Date().toISOString(),
      tier: "high",
      score: 0.6,
      reasons: [{ code: "no_login", severity: "high", params: { days: 40, thresholdDays: 30 } }],
    };
    const queuedSend = {
      v: 1,
      warningId: queuedWarning.warningId,
      appId: "local",
      userId: USER,
      channel: "email",
      dedupeKey: `${queuedWarning.warningId}|email|step1`,
      reasons: queuedWarning.reasons,
      plannedAt: new Date().toISOString(),
    };
    await new Promise((resolve) => setTimeout(resolve, 5));

    const erased = await h.api("DELETE", `/v1/users/${USER}`);
    expect(erased.status).toBe(200);
    expect(erased.body.erased).toMatchObject({
      featureRecords: 1,
      contact: 1,
      outboxLines: 1,
      heldMessages: 1,
    });
    expect(await ledgerGet(heldAt.pk, heldAt.sk)).toBeUndefined();

    const features = (await import("../../lambdas/features/handler.js")).handler as SqsHandler;
    const plan = (await import("../../lambdas/plan/handler.js")).handler as SqsHandler;
    const email = (await import("../../lambdas/email/handler.js")).handler as SqsHandler;
    expect((await features(sqsEvent([queuedEvent]))).batchItemFailures).toEqual([]);
    expect((await plan(sqsEvent([queuedWarning]))).batchItemFailures).toEqual([]);
    expect((await email(sqsEvent([queuedSend]))).batchItemFailures).toEqual([]);
    await local.waitForIdle();

    expect(await everythingStored()).not.toContain(USER);
    expect(await outboxText()).not.toContain(USER);
    expect((await h.api("GET", `/v1/users/${USER}`)).status).toBe(404);

    // Morning comes: the held message is gone, nothing is released, sent or recorded.
    try {
      await h.setClock(new Date(until.getTime() + 60_000));
      await local.runSchedule("release");
      await local.waitForIdle();
    } finally {
      await h.resetClock();
    }
    expect(await everythingStored()).not.toContain(USER);
    expect(await outboxText()).not.toContain(USER);
  });

  it("lets a user who comes back after erasure start afresh", async () => {
    const posted = await h.api("POST", "/v1/events", {
      events: [
        { eventId: "er-3", userId: USER, type: "app_open", occurredAt: new Date().toISOString() },
      ],
    });
    expect(posted.body.accepted).toBe(1);
    await local.waitForIdle();
    const user = await h.api("GET", `/v1/users/${USER}`);
    expect(user.body.features).toMatchObject({ eventCount: 1 });
  });

  it("takes a high-value user out of the marketing digest and out of the runs' lists", async () => {
    const longAgo = new Date(Date.now() - 40 * DAY_MS).toISOString();
    for (const [userId, amount] of [
      [VIP, 8120],
      [OTHER_VIP, 6500],
    ] as const) {
      await h.api("PUT", `/v1/users/${userId}/contact`, {
        timezone: daytime(),
        channels: { email: { address: `${userId}@example.com`, consent: granted } },
      });
      await h.api("POST", "/v1/events", {
        events: [
          { eventId: `${userId}-login`, userId, type: "login", occurredAt: longAgo },
          {
            eventId: `${userId}-order`,
            userId,
            type: "purchase",
            occurredAt: longAgo,
            properties: { orderId: `o-${userId}`, amount, currency: "CNY" },
          },
        ],
      });
    }
    await local.waitForIdle();
    const run = (await local.runSchedule("scoring", new Date())) as { runId: string };
    await local.waitForIdle();

    const digest = (await digests()).find((line) => attributesOf(line).runId === run.runId);
    expect(digest).toBeDefined();
    for (const userId of [VIP, OTHER_VIP]) {
      expect(String(digest?.body)).toContain(userId);
      expect(String(attributesOf(digest).topUsers)).toContain(userId);
      // High-value users at high risk are for a person to handle, not for an automated message.
      expect(await h.sentTo(userId)).toEqual([]);
    }
    // The run's lists went with its digest: the ledger names high-value users only until then.
    const runItems = await clients.doc.send(
      new QueryCommand({
        TableName: local.resources.tables.ledger,
        KeyConditionExpression: "pk = :pk",
        ExpressionAttributeValues: { ":pk": `RUN#${run.runId}` },
      }),
    );
    expect(runItems.Items?.length).toBeGreaterThan(1);
    expect(runItems.Items?.filter((item) => item.topHighValue !== undefined)).toEqual([]);

    // A run whose digest has not gone out yet still lists the user.
    const pendingRun = "scoring@pending-digest";
    const listed = (userId: string, score: number) => ({
      appId: "local",
      userId,
      valueMinor: 812_000,
      currency: "CNY",
      tier: "high",
      score,
      reasons: [],
      lifecycleStage: "mature",
    });
    await clients.doc.send(
      new PutCommand({
        TableName: local.resources.tables.ledger,
        Item: {
          pk: `RUN#${pendingRun}`,
          sk: "SEGMENT#0",
          scored: 2,
          topHighValue: [listed(VIP, 0.9), listed(OTHER_VIP, 0.8)],
        },
      }),
    );
    await clients.doc.send(
      new PutCommand({
        TableName: local.resources.tables.ledger,
        Item: { pk: "RUNS", sk: `2099-01-01T00:00:00.000Z#${pendingRun}`, runId: pendingRun },
      }),
    );
    expect(await everythingStored()).toContain(VIP);
    expect(await outboxText()).toContain(VIP);

    const erased = await h.api("DELETE", `/v1/users/${VIP}`);
    expect(erased.status).toBe(200);
    expect(erased.body.erased).toMatchObject({ contact: 1, runLists: 1 });
    expect(Number((erased.body.erased as Record<string, unknown>).outboxLines)).toBeGreaterThan(0);

    expect(await everythingStored()).not.toContain(VIP);
    expect(await outboxText()).not.toContain(VIP);
    // The digest itself stays, without the user and with everyone else.
    const redacted = (await digests()).find((line) => line.id === digest?.id);
    expect(redacted?.attributes).toMatchObject({ runId: run.runId, kind: "digest" });
    expect(String(redacted?.body)).toContain(OTHER_VIP);
    expect(String(redacted?.body)).toMatch(new RegExp(`\\n {2}1 +\\| ${OTHER_VIP} `));
    expect(JSON.parse(String(attributesOf(redacted).topUsers))).toEqual([
      expect.objectContaining({ userId: OTHER_VIP }),
    ]);
    const pending = await ledgerGet(`RUN#${pendingRun}`, "SEGMENT#0");
    expect(pending?.topHighValue).toEqual([listed(OTHER_VIP, 0.8)]);
  });
});
