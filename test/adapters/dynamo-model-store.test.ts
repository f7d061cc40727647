import {
  ConditionalCheckFailedException,
  DynamoDBClient,
  TransactionCanceledException,
} from "@aws-sdk/client-dynamodb";
import {
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  TransactWriteCommand,
} from "@aws-sdk/lib-dynamodb";
import { mockClient } from "aws-sdk-client-mock";
import { beforeEach, describe, expect, it } from "vitest";
import {
  DynamoModelStore,
  MAX_ARTEFACT_BYTES,
  ModelPublishError,
  modelPartitionKey,
  versionSortKey,
} from "../../lambdas/adapters/dynamo-model-store.js";
import { DynamoPromotionStore } from "../../lambdas/adapters/dynamo-promotion-store.js";
import { PromotionConflictError } from "../../lambdas/model-ports.js";

const dynamoMock = mockClient(DynamoDBDocumentClient);
const client = DynamoDBDocumentClient.from(new DynamoDBClient({ region: "us-east-1" }));
const now = () => new Date("2026-11-20T08:00:00Z");
const noWait = async () => {};
const store = new DynamoModelStore(client, "scoring", now, noWait);

const PK = "MODEL#shop#churn";

function cancelled(codes: string[]) {
  return new TransactionCanceledException({
    $metadata: {},
    message: "cancelled",
    CancellationReasons: codes.map((Code) => ({ Code })),
  });
}

function transactions() {
  return dynamoMock
    .commandCalls(TransactWriteCommand)
    .map((call) => call.args[0].input.TransactItems ?? []);
}

beforeEach(() => {
  dynamoMock.reset();
});

describe("model store keys", () => {
  it("keys a version by app and kind and sorts versions as strings", () => {
    expect(modelPartitionKey("shop", "btyd")).toBe("MODEL#shop#btyd");
    expect(versionSortKey(7)).toBe("V#0000000007");
    expect(versionSortKey(10) > versionSortKey(9)).toBe(true);
  });
});

describe("DynamoModelStore.publish", () => {
  it("puts the next version and moves CURRENT forward in one transaction", async () => {
    dynamoMock.on(QueryCommand).resolves({ Items: [{ version: 3 }] });
    dynamoMock.on(TransactWriteCommand).resolves({});
    const artefact = { coefficients: [0.1, -2.5e-7], intercept: 1 / 3 };
    await expect(store.publish("shop", "churn", artefact, { auc: 0.81 })).resolves.toEqual({
      version: 4,
    });

    const query = dynamoMock.commandCalls(QueryCommand)[0]?.args[0].input;
    expect(query).toMatchObject({
      TableName: "scoring",
      ScanIndexForward: false,
      Limit: 1,
      ConsistentRead: true,
      ExpressionAttributeValues: { ":pk": PK, ":prefix": "V#" },
    });
    const [items] = transactions();
    expect(items).toHaveLength(2);
    expect(items?.[0]?.Put).toMatchObject({
      TableName: "scoring",
      Item: {
        pk: PK,
        sk: "V#0000000004",
        appId: "shop",
        kind: "churn",
        version: 4,
        createdAt: "2026-11-20T08:00:00.000Z",
        summary: { auc: 0.81 },
      },
      ConditionExpression: "attribute_not_exists(pk)",
    });
    // Stored as JSON text, so floats come back bit for bit.
    expect(JSON.parse(items?.[0]?.Put?.Item?.artefact as string)).toEqual(artefact);
    expect(items?.[1]?.Update).toMatchObject({
      Key: { pk: PK, sk: "CURRENT" },
      ConditionExpression: "attribute_not_exists(#version) OR #version < :version",
      ExpressionAttributeValues: { ":version": 4 },
    });
  });

  it("starts at version 1", async () => {
    dynamoMock.on(QueryCommand).resolves({ Items: [] });
    dynamoMock.on(TransactWriteCommand).resolves({});
    await expect(store.publish("shop", "btyd", { r: 1 }, {})).resolves.toEqual({ version: 1 });
  });

  it.each([
    ["the version item exists", ["ConditionalCheckFailed", "None"]],
    ["CURRENT already moved past it", ["None", "ConditionalCheckFailed"]],
    ["another publish is writing the same items", ["TransactionConflict", "None"]],
  ])("retries with the next number when %s", async (_, codes) => {
    dynamoMock
      .on(QueryCommand)
      .resolvesOnce({ Items: [{ version: 1 }] })
      .resolves({ Items: [{ version: 2 }] });
    dynamoMock.on(TransactWriteCommand).rejectsOnce(cancelled(codes)).resolves({});
    await expect(store.publish("shop", "btyd", {}, {})).resolves.toEqual({ version: 3 });
    expect(transactions().map((items) => items[0]?.Put?.Item?.sk)).toEqual([
      "V#0000000002",
      "V#0000000003",
    ]);
  });

  it("gives up after repeated lost races, with a message that says so", async () => {
    dynamoMock.on(QueryCommand).resolves({ Items: [{ version: 1 }] });
    dynamoMock.on(TransactWriteCommand).rejects(cancelled(["ConditionalCheckFailed", "None"]));
    await expect(store.publish("shop", "btyd", {}, {})).rejects.toThrow(ModelPublishError);
    expect(transactions()).toHaveLength(8);
  });

  it("passes other failures through at once", async () => {
    dynamoMock.on(QueryCommand).resolves({ Items: [] });
    dynamoMock.on(TransactWriteCommand).rejects(cancelled(["ValidationError", "None"]));
    await expect(store.publish("shop", "btyd", {}, {})).rejects.toThrow(
      TransactionCanceledException,
    );
    expect(transactions()).toHaveLength(1);
  });

  it("refuses an artefact too large for one item before writing anything", async () => {
    const big = { weights: "x".repeat(MAX_ARTEFACT_BYTES) };
    await expect(store.publish("shop", "btyd", big, {})).rejects.toThrow(/bytes as JSON/);
    expect(dynamoMock.calls()).toHaveLength(0);
  });
});

describe("DynamoModelStore.current", () => {
  it("reads CURRENT, then the version it names", async () => {
    dynamoMock
      .on(GetCommand, { Key: { pk: PK, sk: "CURRENT" } })
      .resolves({ Item: { pk: PK, sk: "CURRENT", version: 2 } })
      .on(GetCommand, { Key: { pk: PK, sk: "V#0000000002" } })
      .resolves({
        Item: {
          pk: PK,
          sk: "V#0000000002",
          appId: "shop",
          kind: "churn",
          version: 2,
          createdAt: "2026-11-19T00:00:00.000Z",
          artefact: '{"intercept":-1.25}',
          summary: { auc: 0.8 },
        },
      });
    await expect(store.current("shop", "churn")).resolves.toEqual({
      appId: "shop",
      kind: "churn",
      version: 2,
      createdAt: "2026-11-19T00:00:00.000Z",
      artefact: { intercept: -1.25 },
      summary: { auc: 0.8 },
    });
  });

  it("is undefined before the first publish", async () => {
    dynamoMock.on(GetCommand).resolves({});
    await expect(store.current("shop", "btyd")).resolves.toBeUndefined();
    expect(dynamoMock.commandCalls(GetCommand)).toHaveLength(1);
  });

  it("says so when CURRENT names a version that is missing", async () => {
    dynamoMock
      .on(GetCommand, { Key: { pk: PK, sk: "CURRENT" } })
      .resolves({ Item: { version: 5 } })
      .on(GetCommand, { Key: { pk: PK, sk: "V#0000000005" } })
      .resolves({});
    await expect(store.current("shop", "churn")).rejects.toThrow(/names version 5/);
  });
});

describe("DynamoModelStore.list", () => {
  it("lists versions oldest first without artefacts, marking the current one, across pages", async () => {
    const version = (n: number) => ({
      pk: PK,
      sk: versionSortKey(n),
      appId: "shop",
      kind: "churn",
      version: n,
      createdAt: `2026-11-0${n}T00:00:00.000Z`,
      summary: { n },
    });
    dynamoMock
      .on(QueryCommand)
      .resolvesOnce({
        Items: [{ pk: PK, sk: "CURRENT", version: 2 }, version(1)],
        LastEvaluatedKey: { pk: PK, sk: versionSortKey(1) },
      })
      .resolves({ Items: [version(2), version(3)] });
    const listed = await store.list("shop", "churn");
    expect(listed.map((v) => [v.version, v.current])).toEqual([
      [1, false],
      [2, true],
      [3, false],
    ]);
    expect(listed[0]).toEqual({
      appId: "shop",
      kind: "churn",
      version: 1,
      createdAt: "2026-11-01T00:00:00.000Z",
      summary: { n: 1 },
      current: false,
    });
    const queries = dynamoMock.commandCalls(QueryCommand).map((call) => call.args[0].input);
    expect(queries[0]?.ProjectionExpression).not.toMatch(/artefact/);
    expect(queries[1]?.ExclusiveStartKey).toEqual({ pk: PK, sk: "V#0000000001" });
  });
});

describe("DynamoPromotionStore", () => {
  const promotions = new DynamoPromotionStore(client, "scoring", now);

  it("adds a promotion under the app, keyed by start day and name, never over another", async () => {
    dynamoMock.on(PutCommand).resolves({});
    await promotions.add("shop", { name: "double-11", from: "2026-11-09", to: "2026-11-12" });
    expect(dynamoMock.commandCalls(PutCommand)[0]?.args[0].input).toEqual({
      TableName: "scoring",
      Item: {
        pk: "PROMOTIONS#shop",
        sk: "2026-11-09#double-11",
        name: "double-11",
        from: "2026-11-09",
        to: "2026-11-12",
        addedAt: "2026-11-20T08:00:00.000Z",
      },
      ConditionExpression: "attribute_not_exists(pk)",
    });
  });

  it("says a stored promotion is already there", async () => {
    dynamoMock
      .on(PutCommand)
      .rejects(new ConditionalCheckFailedException({ $metadata: {}, message: "exists" }));
    await expect(
      promotions.add("shop", { name: "618", from: "2026-06-01", to: "2026-06-18" }),
    ).rejects.toThrow(PromotionConflictError);
  });

  it("lists the app's promotions in calendar order, across pages", async () => {
    const item = (name: string, from: string, to: string) => ({
      pk: "PROMOTIONS#shop",
      sk: `${from}#${name}`,
      name,
      from,
      to,
      addedAt: "x",
    });
    dynamoMock
      .on(QueryCommand)
      .resolvesOnce({
        Items: [item("618", "2026-06-01", "2026-06-18")],
        LastEvaluatedKey: { pk: "PROMOTIONS#shop", sk: "2026-06-01#618" },
      })
      .resolves({ Items: [item("double-11", "2026-11-09", "2026-11-12")] });
    await expect(promotions.list("shop")).resolves.toEqual([
      { name: "618", from: "2026-06-01", to: "2026-06-18" },
      { name: "double-11", from: "2026-11-09", to: "2026-11-12" },
    ]);
    expect(dynamoMock.commandCalls(QueryCommand)[0]?.args[0].input).toMatchObject({
      KeyConditionExpression: "pk = :pk",
      ExpressionAttributeValues: { ":pk": "PROMOTIONS#shop" },
    });
  });
});
