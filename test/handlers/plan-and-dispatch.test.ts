import { ConditionalCheckFailedException } from "@aws-sdk/client-dynamodb";
import { PublishCommand, SNSClient } from "@aws-sdk/client-sns";
import { SendMessageBatchCommand, SQSClient } from "@aws-sdk/client-sqs";
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
const plan = await import("../../lambdas/plan/handler.js");
const dispatch = await import("../../lambdas/score-dispatch/handler.js");
const dynamoMock = mockClient(DynamoDBDocumentClient);
const snsMock = mockClient(SNSClient);
const sqsMock = mockClient(SQSClient);

const warning = {
  v: 1,
  warningId: "run|shop|u1|at_risk",
  appId: "shop",
  userId: "u1",
  runId: "run",
  asOf: "2026-11-01T00:00:00.000Z",
  tier: "high",
  score: 0.6,
  reasons: [{ code: "no_login", severity: "high", params: { days: 31, thresholdDays: 30 } }],
};

beforeEach(() => {
  dynamoMock.reset();
  snsMock.reset();
  sqsMock.reset();
  dynamoMock.on(PutCommand).resolves({});
  dynamoMock.on(UpdateCommand).resolves({});
  dynamoMock.on(BatchGetCommand).resolves({ Responses: { ledger: [] } });
  snsMock.on(PublishCommand).resolves({ MessageId: "1" });
  sqsMock.on(SendMessageBatchCommand).resolves({ Failed: [] });
});

describe("plan handler", () => {
  it("publishes to the consented channel with the channel attribute, without any address", async () => {
    dynamoMock.on(GetCommand).resolves({
      Item: {
        appId: "shop",
        userId: "u1",
        locale: "en",
        email: { address: "ann@example.com", consent: { granted: false, at: "x", source: "api" } },
        push: { token: "tok", platform: "ios", consent: { granted: true, at: "x", source: "api" } },
      },
    });
    const response = await plan.handler(sqsEvent([warning]), lambdaContext);
    expect(response.batchItemFailures).toEqual([]);
    const input = snsMock.commandCalls(PublishCommand)[0]?.args[0].input;
    expect(input?.MessageAttributes?.channel).toEqual({ DataType: "String", StringValue: "push" });
    expect(input?.Message).not.toContain("ann@example.com");
    expect(input?.Message).not.toContain("tok");
    expect(JSON.parse(input?.Message ?? "{}")).toMatchObject({
      channel: "push",
      dedupeKey: "run|shop|u1|at_risk|push|step1",
    });
  });

  it("publishes nothing for a user who consented to no channel and records why", async () => {
    dynamoMock.on(GetCommand).resolves({});
    await plan.handler(sqsEvent([warning]), lambdaContext);
    expect(snsMock.commandCalls(PublishCommand)).toHaveLength(0);
    expect(dynamoMock.commandCalls(PutCommand)[0]?.args[0].input.Item).toMatchObject({
      sk: "ACTION#run|shop|u1|at_risk",
      channel: null,
      reason: "no_consented_channel",
    });
  });

  it("drops a warning left over from before the user's erasure without recording anything", async () => {
    dynamoMock.on(GetCommand).resolves({});
    dynamoMock.on(BatchGetCommand).callsFake((input) => {
      const [pk] = input.RequestItems.ledger.Keys.map((k: { pk: string }) => k.pk);
      return { Responses: { ledger: [{ pk, sk: "ERASED", erasedAt: "2026-11-01T00:00:00Z" }] } };
    });
    const response = await plan.handler(sqsEvent([warning]), lambdaContext);
    expect(response.batchItemFailures).toEqual([]);
    expect(snsMock.commandCalls(PublishCommand)).toHaveLength(0);
    expect(dynamoMock.commandCalls(PutCommand)).toHaveLength(0);
  });
});

describe("score-dispatch handler", () => {
  it("sends one job per segment and keys the run on the schedule time", async () => {
    const result = await dispatch.handler({ time: "2026-11-01T02:00:00Z" });
    expect(result).toEqual({
      runId: "scoring@2026-11-01T02:00:00.000Z",
      asOf: "2026-11-01T02:00:00.000Z",
      segments: 3,
      status: "dispatched",
    });
    const jobs = sqsMock.commandCalls(SendMessageBatchCommand)[0]?.args[0].input.Entries ?? [];
    expect(jobs.map((j) => JSON.parse(j.MessageBody ?? "{}").segment)).toEqual([0, 1, 2]);
  });

  it("does nothing for a tick it already dispatched (EventBridge redelivery)", async () => {
    dynamoMock
      .on(PutCommand)
      .rejects(new ConditionalCheckFailedException({ $metadata: {}, message: "x" }));
    const result = await dispatch.handler({ time: "2026-11-01T02:00:00Z" });
    expect(result.status).toBe("already-dispatched");
    expect(sqsMock.commandCalls(SendMessageBatchCommand)).toHaveLength(0);
  });

  it("refuses an event without a valid time", async () => {
    await expect(dispatch.handler({ time: "soon" })).rejects.toThrow(/valid time/);
  });
});
