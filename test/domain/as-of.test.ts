import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { activityAfter, featuresAsOf, isChurnLabel } from "../../lambdas/domain/as-of.js";
import { dayNumberOfKey, localDayNumber, monthKey } from "../../lambdas/domain/calendar.js";
import type { BehaviourEvent, EventType } from "../../lambdas/domain/events.js";
import {
  applyEvents,
  compactionHorizon,
  type FeatureInput,
  type Tally,
  type UserFeatures,
} from "../../lambdas/domain/features.js";
import { deriveIndicators } from "../../lambdas/domain/indicators.js";

const DAY_MS = 86_400_000;
const zones = ["UTC", "Asia/Shanghai", "America/New_York", "Pacific/Kiritimati", undefined];
const interactionTypes = new Set<string>(["app_open", "login", "session", "search", "purchase"]);

interface Draft {
  readonly type: EventType;
  readonly at: number;
  readonly amount: number;
}

const draftArbitrary = (from: string, to: string) =>
  fc.record({
    type: fc.constantFrom<EventType>(
      "app_open",
      "login",
      "session",
      "search",
      "purchase",
      "page_load",
      "refund",
      "complaint",
    ),
    at: fc.integer({ min: Date.parse(from), max: Date.parse(to) }),
    amount: fc.integer({ min: 0, max: 50_000 }),
  });

function toInput(draft: Draft, index: number, zone: string | undefined): FeatureInput {
  const properties: Record<string, unknown> = {
    session: { durationSec: draft.amount / 10 },
    search: { query: "q", resultCount: draft.amount % 2 },
    purchase: { orderId: `o${index}`, amount: draft.amount / 100, currency: "CNY" },
    page_load: { ms: draft.amount / 5 },
    refund: { orderId: `o${index}`, amount: draft.amount / 100 },
  };
  const event = {
    eventId: `e${index}`,
    userId: "u",
    type: draft.type,
    occurredAt: new Date(draft.at).toISOString(),
    ...(properties[draft.type] ? { properties: properties[draft.type] } : {}),
    ...(zone ? { context: { timezone: zone } } : {}),
  };
  const priced = draft.type === "purchase" || draft.type === "refund";
  return {
    event: event as BehaviourEvent,
    ...(priced ? { baseAmountMinor: draft.amount } : {}),
  };
}

function localDay(input: FeatureInput): number {
  return localDayNumber(Date.parse(input.event.occurredAt), input.event.context?.timezone ?? "UTC");
}

function dayOf(iso: string, zone: string | undefined): number {
  return localDayNumber(Date.parse(iso), zone ?? "UTC");
}

/** Every bucket, day or month, rolled up by month: compaction-independent. */
function byMonth(features: UserFeatures): Record<string, Record<string, number>> {
  const out: Record<string, Record<string, number>> = {};
  const add = (key: string, tally: Tally) => {
    const month = out[key] ?? {};
    for (const [name, value] of Object.entries(tally)) month[name] = (month[name] ?? 0) + value;
    out[key] = month;
  };
  for (const [key, tally] of Object.entries(features.days))
    add(monthKey(dayNumberOfKey(key)), tally);
  for (const [key, month] of Object.entries(features.months)) add(key, month.tally);
  return out;
}

/** Whether a compacted month has active days both on or before and after `day`. */
function straddles(features: UserFeatures, day: number): boolean {
  return Object.entries(features.months).some(([key, month]) => {
    const start = dayNumberOfKey(`${key}-01`);
    let before = false;
    let after = false;
    for (let bit = 0; bit < 31; bit += 1) {
      if (!(month.activeDayMask & (1 << bit))) continue;
      if (start + bit <= day) before = true;
      else after = true;
    }
    return before && after;
  });
}

const scenario = (from: string, to: string, cutFrom: string, cutTo: string) =>
  fc.record({
    drafts: fc.array(draftArbitrary(from, to), { minLength: 1, maxLength: 50 }),
    zone: fc.constantFrom(...zones),
    cut: fc.integer({ min: Date.parse(cutFrom), max: Date.parse(cutTo) }),
  });

describe("featuresAsOf", () => {
  it("returns the very record when nothing happened after asOf", () => {
    const features = applyEvents(undefined, "app", "u", [
      toInput(
        { type: "app_open", at: Date.parse("2026-01-01T10:00:00Z"), amount: 0 },
        0,
        undefined,
      ),
    ]);
    expect(featuresAsOf(features, new Date("2026-01-01T10:00:00Z"))).toBe(features);
    expect(featuresAsOf(features, new Date("2027-01-01T00:00:00Z"))).toBe(features);
  });

  it("is undefined before the user's first day", () => {
    const features = applyEvents(undefined, "app", "u", [
      toInput(
        { type: "app_open", at: Date.parse("2026-01-05T10:00:00Z"), amount: 0 },
        0,
        undefined,
      ),
    ]);
    expect(featuresAsOf(features, new Date("2026-01-04T23:59:59Z"))).toBeUndefined();
  });

  it.each([
    // zone, last kept event, asOf, expected rebuilt lastSeenAt (local noon, clipped to asOf)
    ["UTC", "2026-03-08T09:00:00Z", "2026-03-09T00:00:00Z", "2026-03-08T12:00:00.000Z"],
    [
      "Asia/Shanghai",
      "2026-03-08T09:00:00+08:00",
      "2026-03-09T00:00:00+08:00",
      "2026-03-08T04:00:00.000Z",
    ],
    // The day US daylight saving time starts: noon is already EDT (UTC−4).
    [
      "America/New_York",
      "2026-03-08T09:00:00-04:00",
      "2026-03-09T00:00:00-04:00",
      "2026-03-08T16:00:00.000Z",
    ],
    // Cut-off in the morning of the kept day: noon would be after it, so asOf itself.
    ["UTC", "2026-03-08T09:00:00Z", "2026-03-08T10:00:00Z", "2026-03-08T10:00:00.000Z"],
  ])("rebuilds a later last-seen time in %s as local noon", (zone, kept, asOf, expected) => {
    const features = applyEvents(undefined, "app", "u", [
      toInput({ type: "login", at: Date.parse(kept), amount: 0 }, 0, zone),
      toInput({ type: "login", at: Date.parse("2026-06-01T00:00:00Z"), amount: 0 }, 1, zone),
    ]);
    const past = featuresAsOf(features, new Date(asOf)) as UserFeatures;
    expect(past.countsByType.login).toBe(1);
    expect(past.lastSeenAt).toBe(expected);
    expect(past.lastSeenByType.login).toBe(expected);
    expect(past.firstSeenAt).toBe(new Date(kept).toISOString());
    expect(past.timezone).toBe(features.timezone);
  });

  it("equals the record built from the events up to the cut-off day (no compaction)", () => {
    fc.assert(
      fc.property(
        scenario("2025-01-01", "2025-12-01", "2024-12-20", "2025-12-10"),
        ({ drafts, zone, cut }) => {
          const inputs = drafts.map((draft, i) => toInput(draft, i, zone));
          const all = applyEvents(undefined, "app", "u", inputs);
          const cutDay = localDayNumber(cut, zone ?? "UTC");
          const kept = inputs.filter((input) => localDay(input) <= cutDay);
          const past = featuresAsOf(all, new Date(cut));
          if (kept.length === 0) {
            expect(past).toBeUndefined();
            return;
          }
          const expected = applyEvents(undefined, "app", "u", kept);
          if (!past) throw new Error("expected a record");
          expect(past.countsByType).toEqual(expected.countsByType);
          expect(past.amounts).toEqual(expected.amounts);
          expect(past.eventCount).toBe(expected.eventCount);
          expect(past.purchaseDays).toEqual(expected.purchaseDays);
          expect(past.days).toEqual(expected.days);
          expect(past.months).toEqual({});
          expect(dayOf(past.lastSeenAt, zone)).toBe(dayOf(expected.lastSeenAt, zone));
          expect(dayOf(past.firstSeenAt, zone)).toBe(dayOf(expected.firstSeenAt, zone));
          for (const type of Object.keys(expected.lastSeenByType) as EventType[]) {
            expect(dayOf(past.lastSeenByType[type] as string, zone)).toBe(
              dayOf(expected.lastSeenByType[type] as string, zone),
            );
          }
          expect(Object.keys(past.lastSeenByType).sort()).toEqual(
            Object.keys(expected.lastSeenByType).sort(),
          );
          // Nothing after the cut-off shows through, and what was exact stays exact.
          for (const iso of [past.lastSeenAt, ...Object.values(past.lastSeenByType)]) {
            expect(Date.parse(iso as string)).toBeLessThanOrEqual(
              Math.max(cut, Date.parse(expected.lastSeenAt)),
            );
          }
          if (Date.parse(expected.firstSeenAt) <= cut)
            expect(past.firstSeenAt).toBe(expected.firstSeenAt);
          expect(past.firstSeenAt <= past.lastSeenAt).toBe(true);
        },
      ),
      { numRuns: 300 },
    );
  });

  it("agrees with the replay across compaction unless a compacted month straddles the cut", () => {
    fc.assert(
      fc.property(
        scenario("2019-01-01", "2027-01-01", "2019-01-01", "2027-01-01"),
        ({ drafts, zone, cut }) => {
          const inputs = drafts.map((draft, i) => toInput(draft, i, zone));
          const all = applyEvents(undefined, "app", "u", inputs);
          const cutDay = localDayNumber(cut, zone ?? "UTC");
          fc.pre(!straddles(all, cutDay));
          const kept = inputs.filter((input) => localDay(input) <= cutDay);
          fc.pre(kept.length > 0);
          const expected = applyEvents(undefined, "app", "u", kept);
          const past = featuresAsOf(all, new Date(cut)) as UserFeatures;
          expect(past.countsByType).toEqual(expected.countsByType);
          expect(past.amounts).toEqual(expected.amounts);
          expect(past.eventCount).toBe(expected.eventCount);
          expect(past.purchaseDays).toEqual(expected.purchaseDays);
          expect(byMonth(past)).toEqual(byMonth(expected));
          // Laid out like the replay: months only where the replay has them too (the rest were
          // spread back over their active days), and every day that was stored as a day agrees.
          // (A rebuilt last-seen time is local noon, so the horizon may sit a day off the replay's.)
          const edge = compactionHorizon(expected.lastSeenAt);
          for (const [key, month] of Object.entries(past.months)) {
            const firstActive =
              dayNumberOfKey(`${key}-01`) + Math.log2(month.activeDayMask & -month.activeDayMask);
            if (Math.abs(firstActive - edge) > 1) expect(expected.months).toHaveProperty(key);
          }
          for (const [key, tally] of Object.entries(past.days))
            if (all.days[key]) expect(expected.days[key]).toEqual(tally);
          expect(dayOf(past.lastSeenAt, zone)).toBeLessThanOrEqual(cutDay);
        },
      ),
      { numRuns: 300 },
    );
  });

  it("drops a compacted month that straddles the cut rather than leak its later days", () => {
    const at = (iso: string) => Date.parse(iso);
    const features = applyEvents(undefined, "app", "u", [
      toInput({ type: "purchase", at: at("2020-03-05T10:00:00Z"), amount: 100 }, 0, undefined),
      toInput({ type: "purchase", at: at("2020-03-20T10:00:00Z"), amount: 200 }, 1, undefined),
      toInput({ type: "app_open", at: at("2020-01-02T10:00:00Z"), amount: 0 }, 2, undefined),
      toInput({ type: "app_open", at: at("2026-01-01T10:00:00Z"), amount: 0 }, 3, undefined),
    ]);
    expect(Object.keys(features.months).sort()).toEqual(["2020-01", "2020-03"]);
    const past = featuresAsOf(features, new Date("2020-03-10T00:00:00Z")) as UserFeatures;
    // On 2020-03-10 January was recent: the view holds it as a day again, as the record did then.
    expect(Object.keys(past.months)).toEqual([]);
    expect(past.days["2020-01-02"]).toEqual({ app_open: 1 });
    expect(past.countsByType).toEqual({ app_open: 1 });
    expect(past.amounts).toEqual({});
    // The purchase days list is per day, so it still knows the earlier purchase.
    expect(past.purchaseDays).toEqual([at("2020-03-05") / DAY_MS]);
    expect(past.lastSeenByType.purchase).toBe("2020-03-05T10:00:00.000Z");
    const whole = featuresAsOf(features, new Date("2020-03-31T00:00:00Z")) as UserFeatures;
    expect(whole.countsByType).toEqual({ app_open: 1, purchase: 2 });
    expect(whole.amounts).toEqual({ revenueMinor: 300 });
  });
});

describe("activityAfter", () => {
  const at = (iso: string) => Date.parse(iso);
  const features = applyEvents(undefined, "app", "u", [
    toInput({ type: "app_open", at: at("2026-01-01T10:00:00Z"), amount: 0 }, 0, undefined),
    toInput({ type: "app_open", at: at("2026-01-02T10:00:00Z"), amount: 0 }, 1, undefined),
    toInput({ type: "purchase", at: at("2026-01-05T10:00:00Z"), amount: 900 }, 2, undefined),
    toInput({ type: "complaint", at: at("2026-01-08T10:00:00Z"), amount: 0 }, 3, undefined),
    toInput({ type: "login", at: at("2026-01-31T10:00:00Z"), amount: 0 }, 4, undefined),
  ]);

  it.each([
    // asOf, horizon, kind, expected
    ["2026-01-01T23:00:00Z", 1, "activity", 1],
    ["2026-01-01T09:00:00Z", 1, "activity", 1], // the rest of the cut-off day is not the future
    ["2026-01-01T00:00:00Z", 30, "activity", 3],
    ["2026-01-01T00:00:00Z", 29, "activity", 2],
    ["2026-01-01T00:00:00Z", 30, "purchase", 1],
    ["2026-01-05T00:00:00Z", 25, "activity", 0], // a complaint is not activity
    ["2026-01-05T00:00:00Z", 26, "activity", 1],
    ["2026-01-05T00:00:00Z", 30, "purchase", 0],
    ["2026-02-01T00:00:00Z", 90, "activity", 0],
  ] as const)("after %s for %i days (%s) → %i", (asOf, horizon, kind, expected) => {
    expect(activityAfter(features, new Date(asOf), horizon, kind)).toBe(expected);
    expect(isChurnLabel(features, new Date(asOf), horizon, kind)).toBe(expected === 0);
  });

  it("refuses a horizon that is not a positive whole number of days", () => {
    expect(() => activityAfter(features, new Date(), 0, "activity")).toThrow(RangeError);
    expect(() => activityAfter(features, new Date(), 1.5, "activity")).toThrow(/horizonDays/);
  });

  it("counts a compacted month only when all its active days are in the window", () => {
    const old = applyEvents(undefined, "app", "u", [
      toInput({ type: "app_open", at: at("2020-03-05T10:00:00Z"), amount: 0 }, 0, undefined),
      toInput({ type: "app_open", at: at("2020-03-20T10:00:00Z"), amount: 0 }, 1, undefined),
      toInput({ type: "app_open", at: at("2026-01-01T10:00:00Z"), amount: 0 }, 2, undefined),
    ]);
    expect(activityAfter(old, new Date("2020-03-01T00:00:00Z"), 30, "activity")).toBe(2);
    expect(activityAfter(old, new Date("2020-03-01T00:00:00Z"), 10, "activity")).toBe(0);
  });

  it("matches a direct count of the events in the window", () => {
    fc.assert(
      fc.property(
        scenario("2025-01-01", "2025-12-01", "2024-12-20", "2025-12-10"),
        fc.integer({ min: 1, max: 120 }),
        fc.constantFrom("activity" as const, "purchase" as const),
        ({ drafts, zone, cut }, horizon, kind) => {
          const inputs = drafts.map((draft, i) => toInput(draft, i, zone));
          const all = applyEvents(undefined, "app", "u", inputs);
          const cutDay = localDayNumber(cut, zone ?? "UTC");
          const wanted = (type: string) =>
            kind === "purchase" ? type === "purchase" : interactionTypes.has(type);
          const expected = inputs.filter(
            (input) =>
              wanted(input.event.type) &&
              localDay(input) > cutDay &&
              localDay(input) <= cutDay + horizon,
          ).length;
          expect(activityAfter(all, new Date(cut), horizon, kind)).toBe(expected);
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe("featuresAsOf does not let the future shape the past", () => {
  it("a user who kept buying reads like one who left, as of a day before they differ", () => {
    const at = (iso: string) => Date.parse(iso);
    const history = [
      toInput({ type: "purchase", at: at("2021-01-05T10:00:00Z"), amount: 100 }, 0, undefined),
      toInput({ type: "purchase", at: at("2021-02-10T10:00:00Z"), amount: 250 }, 1, undefined),
      toInput({ type: "purchase", at: at("2021-06-01T10:00:00Z"), amount: 80 }, 2, undefined),
    ];
    const left = applyEvents(undefined, "app", "u", history);
    // 500 days later: the stored record compacts the 2021 days into months.
    const stayed = applyEvents(undefined, "app", "u", [
      ...history,
      toInput({ type: "purchase", at: at("2022-10-15T10:00:00Z"), amount: 90 }, 3, undefined),
    ]);
    expect(Object.keys(stayed.months).length).toBeGreaterThan(0);
    const asOf = new Date("2021-07-01T00:00:00Z");
    const a = deriveIndicators(featuresAsOf(left, asOf) as UserFeatures, asOf);
    const b = deriveIndicators(featuresAsOf(stayed, asOf) as UserFeatures, asOf);
    // Only the instant of the last event differs: a rebuilt time is local noon of its day.
    expect({ ...b, silenceSince: a.silenceSince }).toEqual(a);
    expect(b.silenceSince.slice(0, 10)).toBe(a.silenceSince.slice(0, 10));
  });
});
