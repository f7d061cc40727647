import { TransactionCanceledException } from "@aws-sdk/client-dynamodb";
import { SendMessageBatchCommand, SQSClient } from "@aws-sdk/client-sqs";
import {
  BatchGetCommand,
  DynamoDBDocumentClient,
  GetCommand,
  QueryCommand,
  TransactWriteCommand,
  UpdateCommand,
} from "@aws-sdk/lib-dynamodb";
import { mockClient } from "aws-sdk-client-mock";
import { beforeEach, describe, expect, it } from "vitest";
import { dedupeKey } from "../../lambdas/domain/dedupe-key.js";
import { lambdaContext, setHandlerEnv, sqsEvent } from "./env.js";

setHandlerEnv();
const { handler } = await import("../../lambdas/features/handler.js");
const dynamoMock = mockClient(DynamoDBDocumentClient);
const sqsMock = mockClient(SQSClient);

const tracked = (userId: string, eventId: string, occurredAt = "2026-11-01T00:00:00Z") => ({
  appId: "shop",
  receivedAt: "2026-11-01T00:00:01Z",
  event: { eventId, userId, type: "app_open", occurredAt },
});

type Items = NonNullable<TransactWriteCommand["input"]["TransactItems"]>;

function transactions(): Items[] {
  return dynamoMock
    .commandCalls(TransactWriteCommand)
    .map((call) => call.args[0].input.TransactItems ?? []);
}

const markerOf = (eventId: string) => `marker:${dedupeKey("shop", eventId)}`;

/** `marker:<key>` for a dedupe marker, `<user>:PROFILE` for a profile write. */
const keysOf = (items: Items | undefined) =>
  (items ?? []).map((item) =>
    item.Put?.TableName === "dedupe"
      ? `marker:${item.Put?.Item?.pk}`
      : `${String(item.Put?.Item?.pk).split("#").at(-1)}:${item.Put?.Item?.sk}`,
  );

function cancelled(codes: string[]) {
  return new TransactionCanceledException({
    $metadata: {},
    message: "cancelled",
    CancellationReasons: codes.map((Code) => ({ Code })),
  });
}

const storedProfile = (userId: string, version: number) => ({
  pk: `APP#shop#USER#${userId}`,
  sk: "PROFILE",
  appId: "shop",
  userId,
  firstSeenAt: "2026-10-01T00:00:00.000Z",
  lastSeenAt: "2026-10-01T00:00:00.000Z",
  eventCount: 5,
  countsByType: { login: 5 },
  version,
});

beforeEach(() => {
  dynamoMock.reset();
  sqsMock.reset();
  dynamoMock.on(BatchGetCommand).resolves({ Responses: { users: [] } });
  dynamoMock.on(TransactWriteCommand).resolves({});
});

describe("features handler", () => {
  it("writes the whole batch in one transaction: a marker per event and one profile per user", async () => {
    const response = await handler(
      sqsEvent([tracked("a", "1"), tracked("b", "2"), tracked("a", "3"), tracked("a", "1")]),
      lambdaContext,
    );
    expect(response.batchItemFailures).toEqual([]);
    // One read for erasure tombstones, one for the profiles.
    expect(dynamoMock.commandCalls(BatchGetCommand)).toHaveLength(2);
    const writes = transactions();
    expect(writes).toHaveLength(1);
    expect(keysOf(writes[0])).toEqual([
      markerOf("1"),
      markerOf("3"),
      "a:PROFILE",
      markerOf("2"),
      "b:PROFILE",
    ]);
    expect(writes[0]?.[2]?.Put?.Item).toMatchObject({
      eventCount: 2,
      version: 1,
      appId: "shop",
      userId: "a",
    });
    expect(writes[0]?.[2]?.Put?.ConditionExpression).toBe("attribute_not_exists(pk)");
  });

  it("drops events whose marker exists and applies the rest", async () => {
    dynamoMock
      .on(TransactWriteCommand)
      .rejectsOnce(cancelled(["ConditionalCheckFailed", "None", "None"]))
      .resolves({});
    const response = await handler(
      sqsEvent([tracked("a", "old"), tracked("a", "new")]),
      lambdaContext,
    );
    expect(response.batchItemFailures).toEqual([]);
    const [, retry] = transactions();
    expect(keysOf(retry)).toEqual([markerOf("new"), "a:PROFILE"]);
    expect(retry?.[1]?.Put?.Item).toMatchObject({ eventCount: 1 });
  });

  it("re-reads and retries a user whose profile changed under it", async () => {
    dynamoMock
      .on(BatchGetCommand)
      .resolvesOnce({ Responses: { users: [] } })
      .resolves({ Responses: { users: [storedProfile("a", 7)] } });
    dynamoMock
      .on(TransactWriteCommand)
      .rejectsOnce(cancelled(["None", "ConditionalCheckFailed"]))
      .resolves({});
    await handler(sqsEvent([tracked("a", "1")]), lambdaContext);
    const [, retry] = transactions();
    expect(retry?.[1]?.Put).toMatchObject({
      ConditionExpression: "version = :version",
      ExpressionAttributeValues: { ":version": 7 },
      Item: { eventCount: 6, version: 8 },
    });
  });

  it("fails a poison record alone, and a user who keeps conflicting without holding up the others", async () => {
    dynamoMock.on(TransactWriteCommand).callsFake((input: TransactWriteCommand["input"]) => {
      const items = input.TransactItems ?? [];
      const reasons = items.map((item) =>
        String(item.Put?.Item?.pk).endsWith("#b") && item.Put?.Item?.sk === "PROFILE"
          ? "ConditionalCheckFailed"
          : "None",
      );
      if (reasons.includes("ConditionalCheckFailed")) throw cancelled(reasons);
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
    const committedForA = transactions().filter((items) => keysOf(items).includes("a:PROFILE"));
    // a's last transaction carries only a's writes: b, which keeps conflicting, was split off.
    expect(keysOf(committedForA.at(-1))).toEqual([markerOf("1"), "a:PROFILE"]);
  }, 30_000);

  it("drops events queued before their user was erased and applies later ones", async () => {
    dynamoMock.on(BatchGetCommand).callsFake((input) => {
      if (!input.RequestItems.ledger) return { Responses: { users: [] } };
      const [pk] = input.RequestItems.ledger.Keys.map((k: { pk: string }) => k.pk);
      return {
        Responses: { ledger: [{ pk, sk: "ERASED", erasedAt: "2026-11-01T00:00:01.500Z" }] },
      };
    });
    const before = tracked("a", "old");
    const after = { ...tracked("a", "new"), receivedAt: "2026-11-01T00:00:02Z" };
    const response = await handler(sqsEvent([before, after]), lambdaContext);
    expect(response.batchItemFailures).toEqual([]);
    expect(keysOf(transactions()[0])).toEqual([markerOf("new"), "a:PROFILE"]);
  });

  it("applies an app's event ID once even when two users' events carry it", async () => {
    await handler(sqsEvent([tracked("a", "same"), tracked("b", "same")]), lambdaContext);
    expect(keysOf(transactions()[0])).toEqual([markerOf("same"), "a:PROFILE"]);
  });

  it("splits a user with more events than one transaction holds over several rounds", async () => {
    // More rounds than the retry budget allows failures: progress is not failure.
    const many = Array.from({ length: 1000 }, (_, i) => tracked("a", `bulk-${i}`));
    dynamoMock.on(BatchGetCommand).callsFake((input) =>
      input.RequestItems.users
        ? {
            Responses: {
              users: transactions().length > 0 ? [storedProfile("a", transactions().length)] : [],
            },
          }
        : { Responses: { ledger: [] } },
    );
    const response = await handler(sqsEvent(many), lambdaContext);
    expect(response.batchItemFailures).toEqual([]);
    expect(transactions().map((items) => items.length)).toEqual([...Array(10).fill(100), 11]);
  });

  it("retries users whose transaction failed for throttling, then fails only them", async () => {
    dynamoMock.on(TransactWriteCommand).rejectsOnce(new Error("ThrottlingException")).resolves({});
    const response = await handler(sqsEvent([tracked("a", "1"), tracked("b", "2")]), lambdaContext);
    expect(response.batchItemFailures).toEqual([]);
    expect(transactions()).toHaveLength(2);
  });
});

describe("near-real-time rules in the features path", () => {
  const uninstall = (eventId: string) => ({
    appId: "shop",
    receivedAt: "2026-11-01T00:00:01Z",
    event: { eventId, userId: "a", type: "uninstall", occurredAt: new Date().toISOString() },
  });
  const appliedProfile = (risk?: unknown) => {
    const now = Date.now();
    return {
      Item: {
        ...storedProfile("a", 3),
        lastSeenAt: new Date(now).toISOString(),
        lastSeenByType: {
          app_open: new Date(now - 3_600_000).toISOString(),
          uninstall: new Date(now).toISOString(),
        },
        countsByType: { app_open: 5, uninstall: 1 },
        ...(risk ? { risk } : {}),
      },
    };
  };

  /** The app has no published model and no stored promotion: rules alone score. */
  const noModelsOrPromotions = () => {
    dynamoMock.on(GetCommand, { TableName: "scoring" }).resolves({});
    dynamoMock.on(QueryCommand, { TableName: "scoring" }).resolves({ Items: [] });
  };

  it("warns at once, critical, when an uninstall signal arrives, and stores the risk", async () => {
    dynamoMock.on(GetCommand).resolves(appliedProfile());
    noModelsOrPromotions();
    dynamoMock.on(UpdateCommand).resolves({});
    sqsMock.on(SendMessageBatchCommand).resolves({ Failed: [] });
    const response = await handler(sqsEvent([uninstall("u-1")]), lambdaContext);
    expect(response.batchItemFailures).toEqual([]);
    const sent = sqsMock.commandCalls(SendMessageBatchCommand)[0]?.args[0].input.Entries ?? [];
    expect(sent).toHaveLength(1);
    expect(JSON.parse(sent[0]?.MessageBody ?? "{}")).toMatchObject({
      warningId: "realtime@u-1|shop|a|critical",
      tier: "critical",
      reasons: [expect.objectContaining({ code: "uninstall_silence", severity: "critical" })],
    });
    expect(dynamoMock.commandCalls(UpdateCommand)).toHaveLength(1);
  });

  it("does not warn again when the user is already at that tier (redelivery)", async () => {
    dynamoMock.on(GetCommand).resolves(appliedProfile({ tier: "critical", atRisk: true }));
    noModelsOrPromotions();
    await handler(sqsEvent([uninstall("u-1")]), lambdaContext);
    expect(sqsMock.commandCalls(SendMessageBatchCommand)).toHaveLength(0);
  });

  it("fails the user's records when the warning cannot be queued, so the retry warns", async () => {
    dynamoMock.on(GetCommand).resolves(appliedProfile());
    noModelsOrPromotions();
    sqsMock.on(SendMessageBatchCommand).rejects(new Error("SQS down"));
    const response = await handler(
      sqsEvent([uninstall("u-1"), tracked("b", "b-1")]),
      lambdaContext,
    );
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: "m0" }]);
  });
});
