/**
 * The model and promotion stores against DynamoDB Local (the emulator local mode runs on), for
 * what a mock cannot show: the transaction really keeps concurrent publishes apart.
 */
import { CreateTableCommand, DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DynamoModelStore } from "../../lambdas/adapters/dynamo-model-store.js";
import { DynamoPromotionStore } from "../../lambdas/adapters/dynamo-promotion-store.js";
import { PromotionConflictError } from "../../lambdas/model-ports.js";
import { localResourceName, tables } from "../../lib/topology.js";
import { LOCAL_CREDENTIALS, LOCAL_REGION } from "../../local/aws-clients.js";
import { type DynamoDbLocal, startDynamoDbLocal } from "../../local/emulators/dynamodb-local.js";
import { createLogger } from "../../local/log.js";

let emulator: DynamoDbLocal;
let raw: DynamoDBClient;
let doc: DynamoDBDocumentClient;
const tableName = localResourceName("table", "scoring");

beforeAll(async () => {
  emulator = await startDynamoDbLocal({ logger: createLogger("silent") });
  raw = new DynamoDBClient({
    endpoint: emulator.endpoint,
    region: LOCAL_REGION,
    credentials: LOCAL_CREDENTIALS,
  });
  doc = DynamoDBDocumentClient.from(raw);
  const spec = tables.scoring;
  await raw.send(
    new CreateTableCommand({
      TableName: tableName,
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
});

afterAll(async () => {
  doc?.destroy();
  raw?.destroy();
  await emulator?.stop();
});

describe("scoring table on DynamoDB Local", () => {
  it("never gives two concurrent publishes one version, and CURRENT ends at the last", async () => {
    const store = new DynamoModelStore(doc, tableName);
    const published = await Promise.all(
      Array.from({ length: 6 }, (_, i) =>
        store.publish("shop", "churn", { weights: [i, 0.1 + i / 3] }, { run: i }),
      ),
    );
    const versions = published.map((p) => p.version).sort((a, b) => a - b);
    expect(versions).toEqual([1, 2, 3, 4, 5, 6]);

    const current = await store.current("shop", "churn");
    expect(current?.version).toBe(6);
    const run = current?.summary.run as number;
    expect(current?.artefact).toEqual({ weights: [run, 0.1 + run / 3] });

    const listed = await store.list("shop", "churn");
    expect(listed.map((v) => v.version)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(listed.filter((v) => v.current).map((v) => v.version)).toEqual([6]);
    expect(await store.current("shop", "btyd")).toBeUndefined();
    expect(await store.current("other-shop", "churn")).toBeUndefined();
  });

  it("keeps an app's promotions in calendar order and refuses storing one twice", async () => {
    const store = new DynamoPromotionStore(doc, tableName);
    await store.add("shop", { name: "double-11", from: "2026-11-09", to: "2026-11-12" });
    await store.add("shop", { name: "618", from: "2026-06-01", to: "2026-06-18" });
    await expect(
      store.add("shop", { name: "618", from: "2026-06-01", to: "2026-06-20" }),
    ).rejects.toThrow(PromotionConflictError);
    expect(await store.list("shop")).toEqual([
      { name: "618", from: "2026-06-01", to: "2026-06-18" },
      { name: "double-11", from: "2026-11-09", to: "2026-11-12" },
    ]);
    expect(await store.list("other-shop")).toEqual([]);
  });
});
