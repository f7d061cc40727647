/**
 * Erasure's ledger parts against DynamoDB Local: messages held back by quiet hours are found
 * through their pointers in the user's partition and deleted, and scoring runs that still keep
 * their top high-value lists lose the user from them.
 */
import { CreateTableCommand, DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient, GetCommand, PutCommand, ScanCommand } from "@aws-sdk/lib-dynamodb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DynamoActionLedger } from "../../lambdas/adapters/dynamo-action-ledger.js";
import {
  deleteHeldMessages,
  deletePartition,
  eraseFromRunLists,
} from "../../lambdas/adapters/dynamo-user-eraser.js";
import type { RetentionMessage } from "../../lambdas/domain/retention.js";
import { userPartitionKey } from "../../lambdas/domain/user-key.js";
import { tables } from "../../lib/topology.js";
import { LOCAL_CREDENTIALS, LOCAL_REGION } from "../../local/aws-clients.js";
import { type DynamoDbLocal, startDynamoDbLocal } from "../../local/emulators/dynamodb-local.js";
import { createLogger } from "../../local/log.js";

let emulator: DynamoDbLocal;
let raw: DynamoDBClient;
let doc: DynamoDBDocumentClient;
let tableCount = 0;

beforeAll(async () => {
  emulator = await startDynamoDbLocal({ logger: createLogger("silent") });
  raw = new DynamoDBClient({
    endpoint: emulator.endpoint,
    region: LOCAL_REGION,
    credentials: LOCAL_CREDENTIALS,
  });
  doc = DynamoDBDocumentClient.from(raw, { marshallOptions: { removeUndefinedValues: true } });
});

afterAll(async () => {
  doc?.destroy();
  raw?.destroy();
  await emulator?.stop();
});

/** A fresh ledger table per test, so a scan sees only what the test wrote. */
async function ledgerTable(): Promise<string> {
  tableCount += 1;
  const name = `eraser-ledger-${tableCount}`;
  const spec = tables.ledger;
  await raw.send(
    new CreateTableCommand({
      TableName: name,
      BillingMode: "PAY_PER_REQUEST",
      AttributeDefinitions: [
        { AttributeName: spec.partitionKey, AttributeType: "S" },
        { AttributeName: spec.sortKey as string, AttributeType: "S" },
      ],
      KeySchema: [
        { AttributeName: spec.partitionKey, KeyType: "HASH" },
        { AttributeName: spec.sortKey as string, KeyType: "RANGE" },
      ],
    }),
  );
  return name;
}

async function everything(table: string): Promise<Record<string, unknown>[]> {
  return ((await doc.send(new ScanCommand({ TableName: table, ConsistentRead: true }))).Items ??
    []) as Record<string, unknown>[];
}

function message(userId: string, key: string): RetentionMessage {
  return {
    v: 1,
    warningId: `w-${userId}-${key}`,
    appId: "shop",
    userId,
    channel: "sms",
    dedupeKey: `w-${userId}-${key}|sms|step1`,
    reasons: [{ code: "no_login", severity: "high", params: { days: 40, thresholdDays: 30 } }],
    plannedAt: "2026-12-24T22:00:00.000Z",
  };
}

const nine = new Date("2026-12-25T01:00:00.000Z");
const ten = new Date("2026-12-25T02:00:00.000Z");

describe("held messages and their pointers", () => {
  it("writes a pointer with each hold, replaces a hold of the same message, and drops both on release", async () => {
    const table = await ledgerTable();
    const ledger = new DynamoActionLedger(doc, table);
    const held = message("u-1", "a");
    await ledger.defer(held, nine);
    const pointerKey = { pk: userPartitionKey("shop", "u-1"), sk: `HOLD#${held.dedupeKey}` };
    const pointer = (await doc.send(new GetCommand({ TableName: table, Key: pointerKey }))).Item;
    expect(pointer?.hold).toEqual({
      pk: "DEFERRED#2026-12-25T01",
      sk: `2026-12-25T01:00:00.000Z#${held.dedupeKey}`,
    });
    expect(pointer?.expiresAt).toEqual(expect.any(Number));

    // Held again until later: one hold, under the new time, and the pointer follows it.
    await ledger.defer(held, ten);
    expect(await everything(table)).toHaveLength(2);
    const due = await ledger.due(new Date("2026-12-25T03:00:00.000Z"), 10);
    expect(due.map((hold) => hold.until.toISOString())).toEqual([ten.toISOString()]);

    // A stale release of the first hold leaves the second and its pointer alone.
    await ledger.release({ message: held, until: nine });
    expect(await everything(table)).toHaveLength(2);
    await ledger.release({ message: held, until: ten });
    expect(await everything(table)).toEqual([]);
  });

  it("lets erasure find and delete the user's holds, and no one else's", async () => {
    const table = await ledgerTable();
    const ledger = new DynamoActionLedger(doc, table);
    await ledger.defer(message("u-1", "a"), nine);
    await ledger.defer(message("u-1", "b"), ten);
    await ledger.defer(message("u-10", "a"), nine);

    expect(await deleteHeldMessages(doc, table, "shop", "u-1")).toBe(2);
    expect(await deletePartition(doc, table, "shop", "u-1")).toBe(2);
    const left = await everything(table);
    expect(JSON.stringify(left)).not.toMatch(/u-1(?!\d)/);
    expect(left).toHaveLength(2);
    const due = await ledger.due(new Date("2026-12-25T03:00:00.000Z"), 10);
    expect(due.map((hold) => hold.message.userId)).toEqual(["u-10"]);
    expect(await deleteHeldMessages(doc, table, "shop", "u-1")).toBe(0);
  });
});

describe("scoring runs' top high-value lists", () => {
  const listed = (userId: string, appId = "shop") => ({
    appId,
    userId,
    valueMinor: 650_000,
    currency: "CNY",
    tier: "high",
    score: 0.8,
    reasons: [],
    lifecycleStage: "mature",
  });

  async function run(
    table: string,
    runId: string,
    lists: Record<string, unknown>[][],
    removed = false,
  ) {
    await doc.send(
      new PutCommand({
        TableName: table,
        Item: {
          pk: "RUNS",
          sk: `2026-12-25T02:00:00.000Z#${runId}`,
          runId,
          ...(removed ? { topHighValueRemovedAt: "2026-12-25T02:10:00.000Z" } : {}),
        },
      }),
    );
    await doc.send(
      new PutCommand({ TableName: table, Item: { pk: `RUN#${runId}`, sk: "RUN", segments: 2 } }),
    );
    for (const [index, list] of lists.entries()) {
      await doc.send(
        new PutCommand({
          TableName: table,
          Item: { pk: `RUN#${runId}`, sk: `SEGMENT#${index}`, scored: 5, topHighValue: list },
        }),
      );
    }
  }

  async function lists(table: string, runId: string) {
    const items = await everything(table);
    return items
      .filter((item) => item.pk === `RUN#${runId}` && String(item.sk).startsWith("SEGMENT#"))
      .sort((a, b) => String(a.sk).localeCompare(String(b.sk)))
      .map((item) => (item.topHighValue as { userId: string; appId: string }[]) ?? null);
  }

  it("takes the user out of the lists of runs that still keep them", async () => {
    const table = await ledgerTable();
    await run(table, "open", [
      [listed("u-1"), listed("u-10")],
      [listed("u-2"), listed("u-1", "other-app")],
    ]);
    await run(table, "open-too", [[listed("u-1")], [listed("u-3")]]);
    await run(table, "untouched", [[listed("u-10")], []]);

    expect(await eraseFromRunLists(doc, table, "shop", "u-1")).toBe(2);
    expect((await lists(table, "open")).map((list) => list.map((u) => u.userId))).toEqual([
      ["u-10"],
      ["u-2", "u-1"],
    ]);
    expect((await lists(table, "open")).at(1)?.at(1)?.appId).toBe("other-app");
    expect(await lists(table, "open-too")).toEqual([[], [listed("u-3")]]);
    expect(await lists(table, "untouched")).toEqual([[listed("u-10")], []]);
    // The other items of a run keep what they had.
    expect(
      (await everything(table)).find((item) => item.pk === "RUN#open" && item.sk === "SEGMENT#0"),
    ).toMatchObject({ scored: 5 });
    expect(await eraseFromRunLists(doc, table, "shop", "u-1")).toBe(0);
  });

  it("reads only the runs whose lists were not dropped with their digest", async () => {
    const table = await ledgerTable();
    // Marked: a run whose digest went out and whose lists were dropped, so not read at all.
    await run(table, "digested", [[listed("u-1")]], true);
    await run(table, "pending", [[listed("u-1")]]);
    expect(await eraseFromRunLists(doc, table, "shop", "u-1")).toBe(1);
    expect(await lists(table, "digested")).toEqual([[listed("u-1")]]);
    expect(await lists(table, "pending")).toEqual([[]]);
  });
});
