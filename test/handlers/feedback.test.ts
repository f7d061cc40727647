import { ConditionalCheckFailedException } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient, UpdateCommand } from "@aws-sdk/lib-dynamodb";
import { mockClient } from "aws-sdk-client-mock";
import { afterAll, beforeEach, describe, expect, it, vi } from "vitest";
import { encodeTagValue } from "../../lambdas/domain/provider-feedback.js";
import { ENV } from "../../lambdas/shared/env-names.js";
import { logger } from "../../lambdas/shared/logger.js";
import { signed, TEST_SIGNING_CERT_PEM } from "../fixtures/sns-signing.js";
import { lambdaContext, setHandlerEnv, sqsEvent } from "./env.js";

const TOPIC = "arn:aws:sns:eu-west-1:123456789012:churnwatch-feedback";
setHandlerEnv({ [ENV.feedbackTopicArn]: TOPIC });
const fetchMock = vi.fn(async () => new Response(TEST_SIGNING_CERT_PEM, { status: 200 }));
vi.stubGlobal("fetch", fetchMock);
const { handler } = await import("../../lambdas/feedback/handler.js");
const dynamoMock = mockClient(DynamoDBDocumentClient);

function notification(event: Record<string, unknown>, messageId = "sns-1") {
  return signed({
    Type: "Notification",
    MessageId: messageId,
    TopicArn: TOPIC,
    Message: JSON.stringify(event),
    Timestamp: new Date().toISOString(),
  });
}

const tags = { appId: [encodeTagValue("shop")], userId: [encodeTagValue("u-1")] };
const permanentBounce = {
  eventType: "Bounce",
  bounce: {
    bounceType: "Permanent",
    bouncedRecipients: [{ emailAddress: "ann@example.com" }],
    timestamp: "2026-11-02T09:59:58.000Z",
  },
  mail: { messageId: "ses-1", tags },
};
const complaint = {
  eventType: "Complaint",
  complaint: { complainedRecipients: [{ emailAddress: "bob@example.com" }] },
  mail: { messageId: "ses-2", tags },
};

beforeEach(() => {
  dynamoMock.reset();
  dynamoMock.on(UpdateCommand).resolves({});
});

afterAll(() => {
  vi.unstubAllGlobals();
});

describe("feedback handler", () => {
  it("marks bounced and complained addresses, fetching SNS's certificate once", async () => {
    const response = await handler(
      sqsEvent([notification(permanentBounce), notification(complaint, "sns-2")]),
      lambdaContext,
    );
    expect(response.batchItemFailures).toEqual([]);
    const updates = dynamoMock.commandCalls(UpdateCommand).map((c) => c.args[0].input);
    expect(updates.map((u) => u.ExpressionAttributeValues?.[":mark"]?.reason)).toEqual([
      "bounce",
      "complaint",
    ]);
    expect(updates[0]?.Key).toEqual({ pk: "APP#shop#USER#u-1" });
    expect(fetchMock).toHaveBeenCalledTimes(1);
  });

  it("fails alone a record that is forged, unsigned, from elsewhere or not SNS at all", async () => {
    const forged = { ...notification(permanentBounce), Message: JSON.stringify(complaint) };
    const unsigned = { ...notification(permanentBounce), Signature: undefined };
    const elsewhere = signed({ ...notification(permanentBounce), TopicArn: `${TOPIC}-2` });
    const raw = permanentBounce; // raw message delivery: no envelope to check
    const response = await handler(
      sqsEvent([forged, unsigned, elsewhere, raw, "not json", notification(permanentBounce)]),
      lambdaContext,
    );
    expect(response.batchItemFailures.map((f) => f.itemIdentifier).sort()).toEqual([
      "m0",
      "m1",
      "m2",
      "m3",
      "m4",
    ]);
    expect(dynamoMock.commandCalls(UpdateCommand)).toHaveLength(1);
  });

  it("acknowledges feedback about a replaced address and a transient bounce", async () => {
    dynamoMock
      .on(UpdateCommand)
      .rejects(new ConditionalCheckFailedException({ message: "failed", $metadata: {} }));
    const transient = {
      ...permanentBounce,
      bounce: { ...permanentBounce.bounce, bounceType: "Transient" },
    };
    const response = await handler(
      sqsEvent([notification(permanentBounce), notification(transient)]),
      lambdaContext,
    );
    expect(response.batchItemFailures).toEqual([]);
  });

  it("retries when the contacts table fails", async () => {
    dynamoMock.on(UpdateCommand).rejects(new Error("throttled"));
    const response = await handler(sqsEvent([notification(permanentBounce)]), lambdaContext);
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: "m0" }]);
  });

  it("logs IDs and reasons, never an address", async () => {
    const info = vi.spyOn(logger, "info");
    const warn = vi.spyOn(logger, "warn");
    const forged = { ...notification(permanentBounce), Message: JSON.stringify(complaint) };
    await handler(
      sqsEvent([notification(permanentBounce), notification(complaint), forged]),
      lambdaContext,
    );
    const logged = JSON.stringify([...info.mock.calls, ...warn.mock.calls]);
    expect(logged).toContain("u-1");
    expect(logged).toContain("bad_signature");
    expect(logged).not.toContain("@example.com");
    info.mockRestore();
    warn.mockRestore();
  });
});
