/**
 * Bad input against the real local server (RELIABILITY 20): random and malformed bodies for
 * `POST /v1/events` and `PUT /v1/users/{userId}/contact`. Whatever arrives, the answer is never
 * a 5xx, always JSON with a `message`, and a 400 or a rejected event says which field and why.
 * The server keeps answering `/health` throughout.
 */
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EVENT_TYPES, type EventType } from "../../lambdas/domain/events.js";
import {
  contactResponseSchema,
  errorResponseSchema,
  ingestResultSchema,
} from "../../lambdas/domain/openapi.js";
import { MAX_BODY_BYTES } from "../../lib/topology.js";
import { type LocalMode, startLocal } from "../../local/index.js";

let local: LocalMode;

// biome-ignore lint/suspicious/noExplicitAny: response bodies are asserted field by field
type Json = any;

interface Answer {
  readonly status: number;
  readonly body: Json;
}

async function send(method: string, path: string, body: string | undefined): Promise<Answer> {
  const response = await fetch(`${local.url}${path}`, {
    method,
    headers: { "x-api-key": local.apiKey, "content-type": "application/json" },
    ...(body === undefined ? {} : { body }),
  });
  const text = await response.text();
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new Error(`${method} ${path} answered ${response.status} with non-JSON: ${text}`);
  }
  return { status: response.status, body: parsed };
}

function isJson(text: string | undefined): boolean {
  if (text === undefined || text.trim() === "") return false;
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

function expectReasons(errors: Json, context: string): void {
  expect(Array.isArray(errors) && errors.length > 0, `${context}: no reasons given`).toBe(true);
  for (const error of errors) {
    expect(typeof error.field === "string" && error.field !== "", context).toBe(true);
    expect(typeof error.message === "string" && error.message !== "", context).toBe(true);
  }
}

/** What every answer to any body must be: no 5xx, JSON with a message or the documented shape. */
function expectSound(answer: Answer, sent: string | undefined, context: string): void {
  expect(answer.status, `${context}: ${JSON.stringify(answer.body)}`).toBeLessThan(500);
  if (answer.status === 202 || answer.status === 200) return;
  expect(errorResponseSchema.safeParse(answer.body).success, context).toBe(true);
  expect(answer.body.message.length, context).toBeGreaterThan(0);
  // A body that parsed as JSON but was refused: the answer names the fields.
  if (answer.status === 400 && isJson(sent)) expectReasons(answer.body.errors, context);
}

/** POST /v1/events: also checks the 202's accounting and every rejection's reasons. */
async function postEvents(body: string | undefined): Promise<Answer> {
  const answer = await send("POST", "/v1/events", body);
  const context = `POST /v1/events ${body?.slice(0, 300)}`;
  expectSound(answer, body, context);
  if (answer.status === 202) {
    expect(ingestResultSchema.safeParse(answer.body).success, context).toBe(true);
    const sentEvents = (JSON.parse(body as string) as { events: unknown[] }).events;
    const { accepted, duplicates, rejected } = answer.body;
    expect(accepted + duplicates + rejected.length, context).toBe(sentEvents.length);
    for (const rejection of rejected) expectReasons(rejection.errors, context);
  } else {
    expect([400, 413], context).toContain(answer.status);
  }
  return answer;
}

async function putContact(userIdPath: string, body: string | undefined): Promise<Answer> {
  const path = `/v1/users/${userIdPath}/contact`;
  const answer = await send("PUT", path, body);
  const context = `PUT ${path} ${body?.slice(0, 300)}`;
  expectSound(answer, body, context);
  if (answer.status === 200) {
    expect(contactResponseSchema.safeParse(answer.body).success, context).toBe(true);
  } else {
    // 404/405: a userId of "." or ".." moves the URL to another route, as it would on AWS.
    expect([400, 404, 405, 413], context).toContain(answer.status);
  }
  return answer;
}

// ── Generators.

const recent = () => new Date(Date.now() - 3_600_000).toISOString();

const PROPERTIES: Readonly<Partial<Record<EventType, Record<string, unknown>>>> = {
  session: { durationSec: 60 },
  page_load: { ms: 1200 },
  search: { query: "shoes", resultCount: 3 },
  purchase: { orderId: "o-1", amount: 99.5, currency: "CNY" },
  refund: { orderId: "o-1", amount: 10 },
  return: { orderId: "o-1", amount: 10 },
  review: { rating: 5 },
};

const validEvent = fc
  .record({
    id: fc.uuid(),
    user: fc.stringMatching(/^u-[a-z0-9]{1,8}$/),
    type: fc.constantFrom(...EVENT_TYPES),
  })
  .map(({ id, user, type }) => ({
    eventId: id,
    userId: user,
    type,
    occurredAt: recent(),
    ...(PROPERTIES[type] ? { properties: { ...PROPERTIES[type] } } : {}),
  }));

const FIELDS = ["eventId", "userId", "type", "occurredAt", "properties", "context"] as const;

const badUserId = fc.oneof(
  fc.emailAddress(),
  fc.constantFrom("+8613800138000", "13800138000", "+14155550123", "", "a b", "ü-1"),
  fc.string({ minLength: 129, maxLength: 300 }),
);

/** A valid event with one thing wrong with it (or, sometimes, nothing). */
const mutatedEvent = fc
  .tuple(
    validEvent,
    fc.oneof(
      fc.record({ kind: fc.constant("drop" as const), field: fc.constantFrom(...FIELDS) }),
      fc.record({
        kind: fc.constant("replace" as const),
        field: fc.constantFrom(...FIELDS),
        value: fc.jsonValue(),
      }),
      fc.record({ kind: fc.constant("userId" as const), value: badUserId }),
      fc.record({ kind: fc.constant("type" as const), value: fc.string() }),
      fc.record({
        kind: fc.constant("property" as const),
        key: fc.constantFrom("durationSec", "ms", "amount", "rating", "resultCount", "currency"),
        value: fc.oneof(fc.jsonValue(), fc.double(), fc.integer({ min: -1e9, max: -1 })),
      }),
      fc.record({ kind: fc.constant("date" as const), value: fc.oneof(fc.string(), fc.date()) }),
      fc.constant({ kind: "none" as const }),
    ),
  )
  .map(([event, mutation]): unknown => {
    const copy: Record<string, unknown> = { ...event };
    switch (mutation.kind) {
      case "drop":
        delete copy[mutation.field];
        return copy;
      case "replace":
        return { ...copy, [mutation.field]: mutation.value };
      case "userId":
        return { ...copy, userId: mutation.value };
      case "type":
        return { ...copy, type: mutation.value };
      case "property":
        return {
          ...copy,
          properties: { ...(copy.properties as object), [mutation.key]: mutation.value },
        };
      case "date":
        return {
          ...copy,
          occurredAt: Number.isNaN(mutation.value.valueOf()) ? "Invalid Date" : mutation.value,
        };
      case "none":
        break;
    }
    return copy;
  });

/** JSON text the way hand-written or broken clients produce it. */
const rawEventsText = fc.oneof(
  fc.string(),
  fc.string({ unit: "binary" }),
  fc.jsonValue().map((value) => JSON.stringify(value)),
  fc.tuple(mutatedEvent, fc.nat()).map(([event, cut]) => {
    const text = JSON.stringify({ events: [event] });
    return text.slice(0, cut % text.length);
  }),
  fc
    .constantFrom("1e999", "-1e999", "NaN", "Infinity", "-Infinity", "1e308", "0x10", "-0", "01")
    .map(
      (amount) =>
        `{"events":[{"eventId":"e-raw","userId":"u-raw","type":"purchase","occurredAt":"${recent()}",` +
        `"properties":{"orderId":"o","amount":${amount},"currency":"CNY"}}]}`,
    ),
  fc.constantFrom("", " ", "null", "[]", "{}", '{"events":null}', '{"events":[]}', '{"events":{}}'),
);

const validContact = {
  locale: "en",
  timezone: "Europe/Berlin",
  channels: {
    email: { address: "u@example.com", consent: { granted: true, source: "signup" } },
    sms: { phone: "+8613800138000", consent: { granted: false } },
    push: { token: "tok", platform: "ios", consent: { granted: true } },
  },
};

const CONTACT_PATHS = [
  ["locale"],
  ["timezone"],
  ["firstName"],
  ["channels"],
  ["channels", "email"],
  ["channels", "email", "address"],
  ["channels", "email", "consent"],
  ["channels", "email", "consent", "granted"],
  ["channels", "email", "consent", "at"],
  ["channels", "sms", "phone"],
  ["channels", "push", "platform"],
  ["channels", "push", "token"],
  ["channels", "fax"],
  ["extra"],
] as const;

function setPath(target: Json, path: readonly string[], value: unknown): Json {
  const [head, ...rest] = path as [string, ...string[]];
  const copy = typeof target === "object" && target !== null ? { ...target } : {};
  if (rest.length === 0) {
    if (value === undefined) delete copy[head];
    else copy[head] = value;
  } else {
    copy[head] = setPath(copy[head], rest, value);
  }
  return copy;
}

const contactBody = fc.oneof(
  fc.jsonValue().map((value) => JSON.stringify(value)),
  fc.string(),
  fc
    .tuple(fc.constantFrom(...CONTACT_PATHS), fc.option(fc.jsonValue(), { nil: undefined }))
    .map(([path, value]) => JSON.stringify(setPath(validContact, path, value))),
);

const pathUserId = fc.oneof(
  fc.stringMatching(/^u-[a-z0-9]{1,8}$/),
  badUserId,
  fc.string({ unit: "grapheme", maxLength: 40 }),
);

// ── Tests.

beforeAll(async () => {
  // Throttling off: the fuzz sends requests back to back, faster than a usage plan allows.
  local = await startLocal({ port: 0, schedules: false, throttle: false });
});

afterAll(async () => {
  await local?.stop();
});

describe("POST /v1/events with bad input", () => {
  it("answers any JSON value as a body without a 5xx, and says why it is not a batch", async () => {
    await fc.assert(
      fc.asyncProperty(fc.jsonValue(), async (value) => {
        await postEvents(JSON.stringify(value));
      }),
      { numRuns: 60 },
    );
  });

  it("answers malformed and hand-written JSON text without a 5xx", async () => {
    await fc.assert(
      fc.asyncProperty(rawEventsText, async (text) => {
        await postEvents(text);
      }),
      { numRuns: 80 },
    );
  });

  it("accounts for every event of a batch of broken events, each rejection with its reasons", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.oneof({ weight: 4, arbitrary: mutatedEvent }, fc.jsonValue()), {
          minLength: 1,
          maxLength: 20,
        }),
        async (events) => {
          await postEvents(JSON.stringify({ events }));
        },
      ),
      { numRuns: 80 },
    );
  });

  const valid = () => ({
    eventId: "e-1",
    userId: "u-1",
    type: "session",
    occurredAt: recent(),
    properties: { durationSec: 5 },
  });
  const purchase = (amount: string) =>
    `{"events":[{"eventId":"e-p","userId":"u-1","type":"purchase","occurredAt":"${recent()}",` +
    `"properties":{"orderId":"o-1","amount":${amount},"currency":"CNY"}}]}`;

  it.each([
    ["a wrong type", JSON.stringify({ events: [{ ...valid(), eventId: 42 }] }), "eventId"],
    ["a missing field", JSON.stringify({ events: [{ ...valid(), userId: undefined }] }), "userId"],
    ["an unknown type", JSON.stringify({ events: [{ ...valid(), type: "teleport" }] }), "type"],
    [
      "a negative duration",
      JSON.stringify({ events: [{ ...valid(), properties: { durationSec: -3 } }] }),
      "properties.durationSec",
    ],
    ["an infinite amount (1e999)", purchase("1e999"), "properties.amount"],
    ["a negative infinite amount", purchase("-1e999"), "properties.amount"],
    ["an amount as a string", purchase('"12.50"'), "properties.amount"],
    [
      "an e-mail as userId",
      JSON.stringify({ events: [{ ...valid(), userId: "a@b.cn" }] }),
      "userId",
    ],
    [
      "a phone number as userId",
      JSON.stringify({ events: [{ ...valid(), userId: "13800138000" }] }),
      "userId",
    ],
    [
      "an E.164 number as userId",
      JSON.stringify({ events: [{ ...valid(), userId: "+8613800138000" }] }),
      "userId",
    ],
  ])("rejects an event with %s and names the field", async (_what, body, field) => {
    const answer = await postEvents(body);
    expect(answer.status).toBe(202);
    expect(answer.body.accepted).toBe(0);
    const errors = answer.body.rejected[0].errors as { field: string; message: string }[];
    expect(errors.map((error) => error.field)).toContain(field);
  });

  it("says why for NaN, Infinity and other non-JSON numbers", async () => {
    for (const amount of ["NaN", "Infinity", "-Infinity", "0x10", "01"]) {
      const answer = await postEvents(purchase(amount));
      expect(answer.status).toBe(400);
      expect(answer.body.message).toMatch(/not valid JSON/);
    }
  });

  it("refuses a body over 1 MB with 413, and a 1 MB string in any field per event", async () => {
    const huge = "x".repeat(MAX_BODY_BYTES);
    const over = await postEvents(JSON.stringify({ events: [{ ...valid(), userId: huge }] }));
    expect(over.status).toBe(413);
    expect(over.body.message).toMatch(/larger than 1048576 bytes/);

    const almost = "x".repeat(MAX_BODY_BYTES - 1_000);
    const fields: [string, Record<string, unknown>][] = [
      ["eventId", { ...valid(), eventId: almost }],
      ["userId", { ...valid(), userId: almost }],
      ["type", { ...valid(), type: almost }],
      ["occurredAt", { ...valid(), occurredAt: almost }],
      [
        "properties.query",
        { ...valid(), type: "search", properties: { query: almost, resultCount: 1 } },
      ],
      [
        "properties.orderId",
        {
          ...valid(),
          type: "purchase",
          properties: { orderId: almost, amount: 1, currency: "CNY" },
        },
      ],
      ["context.deviceId", { ...valid(), context: { deviceId: almost } }],
      ["context.timezone", { ...valid(), context: { timezone: almost } }],
    ];
    for (const [field, event] of fields) {
      const answer = await postEvents(JSON.stringify({ events: [event] }));
      expect(answer.status, field).toBe(202);
      expect(answer.body.rejected[0].errors.map((e: { field: string }) => e.field)).toContain(
        field,
      );
    }
  });
});

describe("PUT /v1/users/{userId}/contact with bad input", () => {
  it("answers any body without a 5xx, naming the fields it refuses", async () => {
    await fc.assert(
      fc.asyncProperty(contactBody, async (body) => {
        await putContact("u-fuzz", body);
      }),
      { numRuns: 100 },
    );
  });

  it("answers any userId in the path without a 5xx", async () => {
    await fc.assert(
      fc.asyncProperty(pathUserId, async (userId) => {
        const answer = await putContact(encodeURIComponent(userId), JSON.stringify(validContact));
        if (userId.includes("@") || userId.includes("+") || /^1[3-9]\d{9}$/.test(userId)) {
          expect(answer.status).toBeGreaterThanOrEqual(400);
        }
      }),
      { numRuns: 60 },
    );
  });

  it("refuses e-mail addresses and phone numbers as the userId", async () => {
    for (const userId of ["a@example.com", "13800138000", "+8613800138000"]) {
      const answer = await putContact(encodeURIComponent(userId), JSON.stringify(validContact));
      expect(answer.status).toBe(400);
      expect(answer.body.errors.map((e: { field: string }) => e.field)).toContain("userId");
    }
  });

  it("refuses a 1 MB body with 413 and a 1 MB time zone or token with 400", async () => {
    const over = await putContact(
      "u-big",
      JSON.stringify({ ...validContact, firstName: "x".repeat(MAX_BODY_BYTES) }),
    );
    expect(over.status).toBe(413);
    const almost = "x".repeat(MAX_BODY_BYTES - 1_000);
    for (const [path, field] of [
      [["timezone"], "timezone"],
      [["firstName"], "firstName"],
      [["channels", "push", "token"], "channels.push.token"],
      [["channels", "sms", "phone"], "channels.sms.phone"],
      [["channels", "email", "consent", "source"], "channels.email.consent.source"],
    ] as const) {
      const answer = await putContact("u-big", JSON.stringify(setPath(validContact, path, almost)));
      expect(answer.status, field).toBe(400);
      expect(answer.body.errors.map((e: { field: string }) => e.field)).toContain(field);
    }
  });

  // Unbounded, these once passed validation and DynamoDB refused the 400 KB+ item with a 500.
  it.each([
    [["channels", "email", "address"], `${"a".repeat(600_000)}@example.com`],
    [["channels", "push", "endpointArn"], `arn:${"x".repeat(600_000)}`],
  ] as const)("refuses a 600 KB %j with 400", async (path, value) => {
    const answer = await send(
      "PUT",
      "/v1/users/u-big/contact",
      JSON.stringify(setPath(validContact, path, value)),
    );
    expect(answer.status).toBe(400);
  });
});

describe("after the fuzz", () => {
  it("the server still answers, and the pipeline settles", async () => {
    const health = await fetch(`${local.url}/health`);
    expect(health.status).toBe(200);
    expect(await health.json()).toMatchObject({ status: "ok" });
    await local.waitForIdle(20_000);
  });

  // Once accepted with 202 and then lost to the DLQ: the base-currency value (1e202 minor
  // units) was not a safe integer and failed the events queue's contract on every delivery.
  it("rejects at ingest an amount whose base-currency value is not a safe integer", async () => {
    const answer = await postEvents(
      JSON.stringify({
        events: [
          {
            eventId: "e-huge",
            userId: "u-huge",
            type: "purchase",
            occurredAt: recent(),
            properties: { orderId: "o-huge", amount: 1e200, currency: "CNY" },
          },
        ],
      }),
    );
    expect(answer.body.accepted).toBe(0);
    expect(answer.body.rejected[0]?.errors[0]?.field).toBe("properties.amount");
  });
});
