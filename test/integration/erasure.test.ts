/**
 * RELIABILITY 24: erasure removes the user everywhere, and what was still queued for the user
 * when it happened neither sends nor brings any record of the user back.
 */
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ScanCommand } from "@aws-sdk/lib-dynamodb";
import type { SQSBatchResponse, SQSEvent } from "aws-lambda";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLocalClients } from "../../local/aws-clients.js";
import { startLocal } from "../../local/index.js";
import { sqsEvent } from "../handlers/env.js";

type Local = Awaited<ReturnType<typeof startLocal>>;
type SqsHandler = (event: SQSEvent) => Promise<SQSBatchResponse>;
let local: Local;
let dataDir: string;

const USER = "erase-me-7f3a";

async function api(method: string, path: string, body?: unknown) {
  const response = await fetch(`${local.url}${path}`, {
    method,
    headers: { "x-api-key": local.apiKey, "content-type": "application/json" },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

async function everythingStored(): Promise<string> {
  const { doc } = createLocalClients(local.endpoints);
  const dumps: unknown[] = [];
  for (const table of Object.values(local.resources.tables)) {
    const page = await doc.send(new ScanCommand({ TableName: table }));
    dumps.push(page.Items ?? []);
  }
  return JSON.stringify(dumps);
}

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), "churnwatch-erasure-"));
  local = await startLocal({ port: 0, dataDir, schedules: false });
});

afterAll(async () => {
  await local?.stop();
  await rm(dataDir, { recursive: true, force: true });
});

describe("erasure", () => {
  it("leaves no record, no send and no outbox line of the user, even from messages queued before it", async () => {
    await api("PUT", `/v1/users/${USER}/contact`, {
      channels: { email: { address: "erase-me@example.com", consent: { granted: true } } },
    });
    const occurredAt = new Date(Date.now() - 40 * 86_400_000).toISOString();
    await api("POST", "/v1/events", {
      events: [{ eventId: "er-1", userId: USER, type: "login", occurredAt }],
    });
    await local.waitForIdle();
    await local.runSchedule("scoring", new Date());
    await local.waitForIdle();
    expect(await everythingStored()).toContain(USER);
    expect(await readFile(local.outboxPath, "utf8")).toContain(USER);

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

    const erased = await api("DELETE", `/v1/users/${USER}`);
    expect(erased.status).toBe(200);
    expect(erased.body.erased).toMatchObject({ featureRecords: 1, contact: 1, outboxLines: 1 });

    const features = (await import("../../lambdas/features/handler.js")).handler as SqsHandler;
    const plan = (await import("../../lambdas/plan/handler.js")).handler as SqsHandler;
    const email = (await import("../../lambdas/email/handler.js")).handler as SqsHandler;
    expect((await features(sqsEvent([queuedEvent]))).batchItemFailures).toEqual([]);
    expect((await plan(sqsEvent([queuedWarning]))).batchItemFailures).toEqual([]);
    expect((await email(sqsEvent([queuedSend]))).batchItemFailures).toEqual([]);
    await local.waitForIdle();

    expect(await everythingStored()).not.toContain(USER);
    expect(await readFile(local.outboxPath, "utf8")).not.toContain(USER);
    expect((await api("GET", `/v1/users/${USER}`)).status).toBe(404);
  });

  it("lets a user who comes back after erasure start afresh", async () => {
    const posted = await api("POST", "/v1/events", {
      events: [
        { eventId: "er-3", userId: USER, type: "app_open", occurredAt: new Date().toISOString() },
      ],
    });
    expect(posted.body.accepted).toBe(1);
    await local.waitForIdle();
    const user = await api("GET", `/v1/users/${USER}`);
    expect(user.body.features).toMatchObject({ eventCount: 1 });
  });
});
