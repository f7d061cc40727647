import { ConditionalCheckFailedException } from "@aws-sdk/client-dynamodb";
import { SESv2Client, SendEmailCommand } from "@aws-sdk/client-sesv2";
import {
  BatchGetCommand,
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  UpdateCommand,
} from "@aws-sdk/lib-dynamodb";
import { mockClient } from "aws-sdk-client-mock";
import { beforeEach, describe, expect, it } from "vitest";
import { lambdaContext, setHandlerEnv, sqsEvent } from "./env.js";

setHandlerEnv();
const { handler } = await import("../../lambdas/email/handler.js");
const dynamoMock = mockClient(DynamoDBDocumentClient);
const sesMock = mockClient(SESv2Client);

const message = (userId: string, channel = "email") => ({
  v: 1,
  warningId: `run|shop|${userId}|at_risk`,
  appId: "shop",
  userId,
  channel,
  dedupeKey: `run|shop|${userId}|at_risk|${channel}|step1`,
  reasons: [{ code: "no_login", severity: "high", params: { days: 31, thresholdDays: 30 } }],
  plannedAt: "2026-11-01T00:00:00Z",
});

const contact = (granted: boolean) => ({
  Item: {
    pk: "p",
    appId: "shop",
    userId: "u1",
    locale: "en",
    email: {
      address: "ann@example.com",
      consent: { granted, at: "2026-10-01T00:00:00Z", source: "api" },
    },
    updatedAt: "2026-10-01T00:00:00Z",
  },
});

function ledgerOutcomes() {
  return dynamoMock
    .commandCalls(UpdateCommand)
    .map((c) => c.args[0].input.ExpressionAttributeValues?.[":status"]);
}

beforeEach(() => {
  dynamoMock.reset();
  sesMock.reset();
  dynamoMock.on(PutCommand).resolves({});
  dynamoMock.on(UpdateCommand).resolves({});
  dynamoMock.on(GetCommand).resolves(contact(true));
  dynamoMock.on(BatchGetCommand).resolves({ Responses: { ledger: [] } });
  sesMock.on(SendEmailCommand).resolves({ MessageId: "ses-1" });
});

describe("email sender", () => {
  it("claims the dedupe key before sending and records the outcome after", async () => {
    const response = await handler(sqsEvent([message("u1")]), lambdaContext);
    expect(response.batchItemFailures).toEqual([]);
    const claim = dynamoMock.commandCalls(PutCommand)[0]?.args[0].input;
    expect(claim?.Item).toMatchObject({
      sk: "DELIVERY#run|shop|u1|at_risk|email|step1",
      status: "sending",
    });
    expect(claim?.ConditionExpression).toContain("attribute_not_exists(pk)");
    const sent = sesMock.commandCalls(SendEmailCommand)[0]?.args[0].input;
    expect(sent?.Destination?.ToAddresses).toEqual(["ann@example.com"]);
    expect(sent?.Content?.Simple?.Body?.Text?.Data).toContain(
      "You have not signed in for 31 days.",
    );
    expect(ledgerOutcomes()).toEqual(["sent"]);
  });

  it("sends nothing when the dedupe key was already claimed (redelivery)", async () => {
    dynamoMock
      .on(PutCommand)
      .rejects(new ConditionalCheckFailedException({ $metadata: {}, message: "exists" }));
    const response = await handler(sqsEvent([message("u1")]), lambdaContext);
    expect(response.batchItemFailures).toEqual([]);
    expect(sesMock.commandCalls(SendEmailCommand)).toHaveLength(0);
  });

  it("reports a message for retry while another delivery holds its claim (concurrent duplicate)", async () => {
    dynamoMock.on(PutCommand).rejects(
      new ConditionalCheckFailedException({
        $metadata: {},
        message: "exists",
        Item: { status: { S: "sending" } },
      }),
    );
    const response = await handler(sqsEvent([message("u1")]), lambdaContext);
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: "m0" }]);
    expect(sesMock.commandCalls(SendEmailCommand)).toHaveLength(0);
  });

  it("does not send again when the outcome cannot be recorded after a send", async () => {
    dynamoMock.on(UpdateCommand).rejects(new Error("DynamoDB unavailable"));
    const response = await handler(sqsEvent([message("u1")]), lambdaContext);
    expect(response.batchItemFailures).toEqual([]);
    expect(sesMock.commandCalls(SendEmailCommand)).toHaveLength(1);
  });

  it("suppresses a message whose user withdrew consent while it was queued", async () => {
    dynamoMock.on(GetCommand).resolves(contact(false));
    await handler(sqsEvent([message("u1")]), lambdaContext);
    expect(sesMock.commandCalls(SendEmailCommand)).toHaveLength(0);
    expect(ledgerOutcomes()).toEqual(["suppressed"]);
  });

  it("suppresses a message for an erased user", async () => {
    dynamoMock.on(GetCommand).resolves({});
    await handler(sqsEvent([message("u1")]), lambdaContext);
    expect(sesMock.commandCalls(SendEmailCommand)).toHaveLength(0);
  });

  it("drops a message left over from before the user's erasure without writing anything", async () => {
    dynamoMock.on(GetCommand).resolves({});
    dynamoMock.on(BatchGetCommand).callsFake((input) => {
      const [pk] = input.RequestItems.ledger.Keys.map((k: { pk: string }) => k.pk);
      return { Responses: { ledger: [{ pk, sk: "ERASED", erasedAt: "2026-11-01T00:00:00Z" }] } };
    });
    const response = await handler(sqsEvent([message("u1")]), lambdaContext);
    expect(response.batchItemFailures).toEqual([]);
    expect(sesMock.commandCalls(SendEmailCommand)).toHaveLength(0);
    expect(dynamoMock.commandCalls(PutCommand)).toHaveLength(0);
    expect(dynamoMock.commandCalls(UpdateCommand)).toHaveLength(0);
  });

  it("reports a provider failure for its record only and records the reason", async () => {
    sesMock
      .on(SendEmailCommand)
      .rejectsOnce(new Error("SES timeout"))
      .resolves({ MessageId: "ses-2" });
    const response = await handler(sqsEvent([message("u1"), message("u2")]), lambdaContext);
    expect(response.batchItemFailures).toHaveLength(1);
    expect(ledgerOutcomes().sort()).toEqual(["failed", "sent"]);
  });

  it("fails a malformed or misrouted message alone", async () => {
    const response = await handler(
      sqsEvent(["{", message("u1", "sms"), message("u2")]),
      lambdaContext,
    );
    expect(response.batchItemFailures.map((f) => f.itemIdentifier)).toEqual(["m0", "m1"]);
    expect(sesMock.commandCalls(SendEmailCommand)).toHaveLength(1);
  });
});
