/**
 * The OpenAPI 3.1 document of the public API, built from the same zod schemas the handlers
 * validate with and from the routes of the topology. `npm run openapi` writes it to
 * docs/openapi.json, local mode serves it at `/openapi.json`, and
 * test/contract/openapi.test.ts fails when the committed file no longer matches.
 *
 * Pure: no I/O, no AWS imports. Lambdas never import it.
 */
import { z } from "zod";
import { API_KEY_HEADER, MAX_BODY_BYTES, type RouteSpec, routes } from "../../lib/topology.js";
import { contactRequestSchema } from "./contact.js";
import {
  behaviourEventSchema,
  type EventType,
  MAX_EVENTS_PER_BATCH,
  userIdSchema,
} from "./events.js";
import { REASON_CODES } from "./reasons.js";

// ── Response shapes. The handlers build these as plain objects; the schemas document them and
// tests check real answers against them.

export const fieldErrorSchema = z
  .object({
    field: z.string().meta({
      description: 'Dotted path of the field, e.g. "properties.amount"; "(root)" for the whole',
    }),
    message: z.string().meta({ description: "Why the value was refused" }),
  })
  .meta({ description: "One reason an input was refused" });

export const errorResponseSchema = z
  .object({
    message: z.string(),
    errors: z
      .array(fieldErrorSchema)
      .optional()
      .meta({ description: "Per-field reasons, where the request had fields to blame" }),
    error: z
      .string()
      .optional()
      .meta({ description: "API Gateway's error type, on answers API Gateway gives itself" }),
    requestId: z.string().optional(),
  })
  .meta({ description: "Every error answer has a message saying what was wrong" });

export const rejectedEventSchema = z
  .object({
    index: z.number().int().nonnegative().meta({ description: "Position in `events`" }),
    eventId: z
      .string()
      .nullable()
      .meta({ description: "The event's eventId, when it had a string one" }),
    errors: z.array(fieldErrorSchema).min(1),
  })
  .meta({ description: "An event that was not accepted, and why" });

export const ingestResultSchema = z
  .object({
    accepted: z
      .number()
      .int()
      .nonnegative()
      .meta({ description: "Events durably queued (an eventId already applied is still counted)" }),
    duplicates: z
      .number()
      .int()
      .nonnegative()
      .meta({
        description:
          "Events identical to an earlier one in the same batch, counted once (the same eventId " +
          "for a different event is rejected)",
      }),
    rejected: z.array(rejectedEventSchema),
  })
  .meta({ description: "One bad event never sinks the batch: each rejection names its reason" });

const consentSchema = z.object({
  granted: z.boolean(),
  at: z.string(),
  source: z.string(),
});

export const channelConsentSchema = z
  .object({
    reachable: z.boolean(),
    consent: consentSchema.nullable(),
    undeliverable: z
      .object({ reason: z.enum(["bounce", "complaint", "invalid_token"]), at: z.string() })
      .optional()
      .meta({ description: "Set when the provider reported the address or device unusable" }),
  })
  .meta({ description: "Whether the user can be reached on a channel and their consent" });

const consentByChannelSchema = z
  .object({
    email: channelConsentSchema,
    push: channelConsentSchema,
    sms: channelConsentSchema,
  })
  .meta({ description: "Consent per channel; never the addresses" });

export const contactResponseSchema = z.object({
  userId: z.string(),
  locale: z.enum(["en", "zh-CN"]),
  timezone: z.string().nullable(),
  channels: consentByChannelSchema,
  updatedAt: z.string(),
});

export const userResponseSchema = z.object({
  userId: z.string(),
  features: z
    .record(z.string(), z.unknown())
    .nullable()
    .meta({
      description:
        "The user's feature record (activity, orders, revenue in base currency, ...); null " +
        "before the first event. See docs/data-model.md.",
    }),
  indicators: z
    .record(z.string(), z.unknown())
    .nullable()
    .meta({
      description:
        "Derived as of the request: lifecycle stage, value tier, activity windows in the user's " +
        "time zone, RFM, interaction change vs baseline, experience signals; null before the first event.",
    }),
  risk: z
    .object({
      score: z.number().min(0).max(1),
      tier: z.enum(["low", "medium", "high", "critical"]),
      atRisk: z.boolean(),
      reasons: z.array(
        z.object({
          code: z.enum(REASON_CODES),
          severity: z.enum(["low", "medium", "high", "critical"]),
          params: z.record(z.string(), z.number()),
        }),
      ),
      asOf: z.string(),
      runId: z.string(),
      model: z.string(),
    })
    .nullable()
    .meta({ description: "The latest scoring run's assessment with reasons; null before one" }),
  consent: consentByChannelSchema,
  actions: z
    .array(
      z
        .object({
          warningId: z.string(),
          asOf: z.string(),
          plannedAt: z.string(),
          tier: z.enum(["low", "medium", "high", "critical"]),
          ruleId: z.string().nullable(),
          campaign: z.string().nullable(),
          experimentId: z.string().nullable(),
          group: z.enum(["control", "variant"]).nullable(),
          variant: z.string().nullable(),
          template: z.string().nullable(),
          channel: z.enum(["email", "sms", "push"]).nullable(),
          outcome: z.enum(["published", "control", "escalated", "no_action", "suppressed"]),
          reason: z.string().nullable(),
          escalated: z.boolean(),
          deliveries: z.array(
            z.object({
              channel: z.enum(["email", "sms", "push"]),
              status: z.enum(["sending", "sent", "suppressed", "failed", "deferred"]),
              completedAt: z.string().nullable(),
              reason: z.string().nullable(),
              deferredUntil: z.string().nullable(),
            }),
          ),
        })
        .loose(),
    )
    .meta({
      description:
        "The latest 20 retention actions, newest first: the policy's decision, the experiment " +
        "group, and what became of each message (sent, held by quiet hours, suppressed and why)",
    }),
});

export const erasureResponseSchema = z.object({
  userId: z.string(),
  erased: z
    .object({
      featureRecords: z.number().int().nonnegative(),
      contact: z.number().int().nonnegative(),
      ledgerEntries: z.number().int().nonnegative(),
      heldMessages: z
        .number()
        .int()
        .nonnegative()
        .meta({ description: "Messages held back by quiet hours, dropped unsent" }),
      runLists: z.number().int().nonnegative().meta({
        description: "Scoring runs' lists of high-value users at risk the user was taken out of",
      }),
      outboxLines: z.number().int().nonnegative().optional().meta({
        description:
          "Local mode only: outbox lines removed (the user's messages and alerts) or redacted (digests listing the user)",
      }),
    })
    .meta({ description: "How many records of each kind were erased" }),
});

/** What `POST /v1/events` takes: the envelope the handler checks, with the event union. */
export const eventBatchDocSchema = z
  .object({
    events: z.array(behaviourEventSchema).min(1).max(MAX_EVENTS_PER_BATCH),
  })
  .meta({
    description:
      `1 to ${MAX_EVENTS_PER_BATCH} events, at most ${MAX_BODY_BYTES} bytes. Only a body that ` +
      "is not such an envelope is a 400; each event is checked on its own (see 202).",
  });

// ── The document.

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

const ref = (name: string): JsonObject => ({ $ref: `#/components/schemas/${name}` });

function pascal(snake: string): string {
  return snake
    .split("_")
    .map((part) => part.charAt(0).toUpperCase() + part.slice(1))
    .join("");
}

type EventVariant = z.ZodObject<{
  type: z.ZodLiteral<EventType>;
  context: z.ZodOptional<z.ZodObject>;
}>;

/** The component schemas, by name, converted with `z.toJSONSchema` (JSON Schema 2020-12). */
function componentSchemas(): { schemas: Record<string, JsonObject>; eventMapping: JsonObject } {
  const registry = z.registry<{ id: string }>();
  const variants = behaviourEventSchema.options as unknown as EventVariant[];
  const eventMapping: JsonObject = {};
  for (const variant of variants) {
    const type = variant.shape.type.value;
    const id = `${pascal(type)}Event`;
    registry.add(variant, { id });
    eventMapping[type] = `#/components/schemas/${id}`;
  }
  const context = variants[0]?.shape.context.unwrap();
  if (context) registry.add(context, { id: "EventContext" });
  registry.add(behaviourEventSchema, { id: "Event" });
  registry.add(eventBatchDocSchema, { id: "EventBatch" });
  registry.add(userIdSchema, { id: "UserId" });
  registry.add(contactRequestSchema, { id: "ContactRequest" });
  registry.add(fieldErrorSchema, { id: "FieldError" });
  registry.add(errorResponseSchema, { id: "Error" });
  registry.add(rejectedEventSchema, { id: "RejectedEvent" });
  registry.add(ingestResultSchema, { id: "IngestResult" });
  registry.add(channelConsentSchema, { id: "ChannelConsent" });
  registry.add(consentByChannelSchema, { id: "ConsentByChannel" });
  registry.add(contactResponseSchema, { id: "ContactResponse" });
  registry.add(userResponseSchema, { id: "User" });
  registry.add(erasureResponseSchema, { id: "Erasure" });

  const converted = z.toJSONSchema(registry, {
    target: "draft-2020-12",
    // Requests are what clients send; the response schemas have no transforms either way.
    io: "input",
    // Refinements (time zones, "no e-mail as user ID") have no JSON Schema form: the field
    // descriptions say them, and the handlers enforce them.
    unrepresentable: "any",
    uri: (id) => `#/components/schemas/${id}`,
  }) as { schemas: Record<string, JsonObject> };

  const schemas: Record<string, JsonObject> = {};
  for (const [name, schema] of Object.entries(converted.schemas)) {
    // OpenAPI 3.1 documents are in the 2020-12 dialect already; a fragment `$id` is not allowed.
    const { $schema: _schema, $id: _id, ...rest } = schema;
    schemas[name] = rest;
  }
  return { schemas, eventMapping };
}

const retryAfter: JsonObject = {
  description: "Seconds to wait before retrying (a whole number, at least 1)",
  schema: { type: "integer", minimum: 1 },
};

function errorResponse(description: string, headers?: JsonObject): JsonObject {
  return {
    description,
    ...(headers ? { headers } : {}),
    content: { "application/json": { schema: ref("Error") } },
  };
}

const COMMON_ERRORS: JsonObject = {
  "401": errorResponse(`No \`${API_KEY_HEADER}\` header, or a key that is unknown or revoked`),
  "429": errorResponse("Throttled: too many requests for this API key", {
    "Retry-After": retryAfter,
  }),
};

const BAD_USER_ID = errorResponse(
  "The userId in the path is not a valid pseudonymous ID; `errors` says why",
);

const userIdParameter: JsonObject = {
  name: "userId",
  in: "path",
  required: true,
  schema: ref("UserId"),
};

const jsonBody = (schema: string, example: Json): JsonObject => ({
  required: true,
  content: { "application/json": { schema: ref(schema), example } },
});

const jsonResult = (description: string, schema: string): JsonObject => ({
  description,
  content: { "application/json": { schema: ref(schema) } },
});

type RouteKey = `${RouteSpec["method"]} ${string}`;

const OPERATIONS: Readonly<Record<RouteKey, JsonObject>> = {
  "POST /v1/events": {
    operationId: "postEvents",
    tags: ["events"],
    summary: "Send behaviour events",
    description:
      "Validates each event on its own: one bad event never sinks the batch, and each " +
      "rejection names the event's index, eventId, field and reason. A repeated eventId counts " +
      "once. Answers 202 once every accepted event is durably queued.",
    requestBody: jsonBody("EventBatch", {
      events: [
        { eventId: "e-1", userId: "u-1", type: "app_open", occurredAt: "2026-11-23T09:00:00Z" },
        {
          eventId: "e-2",
          userId: "u-1",
          type: "purchase",
          occurredAt: "2026-11-23T09:05:00Z",
          properties: { orderId: "o-1", amount: 99.5, currency: "CNY" },
        },
      ],
    }),
    responses: {
      "202": jsonResult("Accepted, duplicates and rejections, per event", "IngestResult"),
      "400": errorResponse(
        'The body is not JSON or not { "events": [...] } with 1 to 500 events; `errors` says why',
      ),
      ...COMMON_ERRORS,
      "413": errorResponse(`The body is larger than ${MAX_BODY_BYTES} bytes`),
    },
  },
  "PUT /v1/users/{userId}/contact": {
    operationId: "putContact",
    tags: ["users"],
    summary: "Replace a user's contact details and consent",
    parameters: [userIdParameter],
    requestBody: jsonBody("ContactRequest", {
      locale: "en",
      timezone: "Europe/Berlin",
      channels: {
        email: { address: "u1@example.com", consent: { granted: true, source: "signup" } },
      },
    }),
    responses: {
      "200": jsonResult("Stored; consent per channel, never the addresses", "ContactResponse"),
      "400": errorResponse("Invalid userId or contact details; `errors` says why per field"),
      ...COMMON_ERRORS,
      "413": errorResponse(`The body is larger than ${MAX_BODY_BYTES} bytes`),
    },
  },
  "GET /v1/users/{userId}": {
    operationId: "getUser",
    tags: ["users"],
    summary: "A user's features, risk with reasons, and consent",
    parameters: [userIdParameter],
    responses: {
      "200": jsonResult("The user", "User"),
      "400": BAD_USER_ID,
      ...COMMON_ERRORS,
      "404": errorResponse("No events and no contact details for this user"),
    },
  },
  "DELETE /v1/users/{userId}": {
    operationId: "eraseUser",
    tags: ["users"],
    summary: "Erase everything about a user",
    description:
      "Erases features, dedupe markers, contact details and ledger entries (and, in local " +
      "mode, outbox lines), and says how many of each went.",
    parameters: [userIdParameter],
    responses: {
      "200": jsonResult("Erased", "Erasure"),
      "400": BAD_USER_ID,
      ...COMMON_ERRORS,
    },
  },
  "GET /v1/reports/winback": {
    operationId: "getWinbackReport",
    tags: ["reports"],
    summary: "Win-back by experiment, variant and control, with uplift",
    description:
      "Per experiment, for the control group and each variant: targeted, sent, delivered, " +
      "opened/clicked where known, won back, rate; for each variant the uplift over control " +
      "with a 95 % confidence interval (Newcombe) and p-value, revenue won back and cost per " +
      "won-back user. Win-back windows start at each warning's as-of time for every group.",
    parameters: [
      queryParameter("experiment", "Only this experiment", { type: "string" }),
      queryParameter("windowDays", "Days after the action a win-back counts (default 30)", {
        type: "integer",
        minimum: 1,
        maximum: 365,
      }),
      queryParameter("winback", "What counts as won back (default purchase)", {
        type: "string",
        enum: ["purchase", "activity"],
      }),
      queryParameter("from", "Actions on or after this day or instant", { type: "string" }),
      queryParameter("to", "Actions on or before this day or instant", { type: "string" }),
    ],
    responses: {
      "200": {
        description: "The report (its shape is documented in docs/actions.md)",
        content: { "application/json": { schema: { type: "object" } } },
      },
      "400": errorResponse("A query parameter is invalid; `errors` says which and why"),
      ...COMMON_ERRORS,
    },
  },
};

function queryParameter(name: string, description: string, schema: JsonObject): JsonObject {
  return { name, in: "query", required: false, description, schema };
}

export const OPENAPI_LOCAL_SERVER = "http://127.0.0.1:3000";

/**
 * The OpenAPI 3.1 document, in a stable key order (see `renderOpenApi`). Local mode passes its
 * own address as the first server.
 */
export function buildOpenApiDocument(localServerUrl = OPENAPI_LOCAL_SERVER): JsonObject {
  const { schemas, eventMapping } = componentSchemas();
  schemas.Event = {
    ...(schemas.Event as JsonObject),
    description: "One behaviour event; `type` decides which `properties` it takes",
    discriminator: { propertyName: "type", mapping: eventMapping },
  };

  const paths: Record<string, JsonObject> = {};
  const documented = new Set<string>();
  for (const route of routes) {
    const key: RouteKey = `${route.method} ${route.path}`;
    const operation = OPERATIONS[key];
    if (!operation) throw new Error(`route ${key} has no OpenAPI operation`);
    documented.add(key);
    paths[route.path] = { ...paths[route.path], [route.method.toLowerCase()]: operation };
  }
  const extra = Object.keys(OPERATIONS).filter((key) => !documented.has(key));
  if (extra.length > 0) throw new Error(`OpenAPI operations without a route: ${extra.join(", ")}`);

  return sortKeys({
    openapi: "3.1.0",
    info: {
      title: "churnwatch API",
      version: "1.0.0",
      description:
        "Behaviour events in, per-user features, churn risk with reasons and consent out. " +
        `Every request carries the app's API key in the \`${API_KEY_HEADER}\` header; the key ` +
        "decides which app's data a request sees, and each key is throttled on its own.",
      license: { name: "Apache-2.0", identifier: "Apache-2.0" },
    },
    servers: [
      { url: localServerUrl, description: "Local mode (`npm start`)" },
      {
        url: "https://{restApiId}.execute-api.{region}.amazonaws.com/{stage}",
        description: "Deployed stack (see the stack's API endpoint output)",
        variables: {
          restApiId: { default: "abc123" },
          region: { default: "us-east-1" },
          stage: { default: "dev", enum: ["dev", "prod"] },
        },
      },
    ],
    security: [{ apiKey: [] }],
    tags: [
      { name: "events", description: "Behaviour events" },
      { name: "users", description: "Per-user features, risk, contact, consent and erasure" },
    ],
    paths,
    components: {
      schemas,
      securitySchemes: {
        apiKey: {
          type: "apiKey",
          in: "header",
          name: API_KEY_HEADER,
          description:
            "A per-app key from `npx churnwatch keys create --app <appId>`; stored only as a " +
            "SHA-256 hash.",
        },
      },
    },
  }) as JsonObject;
}

/** Objects with their keys sorted, recursively; arrays keep their order. */
export function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (typeof value === "object" && value !== null) {
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .map((key) => [key, sortKeys((value as Record<string, unknown>)[key])]),
    );
  }
  return value;
}

/** The document as committed in docs/openapi.json: sorted keys, two-space indent, final newline. */
export function renderOpenApi(): string {
  return `${JSON.stringify(buildOpenApiDocument(), null, 2)}\n`;
}
