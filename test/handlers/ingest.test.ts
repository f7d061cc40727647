import { SendMessageBatchCommand, SQSClient } from "@aws-sdk/client-sqs";
import type { APIGatewayProxyEvent } from "aws-lambda";
import { mockClient } from "aws-sdk-client-mock";
import fc from "fast-check";
import { beforeEach, describe, expect, it } from "vitest";
import { setHandlerEnv } from "./env.js";

setHandlerEnv();
const { handler } = await import("../../lambdas/ingest/handler.js");
const sqsMock = mockClient(SQSClient);

function request(body: string | null, appId: string | null = "shop"): APIGatewayProxyEvent {
  return {
    body,
    isBase64Encoded: false,
    httpMethod: "POST",
    resource: "/v1/events",
    path: "/v1/events",
    headers: {},
    pathParameters: null,
    requestContext: { authorizer: appId ? { appId } : undefined },
  } as unknown as APIGatewayProxyEvent;
}

const event = (id: string) => ({
  eventId: id,
  userId: "u-1",
  type: "login",
  occurredAt: "2026-01-01T00:00:00Z",
});

beforeEach(() => {
  sqsMock.reset();
  sqsMock.on(SendMessageBatchCommand).resolves({ Successful: [], Failed: [] });
});

describe("POST /v1/events", () => {
  it("answers 202 with counts after queueing each accepted event with its app", async () => {
    const response = await handler(
      request(JSON.stringify({ events: [event("a"), event("a"), { bad: true }] })),
    );
    expect(response.statusCode).toBe(202);
    const body = JSON.parse(response.body);
    expect(body).toMatchObject({ accepted: 1, duplicates: 1 });
    expect(body.rejected).toEqual([expect.objectContaining({ index: 2, eventId: null })]);
    const sent = sqsMock.commandCalls(SendMessageBatchCommand)[0]?.args[0].input.Entries ?? [];
    expect(sent).toHaveLength(1);
    expect(JSON.parse(sent[0]?.MessageBody ?? "{}")).toMatchObject({
      appId: "shop",
      event: { eventId: "a" },
    });
  });

  it("retries entries SQS failed and reports those that never got in", async () => {
    sqsMock
      .on(SendMessageBatchCommand)
      .resolvesOnce({
        Failed: [
          { Id: "1", Code: "x", SenderFault: false },
          { Id: "2", Code: "x", SenderFault: false },
        ],
      })
      .resolvesOnce({ Failed: [{ Id: "1", Code: "x", SenderFault: false }] })
      .resolves({ Failed: [{ Id: "0", Code: "x", SenderFault: false }] });
    const response = await handler(
      request(JSON.stringify({ events: [event("a"), event("b"), event("c")] })),
    );
    const body = JSON.parse(response.body);
    expect(sqsMock.commandCalls(SendMessageBatchCommand)).toHaveLength(3);
    expect(body.accepted).toBe(2);
    expect(body.rejected).toEqual([
      {
        index: 2,
        eventId: "c",
        errors: [{ field: "(event)", message: "could not be queued, send it again" }],
      },
    ]);
  });

  it.each([
    ["no body", null, 400],
    ["not JSON", "{events:", 400],
    ["not a batch", JSON.stringify([event("a")]), 400],
    ["an empty batch", JSON.stringify({ events: [] }), 400],
    [
      "501 events",
      JSON.stringify({ events: Array.from({ length: 501 }, (_, i) => event(`e${i}`)) }),
      400,
    ],
    ["over 1 MB", JSON.stringify({ events: [event("a")], pad: "x".repeat(1_100_000) }), 413],
  ])("answers %s with %s and a reason", async (_, body, status) => {
    const response = await handler(request(body));
    expect(response.statusCode).toBe(status);
    expect(JSON.parse(response.body).message).toEqual(expect.any(String));
    expect(sqsMock.commandCalls(SendMessageBatchCommand)).toHaveLength(0);
  });

  it("answers 401 when no app identity reached it", async () => {
    const response = await handler(request(JSON.stringify({ events: [event("a")] }), null));
    expect(response.statusCode).toBe(401);
  });

  it("never answers 5xx and never queues an invalid event, whatever the body", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.string(),
          fc.json(),
          fc.jsonValue().map((events) => JSON.stringify({ events })),
          fc.array(fc.anything(), { maxLength: 5 }).map((events) => JSON.stringify({ events })),
        ),
        async (body) => {
          sqsMock.resetHistory();
          const response = await handler(request(body));
          expect(response.statusCode).toBeLessThan(500);
          const queued = sqsMock
            .commandCalls(SendMessageBatchCommand)
            .flatMap((c) => c.args[0].input.Entries ?? []);
          if (response.statusCode === 202) {
            expect(queued).toHaveLength(JSON.parse(response.body).accepted);
          } else {
            expect(queued).toHaveLength(0);
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});
