import { ConditionalCheckFailedException } from "@aws-sdk/client-dynamodb";
import { SESv2Client, SendEmailCommand } from "@aws-sdk/client-sesv2";
import { PublishCommand, SNSClient } from "@aws-sdk/client-sns";
import {
  BatchGetCommand,
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  TransactWriteCommand,
  UpdateCommand,
} from "@aws-sdk/lib-dynamodb";
import { mockClient } from "aws-sdk-client-mock";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { resetLocalClock, setLocalClock } from "../../lambdas/shared/clock.js";
import { lambdaContext, setHandlerEnv, sqsEvent } from "./env.js";

setHandlerEnv();
const { handler } = await import("../../lambdas/email/handler.js");
const sms = await import("../../lambdas/sms/handler.js");
const dynamoMock = mockClient(DynamoDBDocumentClient);
const sesMock = mockClient(SESv2Client);
const snsMock = mockClient(SNSClient);

/** 12:00 in Asia/Shanghai, the default zone: outside the default quiet hours (21:00–09:00). */
const NOON_SHANGHAI = "2026-11-02T04:00:00.000Z";
const DAY_MS = 86_400_000;
/** A slot stamped by the pinned clock, which runs on from there while a test runs. */
const reservedNow = expect.stringMatching(/^2026-11-02T04:00:0\d\.\d{3}Z$/);

const message = (userId: string, channel = "email") => ({
  v: 1,
  warningId: `run|shop|${userId}|medium`,
  appId: "shop",
  userId,
  channel,
  dedupeKey: `run|shop|${userId}|medium|${channel}|step1`,
  reasons: [{ code: "no_login", severity: "high", params: { days: 31, thresholdDays: 30 } }],
  plannedAt: "2026-11-01T00:00:00.000Z",
  asOf: "2026-11-01T00:00:00.000Z",
  template: "we_miss_you",
  offer: null,
  campaign: "medium-win-back",
  cooldownDays: 14,
});

/** The contact item every user gets, unless a test changes it. */
let contactItem: Record<string, unknown> | undefined;

function contact(granted: boolean, extra: Record<string, unknown> = {}) {
  return {
    appId: "shop",
    userId: "u1",
    locale: "en",
    email: {
      address: "ann@example.com",
      consent: { granted, at: "2026-10-01T00:00:00Z", source: "api" },
    },
    sms: {
      phone: "+8613800000000",
      consent: { granted, at: "2026-10-01T00:00:00Z", source: "api" },
    },
    updatedAt: "2026-10-01T00:00:00Z",
    ...extra,
  };
}

const slotsKey = (userId: string) => `APP#shop#USER#${userId}`;
/** The `SLOTS` items, by partition key: read with GetCommand, written with a versioned put. */
let slotItems: Map<string, Record<string, unknown>>;
/** Set to have the next SLOTS put lose a race: another writer's item lands first. */
let competingWrite: ((pk: string) => Record<string, unknown>) | undefined;

const conditionFailed = () =>
  new ConditionalCheckFailedException({ $metadata: {}, message: "condition failed" });

function slot(dedupeKey: string, daysAgo: number, campaign = "other-campaign") {
  return {
    dedupeKey,
    campaign,
    at: new Date(Date.parse(NOON_SHANGHAI) - daysAgo * DAY_MS).toISOString(),
  };
}

function ledgerUpdates() {
  return dynamoMock
    .commandCalls(UpdateCommand)
    .map((c) => c.args[0].input)
    .filter((input) => input.TableName === "ledger");
}

function ledgerOutcomes() {
  return ledgerUpdates().map((input) => input.ExpressionAttributeValues?.[":status"]);
}

/** Puts, on their own or in a transaction (a hold and its pointer are written together). */
function puts(match: (item: Record<string, unknown>) => boolean) {
  const single = dynamoMock.commandCalls(PutCommand).map((c) => c.args[0].input);
  const transacted = dynamoMock
    .commandCalls(TransactWriteCommand)
    .flatMap((c) => c.args[0].input.TransactItems ?? [])
    .flatMap((item) => (item.Put ? [item.Put] : []));
  return [...single, ...transacted].filter((input) => match(input.Item ?? {}));
}

const slotPuts = () => puts((item) => item.sk === "SLOTS");

beforeEach(() => {
  setLocalClock(new Date(NOON_SHANGHAI));
  dynamoMock.reset();
  sesMock.reset();
  snsMock.reset();
  contactItem = contact(true);
  slotItems = new Map();
  competingWrite = undefined;
  dynamoMock.on(GetCommand).callsFake(async (input) => {
    if (input.TableName === "contacts") {
      return contactItem ? { Item: { pk: input.Key.pk, ...contactItem } } : {};
    }
    if (input.TableName === "ledger" && input.Key.sk === "SLOTS") {
      const item = slotItems.get(input.Key.pk);
      return item ? { Item: structuredClone(item) } : {};
    }
    return {};
  });
  // The SLOTS item behaves as DynamoDB would under the put's condition; other puts succeed.
  dynamoMock.on(PutCommand).callsFake(async (input) => {
    const item = input.Item;
    if (item?.sk !== "SLOTS") return {};
    if (competingWrite) {
      slotItems.set(item.pk, competingWrite(item.pk));
      competingWrite = undefined;
    }
    const current = slotItems.get(item.pk);
    const holds =
      current === undefined
        ? input.ConditionExpression === "attribute_not_exists(pk)"
        : input.ConditionExpression === "version = :expected" &&
          current.version === input.ExpressionAttributeValues?.[":expected"];
    if (!holds) throw conditionFailed();
    slotItems.set(item.pk, structuredClone(item));
    return {};
  });
  dynamoMock.on(UpdateCommand).resolves({});
  dynamoMock.on(BatchGetCommand).resolves({ Responses: { ledger: [] } });
  sesMock.on(SendEmailCommand).resolves({ MessageId: "ses-1" });
  snsMock.on(PublishCommand).resolves({ MessageId: "sns-1" });
});

afterEach(() => {
  resetLocalClock();
});

describe("email sender", () => {
  it("claims the dedupe key, takes a cap slot, sends the rendered template and records the outcome", async () => {
    const response = await handler(sqsEvent([message("u1")]), lambdaContext);
    expect(response.batchItemFailures).toEqual([]);
    const [claim, reservation, ...rest] = dynamoMock
      .commandCalls(PutCommand)
      .map((c) => c.args[0].input);
    expect(rest).toHaveLength(0);
    expect(claim?.Item).toMatchObject({
      sk: "DELIVERY#run|shop|u1|medium|email|step1",
      status: "sending",
    });
    expect(claim?.ConditionExpression).toContain("attribute_not_exists(pk)");
    expect(reservation?.ConditionExpression).toBe("attribute_not_exists(pk)");
    expect(reservation?.Item).toMatchObject({
      pk: slotsKey("u1"),
      sk: "SLOTS",
      version: 1,
      slots: [
        {
          dedupeKey: "run|shop|u1|medium|email|step1",
          campaign: "medium-win-back",
          at: reservedNow,
        },
      ],
    });
    const slotsRead = dynamoMock
      .commandCalls(GetCommand)
      .map((c) => c.args[0].input)
      .find((input) => input.Key?.sk === "SLOTS");
    expect(slotsRead?.ConsistentRead).toBe(true);

    const sent = sesMock.commandCalls(SendEmailCommand);
    expect(sent).toHaveLength(1);
    const email = sent[0]?.args[0].input;
    expect(email?.Destination?.ToAddresses).toEqual(["ann@example.com"]);
    expect(email?.Content?.Simple?.Subject?.Data).toBe("We miss you");
    expect(email?.Content?.Simple?.Body?.Text?.Data).toContain(
      "You have not signed in for 31 days.",
    );
    expect(ledgerOutcomes()).toEqual(["sent"]);
    expect(ledgerUpdates()[0]?.ExpressionAttributeValues?.[":id"]).toBe("ses-1");
  });

  it("renders the offer the policy chose into a coupon e-mail", async () => {
    await handler(
      sqsEvent([
        {
          ...message("u1"),
          template: "coupon_offer",
          offer: { amount: 10, currency: "CNY" },
          campaign: "coupon",
          cooldownDays: 30,
        },
      ]),
      lambdaContext,
    );
    const email = sesMock.commandCalls(SendEmailCommand)[0]?.args[0].input;
    expect(email?.Content?.Simple?.Subject?.Data).toBe("A 10 CNY coupon for you");
    expect(ledgerOutcomes()).toEqual(["sent"]);
  });

  it("sends nothing when the dedupe key was already claimed (redelivery)", async () => {
    dynamoMock.on(PutCommand).rejects(conditionFailed());
    const response = await handler(sqsEvent([message("u1")]), lambdaContext);
    expect(response.batchItemFailures).toEqual([]);
    expect(sesMock.commandCalls(SendEmailCommand)).toHaveLength(0);
    expect(ledgerUpdates()).toHaveLength(0);
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
    contactItem = contact(false);
    const response = await handler(sqsEvent([message("u1")]), lambdaContext);
    expect(response.batchItemFailures).toEqual([]);
    expect(sesMock.commandCalls(SendEmailCommand)).toHaveLength(0);
    expect(ledgerOutcomes()).toEqual(["suppressed"]);
    expect(ledgerUpdates()[0]?.ExpressionAttributeValues?.[":reason"]).toBe("no_consent");
    expect(slotPuts()).toHaveLength(0);
  });

  it("suppresses a message for an erased user", async () => {
    contactItem = undefined;
    await handler(sqsEvent([message("u1")]), lambdaContext);
    expect(sesMock.commandCalls(SendEmailCommand)).toHaveLength(0);
    expect(ledgerOutcomes()).toEqual(["suppressed"]);
  });

  it("drops a message left over from before the user's erasure without writing anything", async () => {
    contactItem = undefined;
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
    const failed = ledgerUpdates().find(
      (u) => u.ExpressionAttributeValues?.[":status"] === "failed",
    );
    expect(failed?.ExpressionAttributeValues?.[":reason"]).toContain("SES timeout");
  });

  it("fails a malformed or misrouted message alone", async () => {
    const response = await handler(
      sqsEvent(["{", message("u1", "sms"), message("u2")]),
      lambdaContext,
    );
    expect(response.batchItemFailures.map((f) => f.itemIdentifier)).toEqual(["m0", "m1"]);
    expect(sesMock.commandCalls(SendEmailCommand)).toHaveLength(1);
  });

  it("defers a message for a user at 23:00 in their own time zone to 09:00 there", async () => {
    // 04:00 UTC is 23:00 the evening before in Bogotá (UTC-5, no DST); 09:00 there is 14:00 UTC.
    contactItem = contact(true, { timezone: "America/Bogota" });
    const response = await handler(sqsEvent([message("u1")]), lambdaContext);
    expect(response.batchItemFailures).toEqual([]);
    expect(sesMock.commandCalls(SendEmailCommand)).toHaveLength(0);
    const [held, ...more] = puts((item) => String(item.pk).startsWith("DEFERRED#"));
    expect(more).toHaveLength(0);
    expect(held?.Item).toMatchObject({
      pk: "DEFERRED#2026-11-02T14",
      sk: "2026-11-02T14:00:00.000Z#run|shop|u1|medium|email|step1",
      until: "2026-11-02T14:00:00.000Z",
    });
    expect(JSON.parse(String(held?.Item?.message))).toEqual(message("u1"));
    // Erasure finds the hold from the user's partition.
    const [pointer] = dynamoMock
      .commandCalls(TransactWriteCommand)
      .flatMap((c) => c.args[0].input.TransactItems ?? [])
      .flatMap((item) => (item.Put && item.Put.Item?.pk === slotsKey("u1") ? [item.Put] : []));
    expect(pointer?.Item).toMatchObject({
      sk: "HOLD#run|shop|u1|medium|email|step1",
      hold: { pk: held?.Item?.pk, sk: held?.Item?.sk },
    });
    expect(ledgerOutcomes()).toEqual(["deferred"]);
    expect(ledgerUpdates()[0]?.ExpressionAttributeValues).toMatchObject({
      ":reason": "quiet_hours",
      ":until": "2026-11-02T14:00:00.000Z",
    });
    expect(slotPuts()).toHaveLength(0);
  });

  it("takes users without a time zone to be in Asia/Shanghai for quiet hours", async () => {
    setLocalClock(new Date("2026-11-02T15:00:00.000Z")); // 23:00 in Shanghai
    await handler(sqsEvent([message("u1")]), lambdaContext);
    expect(sesMock.commandCalls(SendEmailCommand)).toHaveLength(0);
    expect(puts((item) => String(item.pk).startsWith("DEFERRED#"))[0]?.Item).toMatchObject({
      pk: "DEFERRED#2026-11-03T01",
      until: "2026-11-03T01:00:00.000Z",
    });
    expect(ledgerOutcomes()).toEqual(["deferred"]);
  });

  it("suppresses a message once the user had two other messages in the last 7 days (frequency cap)", async () => {
    slotItems.set(slotsKey("u1"), {
      pk: slotsKey("u1"),
      sk: "SLOTS",
      version: 4,
      slots: [slot("other|email|step1", 1), slot("another|push|step1", 6)],
    });
    const response = await handler(sqsEvent([message("u1")]), lambdaContext);
    expect(response.batchItemFailures).toEqual([]);
    expect(sesMock.commandCalls(SendEmailCommand)).toHaveLength(0);
    expect(ledgerOutcomes()).toEqual(["suppressed"]);
    expect(ledgerUpdates()[0]?.ExpressionAttributeValues?.[":reason"]).toBe("frequency_cap");
    expect(slotPuts()).toHaveLength(0);
  });

  it("sends when the other messages lie outside the cap window, under the SLOTS item's version", async () => {
    slotItems.set(slotsKey("u1"), {
      pk: slotsKey("u1"),
      sk: "SLOTS",
      version: 4,
      slots: [slot("other|email|step1", 8), slot("another|push|step1", 9)],
    });
    await handler(sqsEvent([message("u1")]), lambdaContext);
    expect(sesMock.commandCalls(SendEmailCommand)).toHaveLength(1);
    const [write] = slotPuts();
    expect(write?.ConditionExpression).toBe("version = :expected");
    expect(write?.ExpressionAttributeValues).toEqual({ ":expected": 4 });
    expect(write?.Item?.version).toBe(5);
  });

  it("suppresses a second message of the same campaign within its cooldown", async () => {
    slotItems.set(slotsKey("u1"), {
      pk: slotsKey("u1"),
      sk: "SLOTS",
      version: 1,
      slots: [slot("earlier|push|step1", 10, "medium-win-back")],
    });
    await handler(sqsEvent([message("u1")]), lambdaContext);
    expect(sesMock.commandCalls(SendEmailCommand)).toHaveLength(0);
    expect(ledgerUpdates()[0]?.ExpressionAttributeValues?.[":reason"]).toBe("campaign_cooldown");
  });

  it("re-reads and re-checks the cap after losing the SLOTS race, and does not send past it", async () => {
    slotItems.set(slotsKey("u1"), {
      pk: slotsKey("u1"),
      sk: "SLOTS",
      version: 1,
      slots: [slot("other|email|step1", 1)],
    });
    // A concurrent send to the same user takes the second slot first.
    competingWrite = (pk) => ({
      pk,
      sk: "SLOTS",
      version: 2,
      slots: [slot("other|email|step1", 1), slot("concurrent|sms|step1", 0)],
    });
    const response = await handler(sqsEvent([message("u1")]), lambdaContext);
    expect(response.batchItemFailures).toEqual([]);
    expect(slotPuts()).toHaveLength(1);
    expect(
      dynamoMock.commandCalls(GetCommand).filter((c) => c.args[0].input.Key?.sk === "SLOTS"),
    ).toHaveLength(2);
    expect(sesMock.commandCalls(SendEmailCommand)).toHaveLength(0);
    expect(ledgerUpdates()[0]?.ExpressionAttributeValues?.[":reason"]).toBe("frequency_cap");
  });

  it("re-reads after losing the SLOTS race and sends exactly once when there is still room", async () => {
    competingWrite = (pk) => ({
      pk,
      sk: "SLOTS",
      version: 1,
      slots: [slot("concurrent|sms|step1", 0)],
    });
    const response = await handler(sqsEvent([message("u1")]), lambdaContext);
    expect(response.batchItemFailures).toEqual([]);
    const [lost, won, ...more] = slotPuts();
    expect(more).toHaveLength(0);
    expect(lost?.ConditionExpression).toBe("attribute_not_exists(pk)");
    expect(won?.ConditionExpression).toBe("version = :expected");
    expect(won?.ExpressionAttributeValues).toEqual({ ":expected": 1 });
    expect(slotItems.get(slotsKey("u1"))?.slots).toEqual([
      slot("concurrent|sms|step1", 0),
      { dedupeKey: "run|shop|u1|medium|email|step1", campaign: "medium-win-back", at: reservedNow },
    ]);
    expect(sesMock.commandCalls(SendEmailCommand)).toHaveLength(1);
    expect(ledgerOutcomes()).toEqual(["sent"]);
  });
});

describe("sms sender", () => {
  it("marks a number that opted out at the provider undeliverable, gives its slot back and suppresses the message", async () => {
    snsMock
      .on(PublishCommand)
      .rejects(Object.assign(new Error("opted out"), { name: "OptedOutException" }));
    const response = await sms.handler(sqsEvent([message("u1", "sms")]), lambdaContext);
    expect(response.batchItemFailures).toEqual([]);
    expect(snsMock.commandCalls(PublishCommand)).toHaveLength(1);
    const mark = dynamoMock
      .commandCalls(UpdateCommand)
      .map((c) => c.args[0].input)
      .find((input) => input.TableName === "contacts");
    expect(mark?.Key).toEqual({ pk: slotsKey("u1") });
    expect(mark?.ExpressionAttributeValues).toMatchObject({
      ":address": "+8613800000000",
      ":mark": { reason: "complaint" },
    });
    expect(slotItems.get(slotsKey("u1"))?.slots).toEqual([]);
    expect(ledgerOutcomes()).toEqual(["suppressed"]);
    expect(ledgerUpdates()[0]?.ExpressionAttributeValues?.[":reason"]).toBe(
      "not_contactable:complaint",
    );
  });
});
