import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { DEFAULT_CURRENCY_TABLE } from "../../lambdas/domain/currency.js";
import {
  applyEvents,
  type FeatureInput,
  RECENT_DAYS,
  type UserFeatures,
} from "../../lambdas/domain/features.js";
import { classifyBatch } from "../../lambdas/domain/ingest.js";
import { appOpen, purchase } from "../fixtures/events.js";

const rules = {
  now: new Date("2030-01-01T00:00:00Z"),
  horizon: new Date("1990-01-01T00:00:00Z"),
  currencies: DEFAULT_CURRENCY_TABLE,
};

const zones = ["UTC", "Asia/Shanghai", "America/New_York", "Pacific/Kiritimati", undefined];

const propertiesArbitrary = fc.oneof(
  fc.record({ type: fc.constant("app_open") }),
  fc.record({ type: fc.constant("login") }),
  fc.record({
    type: fc.constant("session"),
    properties: fc.record({ durationSec: fc.double({ min: 0, max: 7200, noNaN: true }) }),
  }),
  fc.record({
    type: fc.constant("page_load"),
    properties: fc.record({ ms: fc.integer({ min: 0, max: 9000 }) }),
  }),
  fc.record({
    type: fc.constant("search"),
    properties: fc.record({ query: fc.string(), resultCount: fc.integer({ min: 0, max: 3 }) }),
  }),
  fc.record({
    type: fc.constant("purchase"),
    properties: fc.record({
      orderId: fc.constant("o"),
      amount: fc.double({ min: 0, max: 20_000, noNaN: true }),
      currency: fc.constantFrom("CNY", "USD", "JPY"),
      couponCode: fc.option(fc.constant("SALE"), { nil: undefined }),
    }),
  }),
  fc.record({
    type: fc.constant("refund"),
    properties: fc.record({
      orderId: fc.constant("o"),
      amount: fc.double({ min: 0, max: 500, noNaN: true }),
    }),
  }),
  fc.record({ type: fc.constantFrom("complaint", "cart_abandon", "uninstall", "device_change") }),
);

/** Events spread over eight years, so compaction into months happens along the way. */
const inputsArbitrary = fc
  .array(
    fc.record({
      shape: propertiesArbitrary,
      at: fc.integer({ min: Date.parse("2020-01-01"), max: Date.parse("2028-01-01") }),
      zone: fc.constantFrom(...zones),
    }),
    { minLength: 1, maxLength: 60 },
  )
  .map((drafts) => {
    const raw = drafts.map(({ shape, at, zone }, index) => ({
      eventId: `e${index}`,
      userId: "u",
      occurredAt: new Date(at).toISOString(),
      ...shape,
      ...(zone ? { context: { timezone: zone } } : {}),
    }));
    const batch = classifyBatch(raw, rules);
    expect(batch.rejected).toEqual([]);
    return batch.accepted.map(({ event, baseAmountMinor }) => ({
      event,
      ...(baseAmountMinor === undefined ? {} : { baseAmountMinor }),
    })) as FeatureInput[];
  });

function applyInBatches(inputs: FeatureInput[], cuts: number[]): UserFeatures {
  let profile: UserFeatures | undefined;
  let start = 0;
  for (const cut of [...new Set(cuts)]
    .filter((c) => c > 0 && c < inputs.length)
    .sort((a, b) => a - b)) {
    profile = applyEvents(profile, "app", "u", inputs.slice(start, cut));
    start = cut;
  }
  return applyEvents(profile, "app", "u", inputs.slice(start));
}

function itemSizeBytes(features: UserFeatures): number {
  return Buffer.byteLength(JSON.stringify(features), "utf8");
}

describe("applyEvents", () => {
  it("aggregates first/last seen in UTC, counts, amounts and local-day buckets", () => {
    const profile = applyEvents(undefined, "app", "u", [
      appOpen("u", "2026-11-01T08:00:00+08:00"),
      purchase("u", "2026-11-03T00:00:00Z", 12_050),
      appOpen("u", "2026-10-30T23:00:00-05:00"),
    ]);
    expect(profile.firstSeenAt).toBe("2026-10-31T04:00:00.000Z");
    expect(profile.lastSeenAt).toBe("2026-11-03T00:00:00.000Z");
    expect(profile.countsByType).toEqual({ app_open: 2, purchase: 1 });
    expect(profile.amounts).toEqual({ revenueMinor: 12_050 });
    expect(profile.lastSeenByType.app_open).toBe("2026-11-01T00:00:00.000Z");
    expect(profile.days).toEqual({
      "2026-10-31": { app_open: 1 },
      "2026-11-01": { app_open: 1 },
      "2026-11-03": { purchase: 1, revenueMinor: 12_050 },
    });
    expect(profile.eventCount).toBe(3);
  });

  it("puts an event on the day it happened where the user was", () => {
    const late = {
      event: {
        ...appOpen("u", "2026-11-01T20:00:00Z").event,
        context: { timezone: "Asia/Shanghai" },
      },
    };
    const profile = applyEvents(undefined, "app", "u", [late as FeatureInput]);
    expect(Object.keys(profile.days)).toEqual(["2026-11-02"]);
    expect(profile.timezone).toBe("Asia/Shanghai");
  });

  it("compacts days older than the recent window into months, keeping distinct active days", () => {
    const profile = applyEvents(undefined, "app", "u", [
      appOpen("u", "2020-03-05T10:00:00Z"),
      appOpen("u", "2020-03-05T11:00:00Z"),
      appOpen("u", "2020-03-07T10:00:00Z"),
      purchase("u", "2020-03-07T12:00:00Z", 500),
      appOpen("u", "2026-11-01T10:00:00Z"),
    ]);
    expect(Object.keys(profile.days)).toEqual(["2026-11-01"]);
    expect(profile.months["2020-03"]).toEqual({
      tally: { app_open: 3, purchase: 1, revenueMinor: 500 },
      activeDayMask: (1 << 4) | (1 << 6),
    });
    expect(profile.purchaseDays).toEqual([Date.parse("2020-03-07") / 86_400_000]);
  });

  it("gives the identical record for any order and any split into batches", () => {
    fc.assert(
      fc.property(
        inputsArbitrary,
        fc.array(fc.integer({ min: 0, max: 60 }), { maxLength: 6 }),
        fc.integer(),
        (inputs, cuts, seed) => {
          const reference = applyEvents(undefined, "app", "u", inputs);
          const permuted =
            fc.sample(
              fc.shuffledSubarray(inputs, { minLength: inputs.length, maxLength: inputs.length }),
              {
                seed,
                numRuns: 1,
              },
            )[0] ?? inputs;
          expect(applyInBatches(permuted, cuts)).toEqual(reference);
        },
      ),
      { numRuns: 400 },
    );
  });

  it("stays far below DynamoDB's 400 KB item limit for a user active every day for ten years", () => {
    const start = Date.parse("2016-01-01T09:00:00Z");
    const inputs: FeatureInput[] = [];
    for (let day = 0; day < 3650; day += 1) {
      inputs.push(appOpen("u", new Date(start + day * 86_400_000).toISOString()));
      if (day % 3 === 0)
        inputs.push(
          purchase("u", new Date(start + day * 86_400_000 + 3_600_000).toISOString(), 9_900),
        );
    }
    const profile = applyEvents(undefined, "app", "u", inputs);
    expect(Object.keys(profile.days).length).toBeLessThanOrEqual(RECENT_DAYS + 1);
    expect(itemSizeBytes(profile)).toBeLessThan(100_000);
  });
});
