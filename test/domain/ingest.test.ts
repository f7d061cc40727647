import { describe, expect, it } from "vitest";
import { DEFAULT_CURRENCY_TABLE } from "../../lambdas/domain/currency.js";
import { classifyBatch } from "../../lambdas/domain/ingest.js";

const rules = {
  now: new Date("2026-11-01T12:00:00Z"),
  horizon: new Date("1990-01-01T00:00:00Z"),
  currencies: DEFAULT_CURRENCY_TABLE,
};
const valid = {
  eventId: "e1",
  userId: "u-1",
  type: "app_open",
  occurredAt: "2026-11-01T10:00:00+08:00",
};

describe("classifyBatch", () => {
  it.each([
    ["unknown type", { ...valid, type: "teleport" }, "type"],
    ["missing userId", { ...valid, userId: undefined }, "userId"],
    ["e-mail as userId", { ...valid, userId: "ann@example.com" }, "userId"],
    ["E.164 phone as userId", { ...valid, userId: "+8613800138000" }, "userId"],
    ["mainland mobile as userId", { ...valid, userId: "13800138000" }, "userId"],
    ["date without offset", { ...valid, occurredAt: "2026-11-01 10:00" }, "occurredAt"],
    [
      "negative session",
      { ...valid, type: "session", properties: { durationSec: -1 } },
      "properties.durationSec",
    ],
    [
      "infinite amount",
      {
        ...valid,
        type: "purchase",
        properties: { orderId: "o", amount: Number.POSITIVE_INFINITY, currency: "CNY" },
      },
      "properties.amount",
    ],
    [
      "lower-case currency",
      { ...valid, type: "purchase", properties: { orderId: "o", amount: 5, currency: "cny" } },
      "properties.currency",
    ],
    ["rating 6", { ...valid, type: "review", properties: { rating: 6 } }, "properties.rating"],
    ["an event from the future", { ...valid, occurredAt: "2026-11-01T12:06:00Z" }, "occurredAt"],
    ["an event before the horizon", { ...valid, occurredAt: "1989-12-31T23:59:59Z" }, "occurredAt"],
    [
      "a currency without a rate",
      { ...valid, type: "purchase", properties: { orderId: "o", amount: 5, currency: "XAU" } },
      "properties.currency",
    ],
    [
      "a bad context time zone",
      { ...valid, context: { timezone: "Moon/Base" } },
      "context.timezone",
    ],
  ])("rejects %s naming the field", (_, event, field) => {
    const result = classifyBatch([event], rules);
    expect(result.accepted).toHaveLength(0);
    expect(result.rejected).toHaveLength(1);
    expect(result.rejected[0]?.index).toBe(0);
    expect(result.rejected[0]?.errors.map((e) => e.field)).toContain(field);
  });

  it("keeps good events when one is bad and names the bad one by index and eventId", () => {
    const result = classifyBatch(
      [valid, { ...valid, eventId: "e2", type: "nope" }, { ...valid, eventId: "e3" }],
      rules,
    );
    expect(result.accepted.map((a) => a.event.eventId)).toEqual(["e1", "e3"]);
    expect(result.rejected).toEqual([expect.objectContaining({ index: 1, eventId: "e2" })]);
  });

  it("refuses an eventId reused in the batch for a different event", () => {
    const result = classifyBatch([valid, { ...valid, type: "login" }], rules);
    expect(result.accepted).toHaveLength(1);
    expect(result.duplicates).toBe(0);
    expect(result.rejected).toEqual([
      {
        index: 1,
        eventId: "e1",
        errors: [
          { field: "eventId", message: "was already used in this batch for a different event" },
        ],
      },
    ]);
  });

  it("counts a repeated eventId inside one batch once", () => {
    const result = classifyBatch([valid, valid, { ...valid, eventId: "e2" }], rules);
    expect(result.accepted).toHaveLength(2);
    expect(result.duplicates).toBe(1);
  });

  it("converts amounts to integer minor units of the base currency", () => {
    const result = classifyBatch(
      [
        {
          ...valid,
          type: "purchase",
          properties: { orderId: "o1", amount: 10.5, currency: "USD" },
        },
        { ...valid, eventId: "e2", type: "refund", properties: { orderId: "o1", amount: 3 } },
      ],
      rules,
    );
    expect(result.accepted.map((a) => a.baseAmountMinor)).toEqual([7455, 300]);
  });

  it("accepts an event within the 5-minute clock skew", () => {
    const result = classifyBatch([{ ...valid, occurredAt: "2026-11-01T12:04:00Z" }], rules);
    expect(result.accepted).toHaveLength(1);
  });

  it("rejects something that is not an object with a reason instead of throwing", () => {
    const result = classifyBatch([null, 42, "x"], rules);
    expect(result.rejected.map((r) => r.index)).toEqual([0, 1, 2]);
    expect(result.rejected.every((r) => r.errors.length > 0 && r.eventId === null)).toBe(true);
  });
});
