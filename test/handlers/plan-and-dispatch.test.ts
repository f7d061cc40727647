import { ConditionalCheckFailedException } from "@aws-sdk/client-dynamodb";
import { PublishCommand, SNSClient } from "@aws-sdk/client-sns";
import { SendMessageBatchCommand, SQSClient } from "@aws-sdk/client-sqs";
import {
  BatchGetCommand,
  DeleteCommand,
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  UpdateCommand,
} from "@aws-sdk/lib-dynamodb";
import { mockClient } from "aws-sdk-client-mock";
import { beforeEach, describe, expect, it } from "vitest";
import { assignGroup } from "../../lambdas/domain/actions/experiments.js";
import { DEFAULT_RETENTION_POLICY } from "../../lambdas/domain/actions/policy.js";
import { ENV } from "../../lambdas/shared/env-names.js";
import { lambdaContext, setHandlerEnv, sqsEvent } from "./env.js";

setHandlerEnv();
const plan = await import("../../lambdas/plan/handler.js");
const dispatch = await import("../../lambdas/score-dispatch/handler.js");
const dynamoMock = mockClient(DynamoDBDocumentClient);
const snsMock = mockClient(SNSClient);
const sqsMock = mockClient(SQSClient);

const RETENTION_TOPIC = process.env[ENV.retentionTopicArn];
const MARKETING_TOPIC = process.env[ENV.marketingTopicArn];
const EXPERIMENT = DEFAULT_RETENTION_POLICY.experiment;

/** The first of u0, u1, … that the default experiment puts in `group`: chosen, not lucky. */
function userIn(group: "control" | "variant"): string {
  for (let i = 0; i < 1000; i += 1) {
    const userId = `u${i}`;
    if (assignGroup("shop", userId, EXPERIMENT).group === group) return userId;
  }
  throw new Error(`no ${group} user among the candidates`);
}

const VARIANT_USER = userIn("variant");
const CONTROL_USER = userIn("control");

function warningFor(userId: string, fields: Record<string, unknown> = {}) {
  const tier = (fields.tier as string | undefined) ?? "medium";
  return {
    v: 1,
    warningId: `run|shop|${userId}|${tier}`,
    appId: "shop",
    userId,
    runId: "run",
    asOf: "2026-11-01T00:00:00.000Z",
    tier,
    score: 0.6,
    reasons: [{ code: "no_login", severity: "high", params: { days: 31, thresholdDays: 30 } }],
    ...fields,
  };
}

const granted = { granted: true, at: "2026-10-01T00:00:00Z", source: "api" };
const refused = { granted: false, at: "2026-10-01T00:00:00Z", source: "api" };

/** The contact item the plan step reads, or undefined for a user without one. */
let contact: Record<string, unknown> | undefined;
/** `ACTION#<warningId>` items already in the ledger. */
let existingActions: Set<string>;

function publishes(topic: string | undefined) {
  return snsMock
    .commandCalls(PublishCommand)
    .map((call) => call.args[0].input)
    .filter((input) => input.TopicArn === topic);
}

function puts(prefix: string) {
  return dynamoMock
    .commandCalls(PutCommand)
    .map((call) => call.args[0].input)
    .filter((input) => String(input.Item?.sk).startsWith(prefix));
}

beforeEach(() => {
  dynamoMock.reset();
  snsMock.reset();
  sqsMock.reset();
  contact = undefined;
  existingActions = new Set();
  dynamoMock.on(GetCommand).callsFake(async (input) => {
    if (input.TableName === "contacts") {
      return contact ? { Item: { pk: input.Key.pk, ...contact } } : {};
    }
    const sk = String(input.Key.sk);
    if (input.TableName === "ledger" && existingActions.has(sk)) {
      return { Item: { pk: input.Key.pk } };
    }
    return {};
  });
  dynamoMock.on(PutCommand).resolves({});
  dynamoMock.on(UpdateCommand).resolves({});
  dynamoMock.on(DeleteCommand).resolves({});
  dynamoMock.on(BatchGetCommand).resolves({ Responses: { ledger: [] } });
  snsMock.on(PublishCommand).resolves({ MessageId: "1" });
  sqsMock.on(SendMessageBatchCommand).resolves({ Failed: [] });
});

describe("plan handler", () => {
  it("publishes a medium-risk user's we_miss_you to the first consented channel in policy order, without any address", async () => {
    contact = {
      appId: "shop",
      userId: VARIANT_USER,
      locale: "en",
      email: { address: "ann@example.com", consent: refused },
      push: { token: "tok-secret", platform: "ios", consent: granted },
      sms: { phone: "+8613800000000", consent: granted },
    };
    const warning = warningFor(VARIANT_USER);
    const response = await plan.handler(sqsEvent([warning]), lambdaContext);
    expect(response.batchItemFailures).toEqual([]);

    const [published, ...more] = publishes(RETENTION_TOPIC);
    expect(more).toHaveLength(0);
    expect(publishes(MARKETING_TOPIC)).toHaveLength(0);
    expect(published?.MessageAttributes?.channel).toEqual({
      DataType: "String",
      StringValue: "push",
    });
    for (const secret of ["ann@example.com", "tok-secret", "+8613800000000"]) {
      expect(published?.Message).not.toContain(secret);
    }
    expect(JSON.parse(published?.Message ?? "{}")).toMatchObject({
      warningId: warning.warningId,
      userId: VARIANT_USER,
      channel: "push",
      dedupeKey: `${warning.warningId}|push|step1`,
      template: "we_miss_you",
      offer: null,
      campaign: "medium-win-back",
      cooldownDays: 14,
      asOf: warning.asOf,
    });

    const [action, ...moreActions] = puts("ACTION#");
    expect(moreActions).toHaveLength(0);
    expect(action?.ConditionExpression).toBe("attribute_not_exists(pk)");
    expect(action?.Item).toMatchObject({
      pk: `APP#shop#USER#${VARIANT_USER}`,
      sk: `ACTION#${warning.warningId}`,
      outcome: "published",
      channel: "push",
      ruleId: "medium-win-back",
      experimentId: EXPERIMENT.id,
      group: "variant",
      variant: "A",
      template: "we_miss_you",
      valueTier: "standard",
      lifecycleStage: "growth",
      topReason: "no_login",
      escalated: false,
      asOf: warning.asOf,
    });
    expect(JSON.stringify(action?.Item)).not.toContain("ann@example.com");
  });

  it("offers a high-risk standard user a 10 CNY coupon, e-mail first", async () => {
    contact = {
      appId: "shop",
      userId: VARIANT_USER,
      locale: "en",
      email: { address: "ann@example.com", consent: granted },
      push: { token: "tok", platform: "ios", consent: granted },
    };
    const warning = warningFor(VARIANT_USER, { tier: "high", valueTier: "standard" });
    await plan.handler(sqsEvent([warning]), lambdaContext);
    const [published] = publishes(RETENTION_TOPIC);
    expect(JSON.parse(published?.Message ?? "{}")).toMatchObject({
      channel: "email",
      template: "coupon_offer",
      offer: { amount: 10, currency: "CNY" },
      campaign: "coupon",
      cooldownDays: 30,
    });
    expect(puts("ACTION#")[0]?.Item).toMatchObject({
      outcome: "published",
      channel: "email",
      ruleId: "high-coupon",
      offer: { amount: 10, currency: "CNY" },
    });
  });

  it("publishes nothing for a user who consented to no channel and records why", async () => {
    const warning = warningFor(VARIANT_USER);
    const response = await plan.handler(sqsEvent([warning]), lambdaContext);
    expect(response.batchItemFailures).toEqual([]);
    expect(snsMock.commandCalls(PublishCommand)).toHaveLength(0);
    expect(puts("ACTION#")).toHaveLength(1);
    expect(puts("ACTION#")[0]?.Item).toMatchObject({
      sk: `ACTION#${warning.warningId}`,
      outcome: "suppressed",
      channel: null,
      reason: "no_consented_channel",
    });
  });

  it("holds a control-group user out: no message, but an action record that says control", async () => {
    contact = {
      appId: "shop",
      userId: CONTROL_USER,
      locale: "en",
      email: { address: "bob@example.com", consent: granted },
    };
    const warning = warningFor(CONTROL_USER);
    const response = await plan.handler(sqsEvent([warning]), lambdaContext);
    expect(response.batchItemFailures).toEqual([]);
    expect(snsMock.commandCalls(PublishCommand)).toHaveLength(0);
    const [action, ...more] = puts("ACTION#");
    expect(more).toHaveLength(0);
    expect(action?.ConditionExpression).toBe("attribute_not_exists(pk)");
    expect(action?.Item).toMatchObject({
      sk: `ACTION#${warning.warningId}`,
      outcome: "control",
      group: "control",
      experimentId: EXPERIMENT.id,
      ruleId: "medium-win-back",
      channel: null,
      asOf: warning.asOf,
    });
  });

  it("does nothing for a redelivered warning whose action is already recorded", async () => {
    contact = {
      appId: "shop",
      userId: VARIANT_USER,
      email: { address: "ann@example.com", consent: granted },
    };
    const warning = warningFor(VARIANT_USER);
    existingActions.add(`ACTION#${warning.warningId}`);
    const response = await plan.handler(sqsEvent([warning]), lambdaContext);
    expect(response.batchItemFailures).toEqual([]);
    const lookup = dynamoMock
      .commandCalls(GetCommand)
      .map((call) => call.args[0].input)
      .find((input) => input.Key?.sk === `ACTION#${warning.warningId}`);
    expect(lookup).toMatchObject({
      TableName: "ledger",
      Key: { pk: `APP#shop#USER#${VARIANT_USER}` },
      ProjectionExpression: "pk",
    });
    expect(snsMock.commandCalls(PublishCommand)).toHaveLength(0);
    expect(dynamoMock.commandCalls(PutCommand)).toHaveLength(0);
  });

  it("alerts marketing once about a high-value user at critical risk and sends no retention message", async () => {
    contact = {
      appId: "shop",
      userId: VARIANT_USER,
      locale: "en",
      email: { address: "vip@example.com", consent: granted },
    };
    const warning = warningFor(VARIANT_USER, {
      tier: "critical",
      score: 0.93,
      valueTier: "high",
      lifecycleStage: "mature",
      valueMinor: 1_234_500,
    });
    const response = await plan.handler(sqsEvent([warning]), lambdaContext);
    expect(response.batchItemFailures).toEqual([]);

    expect(snsMock.commandCalls(PublishCommand)).toHaveLength(1);
    expect(publishes(RETENTION_TOPIC)).toHaveLength(0);
    const [alert] = publishes(MARKETING_TOPIC);
    expect(alert?.MessageAttributes).toMatchObject({
      kind: { DataType: "String", StringValue: "alert" },
      userId: { DataType: "String", StringValue: VARIANT_USER },
      warningId: { DataType: "String", StringValue: warning.warningId },
      tier: { DataType: "String", StringValue: "critical" },
      valueMinor: { DataType: "Number", StringValue: "1234500" },
    });
    expect(alert?.Message).not.toContain("vip@example.com");

    const [claim] = puts("ALERT#");
    expect(claim?.Item?.sk).toBe(`ALERT#${warning.warningId}`);
    expect(claim?.ConditionExpression).toBe("attribute_not_exists(pk)");
    const [action, ...more] = puts("ACTION#");
    expect(more).toHaveLength(0);
    expect(action?.Item).toMatchObject({
      outcome: "escalated",
      escalated: true,
      channel: null,
      ruleId: "high-value-escalation",
      valueTier: "high",
      lifecycleStage: "mature",
    });
  });

  it("does not alert marketing twice when the alert for the warning was already claimed", async () => {
    dynamoMock.on(PutCommand).callsFake(async (input) => {
      if (String(input.Item?.sk).startsWith("ALERT#")) {
        throw new ConditionalCheckFailedException({ $metadata: {}, message: "exists" });
      }
      return {};
    });
    const warning = warningFor(VARIANT_USER, { tier: "high", valueTier: "high" });
    const response = await plan.handler(sqsEvent([warning]), lambdaContext);
    expect(response.batchItemFailures).toEqual([]);
    expect(snsMock.commandCalls(PublishCommand)).toHaveLength(0);
  });

  it("gives the alert claim back and retries the warning when marketing cannot be reached", async () => {
    snsMock.on(PublishCommand).rejects(new Error("SNS throttled"));
    const warning = warningFor(VARIANT_USER, { tier: "critical", valueTier: "high" });
    const response = await plan.handler(sqsEvent([warning]), lambdaContext);
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: "m0" }]);
    expect(dynamoMock.commandCalls(DeleteCommand)[0]?.args[0].input.Key).toEqual({
      pk: `APP#shop#USER#${VARIANT_USER}`,
      sk: `ALERT#${warning.warningId}`,
    });
    expect(puts("ACTION#")).toHaveLength(0);
  });

  it("drops a warning left over from before the user's erasure without recording anything", async () => {
    dynamoMock.on(BatchGetCommand).callsFake((input) => {
      const [pk] = input.RequestItems.ledger.Keys.map((k: { pk: string }) => k.pk);
      return { Responses: { ledger: [{ pk, sk: "ERASED", erasedAt: "2026-11-01T00:00:00Z" }] } };
    });
    const response = await plan.handler(sqsEvent([warningFor(VARIANT_USER)]), lambdaContext);
    expect(response.batchItemFailures).toEqual([]);
    expect(snsMock.commandCalls(PublishCommand)).toHaveLength(0);
    expect(dynamoMock.commandCalls(PutCommand)).toHaveLength(0);
  });

  it("fails a malformed warning alone", async () => {
    contact = {
      appId: "shop",
      userId: VARIANT_USER,
      email: { address: "ann@example.com", consent: granted },
    };
    const response = await plan.handler(
      sqsEvent(["{", { ...warningFor(VARIANT_USER), tier: "severe" }, warningFor(VARIANT_USER)]),
      lambdaContext,
    );
    expect(response.batchItemFailures.map((f) => f.itemIdentifier)).toEqual(["m0", "m1"]);
    expect(publishes(RETENTION_TOPIC)).toHaveLength(1);
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
