import { TransactionCanceledException } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient, GetCommand, TransactWriteCommand } from "@aws-sdk/lib-dynamodb";
import { mockClient } from "aws-sdk-client-mock";
import { beforeEach, describe, expect, it } from "vitest";
import { lambdaContext, setHandlerEnv, sqsEvent } from "./env.js";

setHandlerEnv();
const { handler } = await import("../../lambdas/features/handler.js");
const dynamoMock = mockClient(DynamoDBDocumentClient);

const tracked = (userId: string, eventId: string, occurredAt = "2026-11-01T00:00:00Z") => ({
  appId: "shop",
  receivedAt: "2026-11-01T00:00:01Z",
  event: { eventId, userId, type: "app_open", occurredAt },
});

function transactions() {
  return dynamoMock
    .commandCalls(TransactWriteCommand)
    .map((call) => call.args[0].input.TransactItems ?? []);
}

beforeEach(() => {
  dynamoMock.reset();
  dynamoMock.on(GetCommand).resolves({});
  dynamoMock.on(TransactWriteCommand).resolves({});
});

describe("features handler", () => {
  it("makes one transaction per user per batch: a marker per event plus the profile", async () => {
    const response = await handler(
      sqsEvent([tracked("a", "1"), tracked("b", "2"), tracked("a", "3"), tracked("a", "1")]),
      lambdaContext,
    );
    expect(response.batchItemFailures).toEqual([]);
    const writes = transactions();
    expect(writes).toHaveLength(2);
    const forA = writes.find((items) => items.some((i) => String(i.Put?.Item?.pk).endsWith("#a")));
    expect(forA?.map((i) => i.Put?.Item?.sk)).toEqual(["EVENT#1", "EVENT#3", "PROFILE"]);
    expect(forA?.[2]?.Put?.Item).toMatchObject({
      eventCount: 2,
      version: 1,
      appId: "shop",
      userId: "a",
    });
  });

  it("drops events whose marker exists and applies the rest", async () => {
    dynamoMock
      .on(TransactWriteCommand)
      .rejectsOnce(
        new TransactionCanceledException({
          $metadata: {},
          message: "cancelled",
          CancellationReasons: [
            { Code: "ConditionalCheckFailed" },
            { Code: "None" },
            { Code: "None" },
          ],
        }),
      )
      .resolves({});
    const response = await handler(
      sqsEvent([tracked("a", "old"), tracked("a", "new")]),
      lambdaContext,
    );
    expect(response.batchItemFailures).toEqual([]);
    const [, retry] = transactions();
    expect(retry?.map((i) => i.Put?.Item?.sk)).toEqual(["EVENT#new", "PROFILE"]);
    expect(retry?.[1]?.Put?.Item).toMatchObject({ eventCount: 1 });
  });

  it("re-reads and retries when the profile changed under it", async () => {
    dynamoMock
      .on(GetCommand)
      .resolvesOnce({})
      .resolves({
        Item: {
          pk: "p",
          sk: "PROFILE",
          appId: "shop",
          userId: "a",
          firstSeenAt: "2026-10-01T00:00:00.000Z",
          lastSeenAt: "2026-10-01T00:00:00.000Z",
          eventCount: 5,
          countsByType: { login: 5 },
          lastSeenByType: {},
          version: 7,
        },
      });
    dynamoMock
      .on(TransactWriteCommand)
      .rejectsOnce(
        new TransactionCanceledException({
          $metadata: {},
          message: "cancelled",
          CancellationReasons: [{ Code: "None" }, { Code: "ConditionalCheckFailed" }],
        }),
      )
      .resolves({});
    await handler(sqsEvent([tracked("a", "1")]), lambdaContext);
    const [, retry] = transactions();
    expect(retry?.[1]?.Put).toMatchObject({
      ConditionExpression: "version = :version",
      ExpressionAttributeValues: { ":version": 7 },
      Item: { eventCount: 6, version: 8 },
    });
  });

  it("fails a poison record alone and the failing user's records together", async () => {
    dynamoMock.on(TransactWriteCommand).callsFake((input) => {
      const pk = String(input.TransactItems?.[0]?.Put?.Item?.pk);
      if (pk.endsWith("#b")) throw new Error("throttled");
      return {};
    });
    const response = await handler(
      sqsEvent([
        tracked("a", "1"),
        "not json",
        tracked("b", "2"),
        { appId: "shop" },
        tracked("b", "3"),
      ]),
      lambdaContext,
    );
    expect(response.batchItemFailures.map((f) => f.itemIdentifier).sort()).toEqual([
      "m1",
      "m2",
      "m3",
      "m4",
    ]);
  });
});
