import { DynamoDBDocumentClient, GetCommand } from "@aws-sdk/lib-dynamodb";
import type { APIGatewayRequestAuthorizerEvent } from "aws-lambda";
import { mockClient } from "aws-sdk-client-mock";
import { beforeEach, describe, expect, it } from "vitest";
import { hashApiKey } from "../../lambdas/domain/api-keys.js";
import { setHandlerEnv } from "./env.js";

setHandlerEnv();
const { handler } = await import("../../lambdas/authorizer/handler.js");
const dynamoMock = mockClient(DynamoDBDocumentClient);

const methodArn = "arn:aws:execute-api:us-east-1:1:api123/prod/POST/v1/events";
const request = (headers: Record<string, string>) =>
  ({ type: "REQUEST", methodArn, headers }) as unknown as APIGatewayRequestAuthorizerEvent;

beforeEach(() => {
  dynamoMock.reset();
  dynamoMock
    .on(GetCommand)
    .callsFake((input) =>
      input.Key.keyHash === hashApiKey("good-key")
        ? { Item: { keyHash: hashApiKey("good-key"), appId: "shop", status: "active" } }
        : input.Key.keyHash === hashApiKey("old-key")
          ? { Item: { keyHash: hashApiKey("old-key"), appId: "shop", status: "revoked" } }
          : {},
    );
});

describe("authorizer", () => {
  it("allows a known key for the whole stage and names its app", async () => {
    const result = await handler(request({ "X-Api-Key": "good-key" }));
    expect(result.context).toEqual({ appId: "shop" });
    expect(result.usageIdentifierKey).toBe("good-key");
    expect(result.policyDocument.Statement[0]).toMatchObject({
      Effect: "Allow",
      Resource: "arn:aws:execute-api:us-east-1:1:api123/prod/*/*",
    });
  });

  it("looks keys up by hash only", async () => {
    await handler(request({ "x-api-key": "good-key" }));
    const looked = dynamoMock.commandCalls(GetCommand)[0]?.args[0].input.Key;
    expect(looked).toEqual({ keyHash: hashApiKey("good-key") });
  });

  it.each([
    ["no key", {}],
    ["an unknown key", { "x-api-key": "guess" }],
    ["a revoked key", { "x-api-key": "old-key" }],
  ])("refuses %s with Unauthorized (401)", async (_, headers) => {
    await expect(handler(request(headers))).rejects.toThrow(/^Unauthorized$/);
  });
});
