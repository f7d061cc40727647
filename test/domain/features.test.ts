import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { BehaviourEvent } from "../../lambdas/domain/events.js";
import { applyEvents, type UserFeatures } from "../../lambdas/domain/features.js";
import { appOpen, purchase } from "../fixtures/events.js";

const eventArbitrary = fc
  .record({
    type: fc.constantFrom("app_open", "login", "page_view", "complaint"),
    at: fc.integer({ min: Date.parse("2025-01-01"), max: Date.parse("2026-12-31") }),
    offsetHours: fc.integer({ min: -12, max: 14 }),
  })
  .map(({ type, at, offsetHours }) => {
    const sign = offsetHours < 0 ? "-" : "+";
    const hh = String(Math.abs(offsetHours)).padStart(2, "0");
    const local = new Date(at + offsetHours * 3_600_000).toISOString().slice(0, 19);
    return { type, occurredAt: `${local}${sign}${hh}:00` };
  });

const eventsArbitrary = fc
  .array(eventArbitrary, { minLength: 1, maxLength: 40 })
  .map((events) =>
    events.map(
      (e, index) => ({ eventId: `e${index}`, userId: "u", ...e }) as unknown as BehaviourEvent,
    ),
  );

function applyInBatches(events: BehaviourEvent[], cuts: number[]): UserFeatures {
  let profile: UserFeatures | undefined;
  let start = 0;
  for (const cut of [...cuts.filter((c) => c > 0 && c < events.length)].sort((a, b) => a - b)) {
    if (cut > start) profile = applyEvents(profile, "app", "u", events.slice(start, cut));
    start = Math.max(start, cut);
  }
  return applyEvents(profile, "app", "u", events.slice(start));
}

describe("applyEvents", () => {
  it("aggregates first/last seen in UTC and counts per type", () => {
    const profile = applyEvents(undefined, "app", "u", [
      appOpen("u", "2026-11-01T08:00:00+08:00"),
      purchase("u", "2026-11-03T00:00:00Z", 120),
      appOpen("u", "2026-10-30T23:00:00-05:00"),
    ]);
    expect(profile.firstSeenAt).toBe("2026-10-31T04:00:00.000Z");
    expect(profile.lastSeenAt).toBe("2026-11-03T00:00:00.000Z");
    expect(profile.countsByType).toEqual({ app_open: 2, purchase: 1 });
    expect(profile.lastSeenByType.app_open).toBe("2026-11-01T00:00:00.000Z");
    expect(profile.eventCount).toBe(3);
  });

  it("gives the same record for any order and any split into batches", () => {
    fc.assert(
      fc.property(
        eventsArbitrary,
        fc.array(fc.integer({ min: 0, max: 40 }), { maxLength: 5 }),
        fc.integer(),
        (events, cuts, seed) => {
          const reference = applyEvents(undefined, "app", "u", events);
          const shuffled =
            fc.sample(
              fc.shuffledSubarray(events, { minLength: events.length, maxLength: events.length }),
              { seed, numRuns: 1 },
            )[0] ?? events;
          expect(applyInBatches(shuffled, cuts)).toEqual(reference);
        },
      ),
      { numRuns: 300 },
    );
  });
});
