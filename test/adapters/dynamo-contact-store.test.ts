import { ConditionalCheckFailedException, DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient, UpdateCommand } from "@aws-sdk/lib-dynamodb";
import { mockClient } from "aws-sdk-client-mock";
import { beforeEach, describe, expect, it } from "vitest";
import { DynamoContactStore } from "../../lambdas/adapters/dynamo-contact-store.js";

const dynamoMock = mockClient(DynamoDBDocumentClient);
const store = new DynamoContactStore(
  DynamoDBDocumentClient.from(new DynamoDBClient({ region: "us-east-1" })),
  "contacts",
);
const mark = {
  reason: "bounce",
  at: "2026-11-02T00:00:00.000Z",
  address: "ann@example.com",
} as const;

beforeEach(() => {
  dynamoMock.reset();
});

describe("marking a channel undeliverable", () => {
  it("is one conditional update of the channel, only while its address is the same", async () => {
    dynamoMock.on(UpdateCommand).resolves({});
    expect(await store.markUndeliverable("shop", "u-1", "email", mark)).toBe(true);
    const calls = dynamoMock.commandCalls(UpdateCommand);
    expect(calls).toHaveLength(1);
    expect(calls[0]?.args[0].input).toEqual({
      TableName: "contacts",
      Key: { pk: "APP#shop#USER#u-1" },
      UpdateExpression: "SET #channel.#undeliverable = :mark",
      ConditionExpression: "#channel.#address = :address",
      ExpressionAttributeNames: {
        "#channel": "email",
        "#undeliverable": "undeliverable",
        "#address": "address",
      },
      ExpressionAttributeValues: {
        ":mark": { reason: "bounce", at: "2026-11-02T00:00:00.000Z" },
        ":address": "ann@example.com",
      },
    });
  });

  it("compares the phone for SMS, and the endpoint or the token for push", async () => {
    dynamoMock.on(UpdateCommand).resolves({});
    await store.markUndeliverable("shop", "u-1", "sms", { ...mark, address: "+8613800138000" });
    await store.markUndeliverable("shop", "u-1", "push", {
      ...mark,
      reason: "invalid_token",
      address: "arn:aws:sns:eu-west-1:1:endpoint/APNS/app/abc",
    });
    const [sms, push] = dynamoMock.commandCalls(UpdateCommand).map((c) => c.args[0].input);
    expect(sms?.ConditionExpression).toBe("#channel.#phone = :address");
    expect(sms?.ExpressionAttributeNames).toMatchObject({ "#channel": "sms", "#phone": "phone" });
    expect(push?.ConditionExpression).toBe(
      "#channel.#endpointArn = :address OR #channel.#token = :address",
    );
    expect(push?.ExpressionAttributeNames).toMatchObject({
      "#channel": "push",
      "#endpointArn": "endpointArn",
      "#token": "token",
    });
  });

  it("answers false when the record is gone or holds another address", async () => {
    dynamoMock
      .on(UpdateCommand)
      .rejects(new ConditionalCheckFailedException({ message: "failed", $metadata: {} }));
    expect(await store.markUndeliverable("shop", "u-1", "email", mark)).toBe(false);
  });

  it("lets any other failure through, to be retried", async () => {
    dynamoMock.on(UpdateCommand).rejects(new Error("throttled"));
    await expect(store.markUndeliverable("shop", "u-1", "email", mark)).rejects.toThrow(
      "throttled",
    );
  });
});
