import {
  BatchGetCommand,
  DynamoDBDocumentClient,
  QueryCommand,
  ScanCommand,
} from "@aws-sdk/lib-dynamodb";
import type { APIGatewayProxyEvent } from "aws-lambda";
import { mockClient } from "aws-sdk-client-mock";
import { beforeEach, describe, expect, it } from "vitest";
import { setHandlerEnv } from "./env.js";

setHandlerEnv();
const { handler } = await import("../../lambdas/reports/handler.js");
const dynamoMock = mockClient(DynamoDBDocumentClient);

function request(
  query: Record<string, string | string[]> | null,
  overrides: Partial<APIGatewayProxyEvent> = {},
): APIGatewayProxyEvent {
  const single = query
    ? Object.fromEntries(
        Object.entries(query).map(([key, value]) => [
          key,
          Array.isArray(value) ? (value.at(-1) as string) : value,
        ]),
      )
    : null;
  const multi = query
    ? Object.fromEntries(
        Object.entries(query).map(([key, value]) => [key, Array.isArray(value) ? value : [value]]),
      )
    : null;
  return {
    httpMethod: "GET",
    path: "/v1/reports/winback",
    resource: "/v1/reports/winback",
    queryStringParameters: single,
    multiValueQueryStringParameters: multi,
    requestContext: { authorizer: { appId: "shop" } },
    headers: {},
    body: null,
    ...overrides,
  } as unknown as APIGatewayProxyEvent;
}

const actionItem = (userId: string, group: "control" | "variant", outcome: string) => ({
  pk: `APP#shop#USER#${userId}`,
  sk: `ACTION#w-${userId}`,
  appId: "shop",
  userId,
  warningId: `w-${userId}`,
  runId: "run-1",
  asOf: "2026-10-01T00:00:00.000Z",
  plannedAt: "2026-10-01T00:01:00.000Z",
  tier: "high",
  score: 0.9,
  valueTier: "high",
  lifecycleStage: "active",
  topReason: "no_purchase",
  ruleId: "high-risk",
  campaign: "winback",
  experimentId: "exp-1",
  group,
  variant: group === "variant" ? "coupon" : null,
  template: "coupon_offer",
  offer: group === "variant" ? { amount: 10, currency: "CNY" } : null,
  channel: group === "variant" ? "email" : null,
  outcome,
  reason: null,
  escalated: false,
  expiresAt: 1_900_000_000,
});

const profileItem = (userId: string, days: Record<string, Record<string, number>>) => ({
  pk: `APP#shop#USER#${userId}`,
  sk: "PROFILE",
  appId: "shop",
  userId,
  schemaVersion: 2,
  firstSeenAt: "2026-09-01T00:00:00.000Z",
  lastSeenAt: "2026-10-10T00:00:00.000Z",
  firstSeenByType: {},
  lastSeenByType: {},
  eventCount: 3,
  countsByType: { email_opened: 1 },
  amounts: {},
  days,
  months: {},
  purchaseDays: [],
  version: 4,
});

beforeEach(() => {
  dynamoMock.reset();
  dynamoMock.on(ScanCommand).callsFake((input: ScanCommand["input"]) => ({
    Items:
      input.Segment === 0
        ? [
            actionItem("v1", "variant", "published"),
            actionItem("v2", "variant", "published"),
            actionItem("c1", "control", "control"),
          ]
        : [],
  }));
  dynamoMock.on(QueryCommand).callsFake((input: QueryCommand["input"]) => {
    const pk = String(input.ExpressionAttributeValues?.[":pk"]);
    const userId = pk.split("#").at(-1);
    return {
      Items: [
        {
          pk,
          sk: `DELIVERY#w-${userId}|email|step1`,
          status: userId === "v1" ? "sent" : "failed",
          channel: "email",
          warningId: `w-${userId}`,
          completedAt: "2026-10-01T00:02:00.000Z",
        },
      ],
    };
  });
  dynamoMock.on(BatchGetCommand).resolves({
    Responses: {
      users: [
        profileItem("v1", {
          "2026-10-03": { email_opened: 1 },
          "2026-10-05": { purchase: 1, revenueMinor: 9900 },
        }),
        profileItem("c1", { "2026-10-05": { app_open: 1 } }),
      ],
    },
  });
});

describe("reports handler", () => {
  it("answers the caller's app's win-back report", async () => {
    const response = await handler(request({ experiment: "exp-1", windowDays: "14" }));
    expect(response.statusCode).toBe(200);
    const body = JSON.parse(response.body);
    expect(body).toMatchObject({ appId: "shop", experiment: "exp-1", windowDays: 14 });
    expect(body.experiments[0].control).toMatchObject({ targeted: 1, wonBack: 0 });
    expect(body.experiments[0].variants[0]).toMatchObject({
      arm: "coupon",
      targeted: 2,
      sent: 2,
      delivered: 1,
      opened: 1,
      wonBack: 1,
      revenueWonBack: 99,
      cost: { messages: 0.001, offers: 10, total: 10.001 },
      costPerWonBack: 10.001,
    });

    const scans = dynamoMock.commandCalls(ScanCommand).map((call) => call.args[0].input);
    expect(scans.length).toBeGreaterThan(0);
    for (const scan of scans) {
      expect(scan).toMatchObject({
        TableName: "ledger",
        FilterExpression:
          "appId = :app AND begins_with(sk, :action) AND experimentId = :experiment",
        ExpressionAttributeValues: { ":app": "shop", ":action": "ACTION#", ":experiment": "exp-1" },
      });
    }
    const queries = dynamoMock.commandCalls(QueryCommand).map((call) => call.args[0].input);
    expect(queries.map((q) => q.ExpressionAttributeValues?.[":prefix"]).sort()).toEqual([
      "DELIVERY#w-v1|",
      "DELIVERY#w-v2|",
    ]);
    const keys =
      dynamoMock.commandCalls(BatchGetCommand)[0]?.args[0].input.RequestItems?.users?.Keys;
    expect(keys).toEqual(
      ["v1", "v2", "c1"].map((userId) => ({ pk: `APP#shop#USER#${userId}`, sk: "PROFILE" })),
    );
  });

  it("answers with an empty report when the app has no actions", async () => {
    dynamoMock.on(ScanCommand).resolves({ Items: [] });
    const response = await handler(request(null));
    expect(response.statusCode).toBe(200);
    expect(JSON.parse(response.body)).toMatchObject({
      experiments: [],
      windowDays: 30,
      winback: "purchase",
    });
    expect(dynamoMock.commandCalls(QueryCommand)).toHaveLength(0);
  });

  it.each([
    [
      { windowDays: "abc" },
      [{ field: "windowDays", message: expect.stringMatching(/whole number/) }],
    ],
    [
      { winback: "clicks" },
      [{ field: "winback", message: expect.stringMatching(/purchase or activity/) }],
    ],
    [{ from: "31/10/2026" }, [{ field: "from", message: expect.stringMatching(/YYYY-MM-DD/) }]],
    [
      { from: "2026-11-01", to: "2026-10-01", windowDays: "0" },
      [
        { field: "windowDays", message: expect.any(String) },
        { field: "to", message: expect.stringMatching(/not be before from/) },
      ],
    ],
    [
      { windowdays: "7" },
      [{ field: "windowdays", message: expect.stringMatching(/unknown parameter/) }],
    ],
    [{ windowDays: ["7", "14"] }, [{ field: "windowDays", message: "given more than once" }]],
  ])("%j answers 400 with per-field reasons", async (query, errors) => {
    const response = await handler(request(query));
    expect(response.statusCode).toBe(400);
    expect(JSON.parse(response.body)).toEqual({ message: "invalid query parameters", errors });
    expect(dynamoMock.commandCalls(ScanCommand)).toHaveLength(0);
  });

  it("answers 401 without an app from the authorizer and 405 for other methods", async () => {
    const anonymous = await handler(request(null, { requestContext: {} as never }));
    expect(anonymous.statusCode).toBe(401);
    const post = await handler(request(null, { httpMethod: "POST" }));
    expect(post.statusCode).toBe(405);
  });

  it("answers 500 without internals when DynamoDB fails", async () => {
    dynamoMock.on(ScanCommand).rejects(new Error("table ledger-xyz is on fire"));
    const response = await handler(request(null));
    expect(response.statusCode).toBe(500);
    expect(response.body).not.toContain("fire");
  });
});
