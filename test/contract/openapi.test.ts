/**
 * docs/openapi.json is generated from the zod schemas and the topology's routes: this fails when
 * the committed file drifts from them, and checks that the JSON Schema part accepts what the
 * handlers accept (a sample of every event type) and refuses what they refuse.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { Ajv2020 } from "ajv/dist/2020.js";
import { describe, expect, it } from "vitest";
import { contactRequestSchema } from "../../lambdas/domain/contact.js";
import { behaviourEventSchema, EVENT_TYPES, type EventType } from "../../lambdas/domain/events.js";
import { buildOpenApiDocument, renderOpenApi } from "../../lambdas/domain/openapi.js";
import { API_KEY_HEADER, routes } from "../../lib/topology.js";
import { REPO_ROOT } from "../../local/paths.js";

const committedPath = join(REPO_ROOT, "docs", "openapi.json");

const PROPERTIES: Readonly<Partial<Record<EventType, object>>> = {
  session: { durationSec: 312 },
  page_view: { page: "/home" },
  page_load: { ms: 3400, page: "/cart" },
  search: { query: "running shoes", resultCount: 0 },
  product_view: { productId: "p-1" },
  add_to_cart: { productId: "p-1" },
  purchase: { orderId: "o-1", amount: 99.5, currency: "CNY", couponCode: "WELCOME" },
  refund: { orderId: "o-1", amount: 20 },
  return: { orderId: "o-1", amount: 20, currency: "USD" },
  review: { rating: 4 },
};

function sampleEvent(type: EventType, index: number) {
  const properties = PROPERTIES[type];
  return {
    eventId: `e-${index}`,
    userId: "u-1",
    type,
    occurredAt: "2026-11-23T09:00:00+08:00",
    ...(properties ? { properties } : {}),
    context: { platform: "ios", timezone: "Asia/Shanghai" },
  };
}

/** A validator for one component, with the other components reachable through `$ref`. */
function validatorFor(name: string) {
  const document = buildOpenApiDocument() as { components: object };
  // strict off: the OpenAPI-only keywords (discriminator, example) are not JSON Schema.
  // Formats off: every `format` in the document also carries the `pattern` zod checks.
  const ajv = new Ajv2020({ strict: false, validateFormats: false, allErrors: true });
  return ajv.compile({ components: document.components, $ref: `#/components/schemas/${name}` });
}

describe("docs/openapi.json", () => {
  it("is what `npm run openapi` generates from the zod schemas", () => {
    let committed = "";
    try {
      committed = readFileSync(committedPath, "utf8");
    } catch {
      // compared below, so the message says what to do
    }
    expect(
      committed === renderOpenApi(),
      "docs/openapi.json is out of date with the zod schemas or the routes: run `npm run openapi` and commit the result",
    ).toBe(true);
  });

  it("describes every route of the topology, with the API key scheme on every operation", () => {
    const document = buildOpenApiDocument() as {
      openapi: string;
      security: unknown;
      paths: Record<string, Record<string, { responses: Record<string, unknown> }>>;
      components: { securitySchemes: Record<string, unknown> };
    };
    expect(document.openapi).toBe("3.1.0");
    expect(document.security).toEqual([{ apiKey: [] }]);
    expect(document.components.securitySchemes.apiKey).toMatchObject({
      type: "apiKey",
      in: "header",
      name: API_KEY_HEADER,
    });
    for (const route of routes) {
      const operation = document.paths[route.path]?.[route.method.toLowerCase()];
      expect(operation, `${route.method} ${route.path}`).toBeDefined();
      expect(Object.keys(operation?.responses ?? {})).toEqual(
        expect.arrayContaining(["400", "401", "429"]),
      );
    }
    expect(Object.keys(document.paths["/v1/events"]?.post?.responses ?? {}).sort()).toEqual([
      "202",
      "400",
      "401",
      "413",
      "429",
    ]);
  });
});

describe("the JSON Schema part agrees with zod", () => {
  const validBatch = validatorFor("EventBatch");
  const validEvent = validatorFor("Event");
  const validContact = validatorFor("ContactRequest");

  it.each(EVENT_TYPES.map((type, index) => [type, index] as const))(
    "accepts a valid %s event, as zod does",
    (type, index) => {
      const event = sampleEvent(type, index);
      expect(behaviourEventSchema.safeParse(event).success).toBe(true);
      expect(validEvent(event), JSON.stringify(validEvent.errors)).toBe(true);
    },
  );

  it("accepts a batch of one event of every type", () => {
    const batch = { events: EVENT_TYPES.map(sampleEvent) };
    expect(validBatch(batch), JSON.stringify(validBatch.errors)).toBe(true);
  });

  it.each([
    ["an unknown type", { ...sampleEvent("login", 0), type: "teleport" }],
    ["a missing userId", { ...sampleEvent("login", 0), userId: undefined }],
    ["an e-mail address as userId", { ...sampleEvent("login", 0), userId: "a@example.com" }],
    ["a negative duration", { ...sampleEvent("session", 0), properties: { durationSec: -1 } }],
    ["an amount as a string", { ...sampleEvent("purchase", 0), properties: { amount: "9" } }],
    ["a date without offset", { ...sampleEvent("login", 0), occurredAt: "2026-11-23T09:00:00" }],
  ])("refuses an event with %s, as zod does", (_what, event) => {
    const json = JSON.parse(JSON.stringify(event));
    expect(behaviourEventSchema.safeParse(json).success).toBe(false);
    expect(validEvent(json)).toBe(false);
  });

  it("refuses an empty batch and accepts a valid contact request", () => {
    expect(validBatch({ events: [] })).toBe(false);
    const contact = {
      locale: "zh-CN",
      channels: {
        email: { address: "u1@example.com", consent: { granted: true, source: "signup" } },
        sms: { phone: "+8613800138000", consent: { granted: false } },
        push: { token: "t", platform: "ios", consent: { granted: true } },
      },
    };
    expect(contactRequestSchema.safeParse(contact).success).toBe(true);
    expect(validContact(contact), JSON.stringify(validContact.errors)).toBe(true);
    expect(validContact({ channels: { fax: {} } })).toBe(false);
  });
});
