import { describe, expect, it } from "vitest";
import {
  buildAuthorizerEvent,
  buildProxyEvent,
  evaluateAuthorizerResult,
  formatRequestTime,
  type HttpRequestInput,
  headerValue,
  methodArn,
} from "../../local/http/api-gateway-events.js";

const input: HttpRequestInput = {
  method: "GET",
  url: "/v1/users/u%201?expand=actions&tag=a&tag=b",
  rawHeaders: ["Host", "127.0.0.1:3000", "X-Api-Key", "k1", "Accept", "a", "Accept", "b"],
  body: null,
  sourceIp: "127.0.0.1",
  requestId: "req-1",
  receivedAt: new Date("2024-04-09T12:34:56.789Z"),
  host: "127.0.0.1:3000",
  region: "us-east-1",
};
const route = { resource: "/v1/users/{userId}", pathParameters: { userId: "u 1" } };

describe("API Gateway events", () => {
  it("builds a REQUEST authorizer event with the actual path in methodArn", () => {
    const event = buildAuthorizerEvent(input, route);
    expect(event).toMatchObject({
      type: "REQUEST",
      methodArn: "arn:aws:execute-api:us-east-1:000000000000:local/local/GET/v1/users/u%201",
      resource: "/v1/users/{userId}",
      path: "/v1/users/u%201",
      httpMethod: "GET",
      pathParameters: { userId: "u 1" },
      queryStringParameters: { expand: "actions", tag: "b" },
      multiValueQueryStringParameters: { expand: ["actions"], tag: ["a", "b"] },
      stageVariables: null,
    });
    expect(event.requestContext.authorizer).toBeUndefined();
  });

  it("keeps header spelling like API Gateway, last value in headers, all in multiValueHeaders", () => {
    const event = buildProxyEvent(input, route, { appId: "local", principalId: "p" });
    expect(event.headers["X-Api-Key"]).toBe("k1");
    expect(event.headers.Accept).toBe("b");
    expect(event.multiValueHeaders.Accept).toEqual(["a", "b"]);
    expect(headerValue(input.rawHeaders, "x-api-key")).toBe("k1");
  });

  it("builds a proxy event with the authorizer context and the route template as resource", () => {
    const event = buildProxyEvent(
      { ...input, method: "PUT", url: "/v1/users/u1/contact", body: '{"a":1}' },
      { resource: "/v1/users/{userId}/contact", pathParameters: { userId: "u1" } },
      { appId: "local", principalId: "key-1" },
    );
    expect(event).toMatchObject({
      resource: "/v1/users/{userId}/contact",
      path: "/v1/users/u1/contact",
      httpMethod: "PUT",
      body: '{"a":1}',
      isBase64Encoded: false,
      queryStringParameters: null,
      multiValueQueryStringParameters: null,
      pathParameters: { userId: "u1" },
      requestContext: {
        authorizer: { appId: "local", principalId: "key-1" },
        resourcePath: "/v1/users/{userId}/contact",
        httpMethod: "PUT",
        stage: "local",
        path: "/local/v1/users/u1/contact",
        requestId: "req-1",
        requestTimeEpoch: Date.parse("2024-04-09T12:34:56.789Z"),
        identity: { sourceIp: "127.0.0.1" },
      },
    });
    expect(event.requestContext.requestTime).toBe("09/Apr/2024:12:34:56 +0000");
  });

  it("formats requestTime as API Gateway does", () => {
    expect(formatRequestTime(new Date("2015-04-09T02:03:04Z"))).toBe("09/Apr/2015:02:03:04 +0000");
  });
});

describe("reading an authorizer's answer", () => {
  const arn = methodArn({ method: "POST", url: "/v1/events", region: "us-east-1" });
  const policy = (effect: "Allow" | "Deny", resource: string | string[] = arn) => ({
    principalId: "key-1",
    policyDocument: {
      Version: "2012-10-17",
      Statement: [{ Action: "execute-api:Invoke", Effect: effect, Resource: resource }],
    },
    context: { appId: "local", tier: 2, beta: true },
    usageIdentifierKey: "k",
  });

  it("allows on a matching Allow, passing context values as strings plus principalId", () => {
    expect(evaluateAuthorizerResult(policy("Allow"), arn, 3)).toEqual({
      kind: "allow",
      context: {
        appId: "local",
        tier: "2",
        beta: "true",
        principalId: "key-1",
        integrationLatency: 3,
      },
    });
  });

  it("honours wildcards in resources and actions", () => {
    const wildcard = policy("Allow", "arn:aws:execute-api:us-east-1:000000000000:local/*/*/*");
    expect(evaluateAuthorizerResult(wildcard, arn, 0).kind).toBe("allow");
    const star = {
      ...policy("Allow"),
      policyDocument: {
        Version: "2012-10-17",
        Statement: [{ Action: "*", Effect: "Allow", Resource: "*" }],
      },
    };
    expect(evaluateAuthorizerResult(star, arn, 0).kind).toBe("allow");
  });

  it("denies on an explicit Deny, and when no Allow covers the method", () => {
    expect(evaluateAuthorizerResult(policy("Deny"), arn, 0)).toEqual({ kind: "deny" });
    const elsewhere = policy(
      "Allow",
      "arn:aws:execute-api:us-east-1:000000000000:local/local/GET/*",
    );
    expect(evaluateAuthorizerResult(elsewhere, arn, 0)).toEqual({ kind: "deny" });
  });

  it("calls malformed answers invalid (API Gateway answers 500)", () => {
    expect(evaluateAuthorizerResult(undefined, arn, 0).kind).toBe("invalid");
    expect(evaluateAuthorizerResult({ principalId: "p" }, arn, 0).kind).toBe("invalid");
    const nested = { ...policy("Allow"), context: { nested: { a: 1 } } };
    expect(evaluateAuthorizerResult(nested, arn, 0).kind).toBe("invalid");
  });
});
