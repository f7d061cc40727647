/**
 * The actions path's ledger items against DynamoDB Local: holds come back due across hour
 * partitions and not before, action records are written once, and the slot list's version
 * makes a concurrent writer lose (conditional writes a mock cannot prove).
 */
import { CreateTableCommand, DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DynamoActionLedger } from "../../lambdas/adapters/dynamo-action-ledger.js";
import type { ActionRecord } from "../../lambdas/domain/actions/action-record.js";
import type { RetentionMessage } from "../../lambdas/domain/retention.js";
import { tables } from "../../lib/topology.js";
import { LOCAL_CREDENTIALS, LOCAL_REGION } from "../../local/aws-clients.js";
import { type DynamoDbLocal, startDynamoDbLocal } from "../../local/emulators/dynamodb-local.js";
import { createLogger } from "../../local/log.js";

let emulator: DynamoDbLocal;
let raw: DynamoDBClient;
let ledger: DynamoActionLedger;
let doc: DynamoDBDocumentClient;
const tableName = "ledger-actions";

beforeAll(async () => {
  emulator = await startDynamoDbLocal({ logger: createLogger("silent") });
  raw = new DynamoDBClient({
    endpoint: emulator.endpoint,
    region: LOCAL_REGION,
    credentials: LOCAL_CREDENTIALS,
  });
  doc = DynamoDBDocumentClient.from(raw, { marshallOptions: { removeUndefinedValues: true } });
  await raw.send(
    new CreateTableCommand({
      TableName: tableName,
      BillingMode: "PAY_PER_REQUEST",
      AttributeDefinitions: [
        { AttributeName: tables.ledger.partitionKey, AttributeType: "S" },
        { AttributeName: tables.ledger.sortKey as string, AttributeType: "S" },
      ],
      KeySchema: [
        { AttributeName: tables.ledger.partitionKey, KeyType: "HASH" },
        { AttributeName: tables.ledger.sortKey as string, KeyType: "RANGE" },
      ],
    }),
  );
  ledger = new DynamoActionLedger(doc, tableName, () => new Date("2026-11-23T12:00:00Z"));
});

afterAll(async () => {
  doc?.destroy();
  raw?.destroy();
  await emulator?.stop();
});

function message(userId: string): RetentionMessage {
  const warningId = `run|shop|${userId}|medium`;
  return {
    v: 1,
    warningId,
    appId: "shop",
    userId,
    channel: "sms",
    dedupeKey: `${warningId}|sms|step1`,
    reasons: [],
    plannedAt: "2026-11-23T13:00:00Z",
    template: "we_miss_you",
    offer: null,
    campaign: "medium-win-back",
    cooldownDays: 14,
  };
}

describe("DynamoActionLedger on DynamoDB Local", () => {
  it("returns holds once due, across hour partitions, oldest first, and forgets released ones", async () => {
    const early = new Date("2026-11-24T01:00:00Z");
    const late = new Date("2026-11-24T03:30:00Z");
    await ledger.defer(message("late"), late);
    await ledger.defer(message("early"), early);
    // Held twice (a redelivered message): one hold.
    await ledger.defer(message("early"), early);

    expect(await ledger.due(new Date("2026-11-24T00:59:59Z"), 10)).toEqual([]);
    const atTwo = await ledger.due(new Date("2026-11-24T02:00:00Z"), 10);
    expect(atTwo.map((held) => held.message.userId)).toEqual(["early"]);
    const later = await ledger.due(new Date("2026-11-24T04:00:00Z"), 10);
    expect(later.map((held) => held.message.userId)).toEqual(["early", "late"]);
    expect(later[1]?.message).toEqual(message("late"));
    expect((await ledger.due(new Date("2026-11-24T04:00:00Z"), 1)).length).toBe(1);

    for (const held of later) await ledger.release(held);
    expect(await ledger.due(new Date("2026-11-24T04:00:00Z"), 10)).toEqual([]);
  });

  it("writes an action record once", async () => {
    const record = { appId: "shop", userId: "u1", warningId: "w1", outcome: "control" };
    expect(await ledger.hasAction("shop", "u1", "w1")).toBe(false);
    expect(await ledger.putAction(record as unknown as ActionRecord)).toBe(true);
    expect(await ledger.putAction(record as unknown as ActionRecord)).toBe(false);
    expect(await ledger.hasAction("shop", "u1", "w1")).toBe(true);
  });

  it("lets only one of two writers that read the same slot list write it", async () => {
    const slot = (key: string) => ({ dedupeKey: key, campaign: "c", at: "2026-11-23T12:00:00Z" });
    const empty = await ledger.read("shop", "racer");
    expect(empty).toEqual({ slots: [], version: 0 });
    const [a, b] = await Promise.all([
      ledger.write("shop", "racer", empty, [slot("a")]),
      ledger.write("shop", "racer", empty, [slot("b")]),
    ]);
    expect([a, b].filter(Boolean)).toHaveLength(1);
    const after = await ledger.read("shop", "racer");
    expect(after.version).toBe(1);
    expect(await ledger.write("shop", "racer", empty, [slot("c")])).toBe(false);
    expect(await ledger.write("shop", "racer", after, [...after.slots, slot("c")])).toBe(true);
    expect((await ledger.read("shop", "racer")).slots).toHaveLength(2);
  });

  it("claims an alert once and gives it back", async () => {
    expect(await ledger.claim("shop", "vip", "w9")).toBe(true);
    expect(await ledger.claim("shop", "vip", "w9")).toBe(false);
    await ledger.unclaim("shop", "vip", "w9");
    expect(await ledger.claim("shop", "vip", "w9")).toBe(true);
  });
});
