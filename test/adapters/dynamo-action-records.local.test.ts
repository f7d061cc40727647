/**
 * The win-back readers against DynamoDB Local: the Scan's filter really keeps other apps, other
 * experiments and other item kinds out, a warning's delivery prefix does not catch a longer
 * warning ID, and profiles come back for more users than one BatchGetItem takes.
 */
import { CreateTableCommand, DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { BatchWriteCommand, DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  DynamoActionRecordReader,
  DynamoProfileReader,
  dynamoWinbackSources,
} from "../../lambdas/adapters/dynamo-action-records.js";
import { DEFAULT_CURRENCY_TABLE } from "../../lambdas/domain/currency.js";
import { userPartitionKey } from "../../lambdas/domain/user-key.js";
import { actionKey, DEFAULT_MESSAGE_COSTS } from "../../lambdas/domain/winback.js";
import { winbackReport } from "../../lambdas/use-cases/winback-report.js";
import { LOCAL_CREDENTIALS, LOCAL_REGION } from "../../local/aws-clients.js";
import { type DynamoDbLocal, startDynamoDbLocal } from "../../local/emulators/dynamodb-local.js";
import { createLogger } from "../../local/log.js";

let emulator: DynamoDbLocal;
let raw: DynamoDBClient;
let doc: DynamoDBDocumentClient;
const ledgerTable = "winback-ledger";
const usersTable = "winback-users";

const USERS = 150;
const userIds = Array.from({ length: USERS }, (_, i) => `u${i}`);

function actionItem(appId: string, userId: string, warningId: string, extra = {}) {
  return {
    pk: userPartitionKey(appId, userId),
    sk: `ACTION#${warningId}`,
    appId,
    userId,
    warningId,
    runId: "run-1",
    asOf: "2026-10-01T00:00:00.000Z",
    plannedAt: "2026-10-01T00:01:00.000Z",
    tier: "high",
    score: 0.7,
    valueTier: "mid",
    lifecycleStage: "active",
    topReason: null,
    ruleId: "r",
    campaign: "c",
    experimentId: "exp-1",
    group: Number(userId.slice(1)) % 2 === 0 ? "variant" : "control",
    variant: Number(userId.slice(1)) % 2 === 0 ? "email-first" : null,
    template: "we_miss_you",
    offer: null,
    channel: "email",
    outcome: Number(userId.slice(1)) % 2 === 0 ? "published" : "control",
    reason: null,
    escalated: false,
    expiresAt: 1_900_000_000,
    ...extra,
  };
}

async function writeAll(table: string, items: Record<string, unknown>[]) {
  for (let start = 0; start < items.length; start += 25) {
    await doc.send(
      new BatchWriteCommand({
        RequestItems: {
          [table]: items.slice(start, start + 25).map((Item) => ({ PutRequest: { Item } })),
        },
      }),
    );
  }
}

beforeAll(async () => {
  emulator = await startDynamoDbLocal({ logger: createLogger("silent") });
  raw = new DynamoDBClient({
    endpoint: emulator.endpoint,
    region: LOCAL_REGION,
    credentials: LOCAL_CREDENTIALS,
  });
  doc = DynamoDBDocumentClient.from(raw, { marshallOptions: { removeUndefinedValues: true } });
  for (const name of [ledgerTable, usersTable]) {
    await raw.send(
      new CreateTableCommand({
        TableName: name,
        BillingMode: "PAY_PER_REQUEST",
        AttributeDefinitions: [
          { AttributeName: "pk", AttributeType: "S" },
          { AttributeName: "sk", AttributeType: "S" },
        ],
        KeySchema: [
          { AttributeName: "pk", KeyType: "HASH" },
          { AttributeName: "sk", KeyType: "RANGE" },
        ],
      }),
    );
  }
  const ledger: Record<string, unknown>[] = [];
  for (const userId of userIds) {
    ledger.push(actionItem("shop", userId, `w-${userId}`));
    const delivery = (warningId: string, status: string) => ({
      pk: userPartitionKey("shop", userId),
      sk: `DELIVERY#${warningId}|email|step1`,
      appId: "shop",
      userId,
      dedupeKey: `${warningId}|email|step1`,
      warningId,
      channel: "email",
      status,
      completedAt: "2026-10-01T00:02:00.000Z",
      reason: null,
      deferredUntil: null,
    });
    if (Number(userId.slice(1)) % 2 === 0) {
      ledger.push(delivery(`w-${userId}`, "sent"));
      // A longer warning ID sharing the prefix: not this action's delivery.
      ledger.push(delivery(`w-${userId}0`, "failed"));
    }
  }
  ledger.push(actionItem("shop", "u0", "w-other-exp", { experimentId: "exp-2" }));
  ledger.push(actionItem("other-app", "u1", "w-u1"));
  ledger.push({ pk: "RUN#run-1", sk: "RUN", appId: "shop", status: "done" });
  await writeAll(ledgerTable, ledger);
  await writeAll(
    usersTable,
    userIds.map((userId, i) => ({
      pk: userPartitionKey("shop", userId),
      sk: "PROFILE",
      appId: "shop",
      userId,
      schemaVersion: 2,
      firstSeenAt: "2026-09-01T00:00:00.000Z",
      lastSeenAt: "2026-10-20T00:00:00.000Z",
      firstSeenByType: {},
      lastSeenByType: {},
      eventCount: 2,
      countsByType: { app_open: 1, purchase: 1 },
      amounts: {},
      // Every third user buys within the window.
      days: i % 3 === 0 ? { "2026-10-10": { purchase: 1, revenueMinor: 1000 } } : {},
      months: {},
      purchaseDays: [],
      version: 1,
      // Big enough that pages and batches are real.
      padding: "x".repeat(2000),
    })),
  );
}, 60_000);

afterAll(async () => {
  doc?.destroy();
  raw?.destroy();
  await emulator?.stop();
});

describe("win-back readers on DynamoDB Local", () => {
  it("scans one app's action records, optionally of one experiment", async () => {
    const reader = new DynamoActionRecordReader(doc, ledgerTable, 3);
    const all = [];
    for await (const page of reader.actionsOf("shop")) all.push(...page);
    expect(all).toHaveLength(USERS + 1);
    expect(all.every((action) => action.appId === "shop")).toBe(true);
    const u0 = all.find((action) => action.warningId === "w-u0");
    expect(u0).toMatchObject({ userId: "u0", group: "variant", outcome: "published", offer: null });
    expect(u0).not.toHaveProperty("pk");

    const only = [];
    for await (const page of reader.actionsOf("shop", { experimentId: "exp-2" })) {
      only.push(...page);
    }
    expect(only.map((action) => action.warningId)).toEqual(["w-other-exp"]);
  });

  it("finds each action's deliveries and no other warning's", async () => {
    const reader = new DynamoActionRecordReader(doc, ledgerTable);
    const refs = userIds.map((userId) => ({ appId: "shop", userId, warningId: `w-${userId}` }));
    const deliveries = await reader.deliveriesOf(refs);
    expect(deliveries.size).toBe(USERS);
    expect(deliveries.get(actionKey("u0", "w-u0"))).toEqual([
      {
        appId: "shop",
        userId: "u0",
        dedupeKey: "w-u0|email|step1",
        warningId: "w-u0",
        channel: "email",
        status: "sent",
        completedAt: "2026-10-01T00:02:00.000Z",
        reason: null,
        deferredUntil: null,
      },
    ]);
    expect(deliveries.get(actionKey("u1", "w-u1"))).toEqual([]);
  });

  it("reads more profiles than one BatchGetItem takes, keyed by user", async () => {
    const reader = new DynamoProfileReader(doc, usersTable);
    const profiles = await reader.profilesOf("shop", [...userIds, "nobody", "u0"]);
    expect(profiles.size).toBe(USERS);
    expect(profiles.get("u3")?.days).toEqual({ "2026-10-10": { purchase: 1, revenueMinor: 1000 } });
    expect((await reader.profilesOf("other-app", ["u1"])).size).toBe(0);
  });

  it("makes the whole report from the tables", async () => {
    const report = await winbackReport(
      "shop",
      { experiment: "exp-1", windowDays: 30, winback: "purchase" },
      {
        ...dynamoWinbackSources(doc, { usersTable, ledgerTable }),
        messageCosts: DEFAULT_MESSAGE_COSTS,
        currency: DEFAULT_CURRENCY_TABLE,
        now: () => new Date("2027-01-01T00:00:00Z"),
      },
    );
    const [experiment] = report.experiments;
    // Even users are the variant, odd the control; every third user (0, 3, 6, …) bought.
    expect(experiment?.variants[0]).toMatchObject({
      arm: "email-first",
      targeted: 75,
      sent: 75,
      delivered: 75,
      wonBack: 25,
      revenueWonBack: 250,
      cost: { messages: 0.075 },
    });
    expect(experiment?.control).toMatchObject({ targeted: 75, wonBack: 25 });
    expect(experiment?.variants[0]?.uplift).toMatchObject({ difference: 0, pValue: 1 });
  });
});
