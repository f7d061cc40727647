/**
 * Local mode started for real — DynamoDB Local (one JVM for the file), fauxqs, HTTP server,
 * pollers — with stand-in handlers, so these tests hold whatever the real handlers do.
 */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer, request as httpRequest } from "node:http";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DescribeTimeToLiveCommand, DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { PublishCommand, SNSClient } from "@aws-sdk/client-sns";
import { GetQueueAttributesCommand, SendMessageCommand } from "@aws-sdk/client-sqs";
import { DynamoDBDocumentClient, PutCommand } from "@aws-sdk/lib-dynamodb";
import type {
  APIGatewayProxyEvent,
  APIGatewayRequestAuthorizerEvent,
  Context,
  ScheduledEvent,
  SQSEvent,
} from "aws-lambda";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { FunctionName } from "../../lib/topology.js";
import { createSqsClient, LOCAL_CREDENTIALS, LOCAL_REGION } from "../../local/aws-clients.js";
import { freePort } from "../../local/emulators/free-port.js";
import {
  EnvironmentError,
  type LambdaHandler,
  type LocalMode,
  startLocal,
} from "../../local/index.js";

const KEY = "test-key-123";
const received: Partial<Record<FunctionName, unknown[]>> = {};
const contexts: Context[] = [];

function record(name: FunctionName, event: unknown): void {
  received[name] = [...(received[name] ?? []), event];
}

function header(event: { headers: Record<string, string | undefined> | null }, name: string) {
  return Object.entries(event.headers ?? {}).find(([key]) => key.toLowerCase() === name)?.[1];
}

const json = (statusCode: number, body: unknown) => ({
  statusCode,
  headers: { "content-type": "application/json" },
  body: JSON.stringify(body),
});

/** Stand-ins for every function, so no real handler module is loaded. */
const handlers: Record<FunctionName, LambdaHandler> = {
  authorizer: (async (event: APIGatewayRequestAuthorizerEvent) => {
    record("authorizer", event);
    const key = header(event, "x-api-key");
    const effect = key === KEY ? "Allow" : key === "deny-me" ? "Deny" : undefined;
    if (!effect) throw new Error("Unauthorized");
    return {
      principalId: "key-1",
      policyDocument: {
        Version: "2012-10-17",
        Statement: [{ Action: "execute-api:Invoke", Effect: effect, Resource: event.methodArn }],
      },
      context: { appId: "local" },
      usageIdentifierKey: key,
    };
  }) as LambdaHandler,
  ingest: (async (event: APIGatewayProxyEvent, context: Context) => {
    record("ingest", event);
    contexts.push(context);
    return json(202, {
      resource: event.resource,
      appId: event.requestContext.authorizer?.appId,
      bytes: event.body?.length,
    });
  }) as LambdaHandler,
  contact: (async (event: APIGatewayProxyEvent) => {
    if (event.pathParameters?.userId === "boom") throw new Error("secret stack detail");
    return json(200, { userId: event.pathParameters?.userId });
  }) as LambdaHandler,
  users: (async (event: APIGatewayProxyEvent) => {
    if (event.pathParameters?.userId === "malformed") return { body: "no status code" };
    return {
      statusCode: 200,
      headers: { "x-custom": "1" },
      multiValueHeaders: { "set-cookie": ["a=1", "b=2"] },
      body: Buffer.from(JSON.stringify({ method: event.httpMethod })).toString("base64"),
      isBase64Encoded: true,
    };
  }) as LambdaHandler,
  features: (async (event: SQSEvent) => {
    record("features", event);
    return { batchItemFailures: [] };
  }) as LambdaHandler,
  scoreDispatch: (async (event: ScheduledEvent) => {
    record("scoreDispatch", event);
    return { runId: `scoring@${event.time}`, asOf: event.time, segments: 2, status: "dispatched" };
  }) as LambdaHandler,
  score: (async (event: SQSEvent) => record("score", event)) as LambdaHandler,
  plan: (async (event: SQSEvent) => record("plan", event)) as LambdaHandler,
  release: (async (event: ScheduledEvent) => record("release", event)) as LambdaHandler,
  reports: (async () => json(200, { experiments: [] })) as LambdaHandler,
  feedback: (async (event: SQSEvent) => record("feedback", event)) as LambdaHandler,
  sms: (async (event: SQSEvent) => record("sms", event)) as LambdaHandler,
  email: (async (event: SQSEvent) => record("email", event)) as LambdaHandler,
  push: (async (event: SQSEvent) => record("push", event)) as LambdaHandler,
};

let local: LocalMode;
let dataDir: string;

async function call(method: string, path: string, options: { key?: string; body?: string } = {}) {
  const response = await fetch(`${local.url}${path}`, {
    method,
    headers: options.key ? { "x-api-key": options.key } : {},
    ...(options.body === undefined ? {} : { body: options.body }),
  });
  const text = await response.text();
  return {
    status: response.status,
    headers: response.headers,
    text,
    body: text.startsWith("{") ? JSON.parse(text) : text,
  };
}

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), "churnwatch-local-"));
  local = await startLocal({
    port: 0,
    dataDir,
    apiKey: KEY,
    schedules: false,
    handlers,
    logLevel: "silent",
  });
});

afterAll(async () => {
  await local?.stop();
  await rm(dataDir, { recursive: true, force: true });
});

describe("local mode", () => {
  it("is ready well within 30 s and reports health without a key", async () => {
    expect(local.startupMs).toBeLessThan(30_000);
    expect(local.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const health = await call("GET", "/health");
    expect(health).toMatchObject({ status: 200, body: { status: "ok" } });
  });

  it("answers 401 without calling the authorizer when the key header is missing", async () => {
    const before = received.authorizer?.length ?? 0;
    const response = await call("POST", "/v1/events", { body: "{}" });
    expect(response).toMatchObject({ status: 401, body: { message: "Unauthorized" } });
    expect(received.authorizer?.length ?? 0).toBe(before);
  });

  it("answers 401 when the authorizer throws Unauthorized, 403 on an explicit Deny", async () => {
    expect(await call("POST", "/v1/events", { key: "wrong", body: "{}" })).toMatchObject({
      status: 401,
      body: { message: "Unauthorized" },
    });
    expect((await call("POST", "/v1/events", { key: "deny-me", body: "{}" })).status).toBe(403);
  });

  it("hands the route's handler an API Gateway proxy event with the authorizer's context", async () => {
    const response = await call("POST", "/v1/events", { key: KEY, body: '{"events":[]}' });
    expect(response).toMatchObject({
      status: 202,
      body: { resource: "/v1/events", appId: "local", bytes: 13 },
    });
    const event = received.ingest?.at(-1) as APIGatewayProxyEvent;
    expect(event.requestContext.authorizer).toMatchObject({ appId: "local", principalId: "key-1" });
    expect(event).toMatchObject({
      httpMethod: "POST",
      isBase64Encoded: false,
      body: '{"events":[]}',
    });
    const authorizerEvent = received.authorizer?.at(-1) as APIGatewayRequestAuthorizerEvent;
    expect(authorizerEvent.methodArn).toMatch(/:local\/local\/POST\/v1\/events$/);
    expect(contexts.at(-1)?.getRemainingTimeInMillis()).toBeLessThanOrEqual(10_000);
  });

  it("writes status, headers, multi-value headers and base64 bodies from the result", async () => {
    const response = await call("GET", "/v1/users/u1", { key: KEY });
    expect(response.status).toBe(200);
    expect(response.body).toEqual({ method: "GET" });
    expect(response.headers.get("x-custom")).toBe("1");
    expect(response.headers.get("set-cookie")).toBe("a=1, b=2");
  });

  it("answers 413 for a body over 1 MB, declared or streamed", async () => {
    const big = "x".repeat(1_048_577);
    const declared = await call("POST", "/v1/events", { key: KEY, body: big });
    expect(declared.status).toBe(413);
    expect(declared.body.message).toMatch(/larger than 1048576 bytes/);

    const streamed = await new Promise<number>((resolve, reject) => {
      const request = httpRequest(`${local.url}/v1/events`, {
        method: "POST",
        headers: { "x-api-key": KEY, "transfer-encoding": "chunked" },
      });
      request.on("response", (response) => {
        response.resume();
        resolve(response.statusCode ?? 0);
      });
      request.on("error", reject);
      for (let sent = 0; sent < 1_200_000; sent += 100_000) request.write("y".repeat(100_000));
      request.end();
    });
    expect(streamed).toBe(413);
    expect((await call("GET", "/health")).status).toBe(200);
  });

  it("answers 404 for unknown routes and 405 for a wrong method", async () => {
    expect(await call("GET", "/v2/nothing", { key: KEY })).toMatchObject({
      status: 404,
      body: { message: "Not Found" },
    });
    expect((await call("POST", "/_local/schedules/%E0%A4%A/run", { key: KEY })).status).toBe(404);
    expect((await call("GET", "/v1/users/%E0%A4%A", { key: KEY })).status).toBe(400);
    const wrong = await call("PATCH", "/v1/users/u1", { key: KEY });
    expect(wrong.status).toBe(405);
    expect(wrong.headers.get("allow")).toBe("GET, DELETE");
  });

  it("answers 500 without details when a handler throws, 502 for a malformed result", async () => {
    const failed = await call("PUT", "/v1/users/boom/contact", { key: KEY, body: "{}" });
    expect(failed).toMatchObject({ status: 500, body: { message: "Internal server error" } });
    expect(failed.text).not.toContain("secret");
    expect((await call("GET", "/v1/users/malformed", { key: KEY })).status).toBe(502);
  });

  it("survives requests that are not HTTP", async () => {
    const answer = await new Promise<string>((resolve) => {
      const socket = connect(local.port, "127.0.0.1", () => socket.write("NONSENSE\r\n\r\n"));
      let data = "";
      socket.on("data", (chunk) => {
        data += chunk;
      });
      socket.on("close", () => resolve(data));
    });
    expect(answer).toContain("400");
    expect((await call("GET", "/health")).status).toBe(200);
  });

  it("protects the local endpoints with the API key", async () => {
    expect((await call("GET", "/_local/stats")).status).toBe(401);
    expect((await call("GET", "/_local/idle", { key: "wrong" })).status).toBe(401);
    // The clock of the actions path: neither read nor moved without the key.
    expect((await call("GET", "/_local/clock")).status).toBe(401);
    const moved = await call("PUT", "/_local/clock", {
      key: "wrong",
      body: '{"now":"2030-01-01T00:00:00Z"}',
    });
    expect(moved.status).toBe(401);
    expect((await call("DELETE", "/_local/clock")).status).toBe(401);
    const clock = await call("GET", "/_local/clock", { key: KEY });
    expect(clock.status).toBe(200);
    expect(Math.abs(Date.parse(clock.body.now) - Date.now())).toBeLessThan(60_000);
    const stats = await call("GET", "/_local/stats", { key: KEY });
    expect(stats.status).toBe(200);
    expect(Object.keys(stats.body.queues)).toEqual([
      "events",
      "scoring",
      "warnings",
      "sms",
      "email",
      "push",
      "feedback",
    ]);
    expect((await call("GET", "/_local/idle", { key: KEY })).body).toMatchObject({ idle: true });
  });

  it("runs a schedule now as of a date, over HTTP and in process", async () => {
    const run = await call("POST", "/_local/schedules/scoring/run", {
      key: KEY,
      body: '{"asOf":"2024-05-01"}',
    });
    expect(run).toMatchObject({
      status: 200,
      body: { asOf: "2024-05-01T00:00:00Z", segments: 2, status: "dispatched" },
    });
    const event = received.scoreDispatch?.at(-1) as ScheduledEvent;
    expect(event).toMatchObject({
      "detail-type": "Scheduled Event",
      source: "aws.events",
      time: "2024-05-01T00:00:00Z",
    });
    expect(await local.runSchedule("scoring", "2024-06-01T02:00:00Z")).toMatchObject({
      asOf: "2024-06-01T02:00:00Z",
    });

    expect(
      (await call("POST", "/_local/schedules/scoring/run", { key: KEY, body: '{"asOf":"soon"}' }))
        .status,
    ).toBe(400);
    expect(
      (await call("POST", "/_local/schedules/nope/run", { key: KEY, body: "{}" })).status,
    ).toBe(404);
  });

  it("provisions queues with their DLQ, visibility timeout and redrive, and TTL on tables", async () => {
    const sqs = createSqsClient(local.endpoints.sqs);
    const attributes = await sqs.send(
      new GetQueueAttributesCommand({
        QueueUrl: local.resources.queues.events.url,
        AttributeNames: ["All"],
      }),
    );
    sqs.destroy();
    expect(attributes.Attributes?.VisibilityTimeout).toBe("180");
    expect(JSON.parse(attributes.Attributes?.RedrivePolicy ?? "{}")).toEqual({
      deadLetterTargetArn: local.resources.queues.events.dlqArn,
      maxReceiveCount: 5,
    });
    const dynamodb = new DynamoDBClient({
      endpoint: local.endpoints.dynamodb,
      region: LOCAL_REGION,
      credentials: LOCAL_CREDENTIALS,
    });
    const ttl = await dynamodb.send(
      new DescribeTimeToLiveCommand({ TableName: local.resources.tables.dedupe }),
    );
    dynamodb.destroy();
    expect(ttl.TimeToLiveDescription).toMatchObject({
      TimeToLiveStatus: "ENABLED",
      AttributeName: "expiresAt",
    });
  });

  it("delivers queue messages to the consumer and retention messages by channel", async () => {
    const sqs = createSqsClient(local.endpoints.sqs);
    await sqs.send(
      new SendMessageCommand({
        QueueUrl: local.resources.queues.events.url,
        MessageBody: '{"n":1}',
      }),
    );
    sqs.destroy();
    const sns = new SNSClient({
      endpoint: local.endpoints.sns,
      region: LOCAL_REGION,
      credentials: LOCAL_CREDENTIALS,
    });
    await sns.send(
      new PublishCommand({
        TopicArn: local.resources.topicArns.retention,
        Message: '{"userId":"u1"}',
        MessageAttributes: { channel: { DataType: "String", StringValue: "email" } },
      }),
    );
    sns.destroy();
    await local.waitForIdle(10_000);
    const features = received.features?.at(-1) as SQSEvent;
    expect(features.Records[0]).toMatchObject({
      body: '{"n":1}',
      eventSourceARN: local.resources.queues.events.arn,
    });
    const email = received.email?.at(-1) as SQSEvent;
    expect(email.Records[0]).toMatchObject({
      body: '{"userId":"u1"}',
      messageAttributes: { channel: { stringValue: "email", dataType: "String" } },
    });
    expect(received.sms ?? []).toHaveLength(0);
    expect(received.push ?? []).toHaveLength(0);
  });

  it("counts users, users at risk and events, and shows them on the dashboard", async () => {
    const doc = DynamoDBDocumentClient.from(
      new DynamoDBClient({
        endpoint: local.endpoints.dynamodb,
        region: LOCAL_REGION,
        credentials: LOCAL_CREDENTIALS,
      }),
    );
    const table = local.resources.tables.users;
    await doc.send(
      new PutCommand({
        TableName: table,
        Item: {
          pk: "local#u1",
          sk: "PROFILE",
          eventCount: 4,
          risk: { atRisk: true, tier: "high" },
        },
      }),
    );
    await doc.send(
      new PutCommand({ TableName: table, Item: { pk: "local#u2", sk: "PROFILE", eventCount: 2 } }),
    );
    await doc.send(
      new PutCommand({ TableName: table, Item: { pk: "local#u2", sk: "EVENT#e1", expiresAt: 1 } }),
    );
    doc.destroy();
    await writeFile(
      local.outboxPath,
      `${JSON.stringify({ at: "2024-05-01T00:00:00Z", channel: "email", appId: "local", userId: "u1", to: "a@example.com", subject: "We miss you", body: "<b>hi</b>", dedupeKey: "d1" })}\n`,
    );
    expect(await local.stats()).toMatchObject({
      users: 2,
      usersAtRisk: 1,
      events: 6,
      outbox: { total: 1, byChannel: { email: 1 } },
    });
    const dashboard = await call("GET", "/");
    expect(dashboard.status).toBe(200);
    expect(dashboard.headers.get("content-type")).toContain("text/html");
    expect(dashboard.text).toContain("users at risk");
    expect(dashboard.text).toContain("&lt;b&gt;hi&lt;/b&gt;");
    expect(dashboard.text).not.toContain("a@example.com");
  });

  it("keeps DynamoDB data and the outbox across a restart with the same data directory", async () => {
    const dynamodbEndpoint = local.endpoints.dynamodb;
    await local.stop();
    // The JVM is gone: its port no longer answers.
    await expect(fetch(dynamodbEndpoint, { method: "POST" })).rejects.toThrow();
    local = await startLocal({
      port: 0,
      dataDir,
      apiKey: KEY,
      schedules: false,
      handlers,
      logLevel: "silent",
    });
    expect(await local.stats()).toMatchObject({
      users: 2,
      usersAtRisk: 1,
      events: 6,
      outbox: { total: 1 },
    });
    expect((await call("GET", "/_local/stats", { key: KEY })).status).toBe(200);
  });
});

describe("local mode start failures", () => {
  it("says how to install Java when it is missing (exit code 3), and frees the port", async () => {
    const port = await freePort();
    const failure = await startLocal({
      port,
      javaCommand: "/nonexistent/java",
      logLevel: "silent",
    }).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(EnvironmentError);
    expect(failure).toMatchObject({ exitCode: 3 });
    expect((failure as Error).message).toContain("churnwatch needs Java 17+ for DynamoDB Local");
    const server = createServer();
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(port, "127.0.0.1", resolve);
    });
    await new Promise((resolve) => server.close(resolve));
  });

  it("says the port is in use (exit code 3) before starting anything", async () => {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const port = (server.address() as { port: number }).port;
    const started = Date.now();
    const failure = await startLocal({ port, logLevel: "silent" }).catch((error: unknown) => error);
    await new Promise((resolve) => server.close(resolve));
    expect(failure).toMatchObject({
      exitCode: 3,
      message: `port ${port} is in use: stop the other process or set PORT (or --port)`,
    });
    expect(Date.now() - started).toBeLessThan(2_000);
  });
});
